using Lookback.Cameras;
using Lookback.Config;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;

namespace Lookback.Hosting;

/// <summary>A built, startable Lookback: cameras, renders, MQTT and HTTP wired together.</summary>
public sealed class LookbackApp : IAsyncDisposable
{
    private readonly WebApplication _web;
    internal LookbackApp(WebApplication web, LookbackOptions options) { _web = web; Options = options; }

    public LookbackOptions Options { get; }
    public IServiceProvider Services => _web.Services;
    public CameraRegistry Cameras => _web.Services.GetRequiredService<CameraRegistry>();
    public EventBus Bus => _web.Services.GetRequiredService<EventBus>();

    /// <summary>The address the HTTP listener is bound to (with the real port when 0 was asked).</summary>
    public Uri BaseAddress
    {
        get
        {
            var a = _web.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
            return new Uri(a.Replace("0.0.0.0", "127.0.0.1").Replace("[::]", "127.0.0.1"));
        }
    }

    public Task StartAsync(CancellationToken ct = default) => _web.StartAsync(ct);
    public Task StopAsync(CancellationToken ct = default) => _web.StopAsync(ct);
    public Task WaitForShutdownAsync(CancellationToken ct = default) => _web.WaitForShutdownAsync(ct);
    public async ValueTask DisposeAsync() => await _web.DisposeAsync();
}
