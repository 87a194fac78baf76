using System.Globalization;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.Json.Serialization;
using Lookback.Discover;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Lookback.Http;

/// <summary>The body of <c>POST /api/discover</c> (every field optional).</summary>
public sealed record DiscoverRequest(
    [property: JsonPropertyName("timeout")] double? Timeout,
    [property: JsonPropertyName("username")] string? Username,
    [property: JsonPropertyName("password")] string? Password,
    [property: JsonPropertyName("interface")] string? Interface,
    [property: JsonPropertyName("hosts")] IReadOnlyList<string>? Hosts,
    [property: JsonPropertyName("onvif")] bool? Onvif,
    [property: JsonPropertyName("usb")] bool? Usb);

/// <summary>Runs one discovery at a time for the web UI; the HTTP client for ONVIF requests is shared.</summary>
public sealed class DiscoverService(DiscoverOptions defaults) : IDisposable
{
    private readonly HttpClient _http = DiscoverHttp.Create();
    private readonly SemaphoreSlim _one = new(1, 1);

    public DiscoverOptions Defaults => defaults;

    /// <summary>Null when a discovery is already running.</summary>
    public async Task<DiscoverReport?> TryFindAsync(DiscoverOptions o, CancellationToken ct)
    {
        if (!await _one.WaitAsync(0, ct)) return null;
        try { return await new CameraFinder(_http).FindAsync(o, null, ct); }
        finally { _one.Release(); }
    }

    public void Dispose() { _http.Dispose(); _one.Dispose(); }
}

/// <summary>
/// <c>POST /api/discover</c> (JSON body <see cref="DiscoverRequest"/>): finds ONVIF and USB cameras and answers the
/// <see cref="DiscoverReport"/> with a proposed configuration block per camera. Writes nothing. 400 bad body,
/// 429 a discovery is running, 500 the probe could not run. The password is used for the ONVIF requests only.
/// </summary>
public static class DiscoverEndpoints
{
    public static IEndpointRouteBuilder MapDiscoverEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapPost("/api/discover", async (HttpContext ctx, DiscoverService discover) =>
        {
            // JSON only: a cross-site form cannot send it without a CORS preflight (which this server never grants)
            if (!(ctx.Request.ContentType ?? "").StartsWith("application/json", StringComparison.OrdinalIgnoreCase))
                return HttpErrors.BadRequest("send a JSON body with Content-Type: application/json");
            DiscoverRequest? req;
            try { req = await JsonSerializer.DeserializeAsync<DiscoverRequest>(ctx.Request.Body, cancellationToken: ctx.RequestAborted); }
            catch (JsonException ex) { return HttpErrors.BadRequest($"body: not valid JSON ({ex.Message.Split('.')[0]})"); }
            req ??= new DiscoverRequest(null, null, null, null, null, null, null);
            if (req.Hosts is { Count: > 16 }) return HttpErrors.BadRequest("hosts: at most 16");
            if (req.Timeout is { } t && DiscoverOptions.TimeoutProblem(t) is { } problem)
                return HttpErrors.BadRequest($"timeout: {problem} (got {t.ToString(CultureInfo.InvariantCulture)})");
            var o = discover.Defaults with
            {
                Timeout = req.Timeout is { } s ? TimeSpan.FromSeconds(s) : discover.Defaults.Timeout,
                Username = string.IsNullOrEmpty(req.Username) ? null : req.Username,
                Password = req.Password,
                Interface = string.IsNullOrWhiteSpace(req.Interface) ? discover.Defaults.Interface : req.Interface.Trim(),
                Hosts = req.Hosts?.Where(h => !string.IsNullOrWhiteSpace(h)).Select(h => h.Trim()).ToList() ?? discover.Defaults.Hosts,
                Onvif = req.Onvif ?? discover.Defaults.Onvif,
                Usb = req.Usb ?? discover.Defaults.Usb,
            };
            try
            {
                var report = await discover.TryFindAsync(o, ctx.RequestAborted);
                return report is null ? HttpErrors.Busy(ctx, "a discovery is already running", 5) : Results.Json(report);
            }
            catch (ArgumentException ex) { return HttpErrors.BadRequest(ex.Message.Replace("--interface", "interface").Replace("--host", "hosts:")); }
            catch (SocketException ex) { return HttpErrors.Failed($"cannot probe: {ex.Message}"); }
        });
        return app;
    }
}
