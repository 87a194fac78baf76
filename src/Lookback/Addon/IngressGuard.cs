using System.Net;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Lookback.Addon;

/// <summary>
/// Home Assistant ingress rules for the ingress listener: only the Supervisor (172.30.32.2) and loopback may connect
/// (everyone else gets 403); the <c>X-Ingress-Path</c> header (e.g. /api/hassio_ingress/&lt;token&gt;) is stored in
/// <c>HttpContext.Items["IngressPath"]</c>. Connections to other listeners (the API port) pass untouched.
/// </summary>
public sealed partial class IngressGuard(RequestDelegate next, Func<HttpContext, bool> appliesTo)
{
    public const string IngressPathItem = "IngressPath";
    public const string IngressPathHeader = "X-Ingress-Path";
    /// <summary>The Supervisor's address on the hassio network; ingress requests come from it.</summary>
    public static readonly IPAddress SupervisorAddress = IPAddress.Parse("172.30.32.2");

    /// <summary>The decision: loopback (IPv4/IPv6, also IPv4-mapped) or exactly 172.30.32.2. Null (no socket) is denied.</summary>
    public static bool IsAllowed(IPAddress? remote)
    {
        if (remote is null) return false;
        if (remote.IsIPv4MappedToIPv6) remote = remote.MapToIPv4();
        return IPAddress.IsLoopback(remote) || remote.Equals(SupervisorAddress);
    }

    /// <summary>The X-Ingress-Path header when it is a plain absolute path (letters, digits, '/', '_', '-', '.'), else null.</summary>
    public static string? ParseIngressPath(string? header)
    {
        if (string.IsNullOrWhiteSpace(header)) return null;
        var value = header.Trim().TrimEnd('/');
        return value.Length is > 0 and <= 512 && SafePath().IsMatch(value) ? value : null;
    }

    /// <summary>The ingress base path of this request ("" when not under ingress). For links in pages; relative URLs need none.</summary>
    public static string GetIngressPath(HttpContext ctx)
        => ctx.Items.TryGetValue(IngressPathItem, out var v) && v is string s ? s : "";

    public async Task InvokeAsync(HttpContext ctx)
    {
        if (appliesTo(ctx))
        {
            if (!IsAllowed(ctx.Connection.RemoteIpAddress))
            {
                ctx.Response.StatusCode = StatusCodes.Status403Forbidden;
                ctx.Response.ContentType = "application/json";
                await ctx.Response.WriteAsync(
                    "{\"error\":\"forbidden: the ingress port accepts only the Home Assistant Supervisor (172.30.32.2)\"}",
                    ctx.RequestAborted);
                return;
            }
            if (ParseIngressPath(ctx.Request.Headers[IngressPathHeader]) is { } path)
                ctx.Items[IngressPathItem] = path;
        }
        await next(ctx);
    }

    [GeneratedRegex(@"^/[A-Za-z0-9/_\-.]*$")]
    private static partial Regex SafePath();
}

public static class AddonHttpExtensions
{
    /// <summary>Guards connections whose local port is <paramref name="ingressPort"/> (put it first in the pipeline).</summary>
    public static IApplicationBuilder UseIngressGuard(this IApplicationBuilder app, int ingressPort = AddonMode.IngressPort)
        => app.UseIngressGuard(ctx => ctx.Connection.LocalPort == ingressPort);

    /// <summary>Guards the connections for which <paramref name="appliesTo"/> is true.</summary>
    public static IApplicationBuilder UseIngressGuard(this IApplicationBuilder app, Func<HttpContext, bool> appliesTo)
        => app.UseMiddleware<IngressGuard>(appliesTo);

    /// <summary>The two add-on listeners on all interfaces: ingress (8099) and the API for Home Assistant Core (8098).</summary>
    public static void ListenForAddon(this KestrelServerOptions kestrel,
        int ingressPort = AddonMode.IngressPort, int apiPort = AddonMode.ApiPort)
    {
        kestrel.ListenAnyIP(ingressPort);
        if (apiPort != ingressPort) kestrel.ListenAnyIP(apiPort);
    }
}
