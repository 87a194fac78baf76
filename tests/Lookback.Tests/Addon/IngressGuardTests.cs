using System.Net;
using Lookback.Addon;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Lookback.Tests.Addon;

public class IngressGuardTests
{
    [Theory]
    [InlineData("172.30.32.2", true)]
    [InlineData("127.0.0.1", true)]
    [InlineData("::1", true)]
    [InlineData("::ffff:172.30.32.2", true)]
    [InlineData("::ffff:127.0.0.1", true)]
    [InlineData("172.30.32.1", false)]
    [InlineData("172.30.32.3", false)]
    [InlineData("10.0.0.5", false)]
    [InlineData("192.168.1.20", false)]
    [InlineData("::ffff:10.0.0.5", false)]
    public void Only_the_supervisor_and_loopback_are_allowed(string address, bool allowed)
        => Assert.Equal(allowed, IngressGuard.IsAllowed(IPAddress.Parse(address)));

    [Fact]
    public void No_remote_address_is_denied() => Assert.False(IngressGuard.IsAllowed(null));

    [Theory]
    [InlineData("/api/hassio_ingress/abcDEF123_-", "/api/hassio_ingress/abcDEF123_-")]
    [InlineData("/api/hassio_ingress/tok/", "/api/hassio_ingress/tok")]
    [InlineData("", null)]
    [InlineData("api/no-leading-slash", null)]
    [InlineData("/x\"><script>", null)]
    public void Ingress_path_header_is_kept_only_when_it_is_a_plain_path(string header, string? expected)
        => Assert.Equal(expected, IngressGuard.ParseIngressPath(header));

    private static async Task<(int Status, bool NextCalled, DefaultHttpContext Ctx)> Invoke(string remote, int localPort,
        string? ingressPath = null)
    {
        var ctx = new DefaultHttpContext();
        ctx.Connection.RemoteIpAddress = IPAddress.Parse(remote);
        ctx.Connection.LocalPort = localPort;
        ctx.Response.Body = new MemoryStream();
        if (ingressPath is not null) ctx.Request.Headers[IngressGuard.IngressPathHeader] = ingressPath;
        var called = false;
        var guard = new IngressGuard(_ => { called = true; return Task.CompletedTask; }, c => c.Connection.LocalPort == 8099);
        await guard.InvokeAsync(ctx);
        return (ctx.Response.StatusCode, called, ctx);
    }

    [Fact]
    public async Task Other_addresses_get_403_on_the_ingress_port()
    {
        var (status, next, ctx) = await Invoke("10.0.0.5", 8099);
        Assert.Equal(403, status);
        Assert.False(next);
        ctx.Response.Body.Position = 0;
        Assert.Contains("\"error\"", new StreamReader(ctx.Response.Body).ReadToEnd());
        Assert.Equal(403, (await Invoke("172.30.32.1", 8099)).Status);
    }

    [Fact]
    public async Task The_api_port_is_not_filtered()
    {
        var (status, next, _) = await Invoke("172.30.32.1", 8098);
        Assert.True(next);
        Assert.Equal(200, status);
    }

    [Fact]
    public async Task The_supervisor_passes_and_its_ingress_path_is_stored()
    {
        var (_, next, ctx) = await Invoke("172.30.32.2", 8099, "/api/hassio_ingress/XYZ");
        Assert.True(next);
        Assert.Equal("/api/hassio_ingress/XYZ", IngressGuard.GetIngressPath(ctx));
        Assert.Equal("/api/hassio_ingress/XYZ", ctx.Items[IngressGuard.IngressPathItem]);
    }

    [Fact]
    public async Task A_request_from_loopback_passes_through_kestrel()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
        await using var app = builder.Build();
        app.UseIngressGuard(_ => true); // every connection is "ingress" here
        app.MapGet("/probe", (HttpContext ctx) => Results.Text("ok " + IngressGuard.GetIngressPath(ctx)));
        await app.StartAsync();
        try
        {
            var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
            using var http = new HttpClient { BaseAddress = new Uri(address) };
            using var req = new HttpRequestMessage(HttpMethod.Get, "/probe");
            req.Headers.Add(IngressGuard.IngressPathHeader, "/api/hassio_ingress/abc");
            using var res = await http.SendAsync(req);
            Assert.Equal(HttpStatusCode.OK, res.StatusCode);
            Assert.Equal("ok /api/hassio_ingress/abc", await res.Content.ReadAsStringAsync());
        }
        finally { await app.StopAsync(); }
    }
}
