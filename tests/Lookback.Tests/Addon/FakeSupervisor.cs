using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Lookback.Tests.Addon;

/// <summary>A Supervisor stand-in on 127.0.0.1 (free port): answers GET /services/mqtt with the given handler.</summary>
internal sealed class FakeSupervisor : IAsyncDisposable
{
    private readonly WebApplication _app;
    public string? LastAuthorization { get; private set; }
    public Uri BaseUrl { get; }

    private FakeSupervisor(WebApplication app, Uri baseUrl) { _app = app; BaseUrl = baseUrl; }

    public static async Task<FakeSupervisor> StartAsync(Func<HttpContext, Task> handler)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(System.Net.IPAddress.Loopback, 0));
        var app = builder.Build();
        FakeSupervisor? self = null;
        app.MapGet("/services/mqtt", async ctx =>
        {
            self!.LastAuthorization = ctx.Request.Headers.Authorization;
            await handler(ctx);
        });
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        self = new FakeSupervisor(app, new Uri(address));
        return self;
    }

    public static Task<FakeSupervisor> StartAsync(int status, string body)
        => StartAsync(async ctx =>
        {
            ctx.Response.StatusCode = status;
            ctx.Response.ContentType = "application/json";
            await ctx.Response.WriteAsync(body);
        });

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
