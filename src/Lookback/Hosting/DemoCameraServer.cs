using System.Net;
using Lookback.Http;
using Lookback.Imaging;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Lookback.Hosting;

/// <summary>
/// Demo cameras served over loopback: /cam/{name}/snapshot.jpg and /cam/{name}/mjpeg, drawn by <see cref="DemoScene"/>.
/// Lookback reads them through its real snapshot and MJPEG sources, so the demo runs the real code.
/// </summary>
public sealed class DemoCameraServer : IAsyncDisposable
{
    private readonly WebApplication _web;
    private readonly Dictionary<string, DemoCam> _cams;

    private sealed class DemoCam(string title, int width, int height)
    {
        private readonly DemoScene _scene = new();
        private readonly object _gate = new();
        public byte[] Render(DateTimeOffset t) { lock (_gate) return _scene.RenderJpeg(t, width, height, title); }
    }

    public DemoCameraServer(IEnumerable<(string Name, string Title, int Width, int Height)> cameras)
    {
        _cams = cameras.ToDictionary(c => c.Name, c => new DemoCam(c.Title, c.Width, c.Height));
        var b = WebApplication.CreateSlimBuilder();
        b.Logging.ClearProviders();
        b.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
        _web = b.Build();
        _web.MapGet("/cam/{name}/snapshot.jpg", (string name) =>
            _cams.TryGetValue(name, out var c) ? Results.File(c.Render(DateTimeOffset.UtcNow), "image/jpeg") : Results.NotFound());
        _web.MapGet("/cam/{name}/mjpeg", async (string name, HttpContext ctx, double? fps) =>
        {
            if (!_cams.TryGetValue(name, out var c)) { ctx.Response.StatusCode = 404; return; }
            var period = TimeSpan.FromSeconds(1 / Math.Clamp(fps ?? 5, 0.5, 30));
            ctx.Response.ContentType = "multipart/x-mixed-replace; boundary=demoframe";
            using var timer = new PeriodicTimer(period);
            try
            {
                do
                {
                    await CameraEndpoints.WriteMjpegPartAsync(ctx.Response.Body, "demoframe", c.Render(DateTimeOffset.UtcNow), ctx.RequestAborted);
                } while (await timer.WaitForNextTickAsync(ctx.RequestAborted));
            }
            catch (OperationCanceledException) { }
            catch (IOException) { }
        });
    }

    public async Task<Uri> StartAsync(CancellationToken ct)
    {
        await _web.StartAsync(ct);
        var a = _web.Services.GetService(typeof(IServer)) as IServer;
        return new Uri(a!.Features.Get<IServerAddressesFeature>()!.Addresses.First());
    }

    public async ValueTask DisposeAsync() { await _web.StopAsync(); await _web.DisposeAsync(); }
}
