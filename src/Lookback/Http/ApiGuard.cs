using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Lookback.Http;

/// <summary>
/// The optional <c>http.api_token</c>. Compared in constant time (both sides hashed, then
/// <see cref="CryptographicOperations.FixedTimeEquals"/>); the token itself is never stored in a cookie: the web UI's
/// cookie holds an HMAC derived from it.
/// </summary>
public sealed class ApiToken
{
    public const string CookieName = "lookback_session";
    private readonly byte[] _hash;
    private readonly byte[] _cookieHash;

    public ApiToken(string token)
    {
        ArgumentException.ThrowIfNullOrEmpty(token);
        _hash = SHA256.HashData(Encoding.UTF8.GetBytes(token));
        CookieValue = Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(token), "lookback web ui session"u8));
        _cookieHash = SHA256.HashData(Encoding.UTF8.GetBytes(CookieValue));
    }

    /// <summary>The web UI's session cookie value (an HMAC of the token; the token cannot be recovered from it).</summary>
    public string CookieValue { get; }

    public bool Matches(string? candidate) => Same(candidate, _hash);
    public bool MatchesCookie(string? candidate) => Same(candidate, _cookieHash);

    private static bool Same(string? candidate, byte[] expected) =>
        !string.IsNullOrEmpty(candidate)
        && CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(candidate)), expected);

    /// <summary>The token a request presents: <c>Authorization: Bearer &lt;token&gt;</c>, else <c>?token=</c>.</summary>
    public static string? Presented(HttpRequest request)
    {
        var auth = request.Headers.Authorization.ToString();
        if (auth.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)) return auth["Bearer ".Length..].Trim();
        var q = request.Query["token"].ToString();
        return q.Length > 0 ? q : null;
    }
}

/// <summary>Which requests the token and the render rate limit apply to. Pure: decided from the path alone.</summary>
public static partial class ApiRoutes
{
    /// <summary>
    /// Open without the token: <c>/healthz</c>, published renders under <c>/media/</c> (MQTT and Home Assistant fetch
    /// these URLs as they are), and the web UI's static files (<c>/</c>, <c>/ui/…</c>: no camera data, the page's
    /// API calls need the token).
    /// </summary>
    public static bool IsOpen(string path) =>
        path is "/healthz" or "/" || path.StartsWith("/media/", StringComparison.Ordinal) || path.StartsWith("/ui/", StringComparison.Ordinal);

    /// <summary>Requests that start a render or an encode: <c>/api/cameras/{cam}/gif|mp4|moment.mp4|timelapse/{day}.mp4</c>
    /// the cctv-gif-buffer <c>/gif</c>, and renders asked of another node over MQTT (<c>POST /api/bus/{node}/{cam}/gif|moment</c>).</summary>
    public static bool IsRender(string path) => path == "/gif" || RenderPath().IsMatch(path);

    [GeneratedRegex(@"^(/api/cameras/[^/]+/(gif|mp4|moment\.mp4|timelapse/[^/]+\.mp4)|/api/bus/[^/]+/[^/]+/(gif|moment))$")]
    private static partial Regex RenderPath();
}

/// <summary>
/// Guards the API listener: the token (when <c>http.api_token</c> is set) for everything but
/// <see cref="ApiRoutes.IsOpen"/>, and the per-address render rate limit (429 with <c>Retry-After</c>). Requests for which
/// <c>exempt</c> is true (the add-on's ingress listener: only the Supervisor reaches it, after Home Assistant signed
/// the user in) pass untouched. <c>GET /?token=&lt;token&gt;</c> sets the web UI's session cookie and redirects to
/// <c>/</c>, so the token leaves the address bar. Never logs the token.
/// </summary>
public sealed class ApiGuard(RequestDelegate next, ApiToken? token, RenderRateLimiter limiter, Func<HttpContext, bool> exempt)
{
    public async Task InvokeAsync(HttpContext ctx)
    {
        if (exempt(ctx)) { await next(ctx); return; }
        var path = ctx.Request.Path.Value ?? "/";
        if (token is not null)
        {
            var presentedOk = token.Matches(ApiToken.Presented(ctx.Request));
            var ok = presentedOk || token.MatchesCookie(ctx.Request.Cookies[ApiToken.CookieName]);
            if (path == "/" && HttpMethods.IsGet(ctx.Request.Method) && presentedOk)
            {
                ctx.Response.Cookies.Append(ApiToken.CookieName, token.CookieValue, new CookieOptions
                {
                    HttpOnly = true, SameSite = SameSiteMode.Strict, Path = "/", IsEssential = true,
                    Secure = ctx.Request.IsHttps,
                });
                ctx.Response.Headers.CacheControl = "no-store";
                ctx.Response.Redirect("./", permanent: false);
                return;
            }
            if (!ok && !ApiRoutes.IsOpen(path))
            {
                ctx.Response.Headers.WWWAuthenticate = "Bearer";
                await Results.Json(new
                {
                    error = "unauthorized: this Lookback needs its http.api_token (header 'Authorization: Bearer <token>' or ?token=<token>; "
                            + "the web UI: open /?token=<token> once)",
                }, statusCode: StatusCodes.Status401Unauthorized).ExecuteAsync(ctx);
                return;
            }
        }
        if (ApiRoutes.IsRender(path) && !limiter.TryAcquire(ClientKey(ctx.Connection.RemoteIpAddress), out var wait))
        {
            var seconds = Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds));
            await HttpErrors.Busy(ctx, $"too many render requests from this address: at most {limiter.Limit.Burst} at once, then one every "
                + $"{limiter.Limit.Every.TotalSeconds.ToString(CultureInfo.InvariantCulture)} s; retry in {seconds} s", seconds).ExecuteAsync(ctx);
            return;
        }
        await next(ctx);
    }

    private static string ClientKey(IPAddress? remote) =>
        remote is null ? "-" : (remote.IsIPv4MappedToIPv6 ? remote.MapToIPv4() : remote).ToString();
}

public static class ApiGuardExtensions
{
    /// <summary>Puts <see cref="ApiGuard"/> in the pipeline (after the ingress guard).</summary>
    public static IApplicationBuilder UseApiGuard(this IApplicationBuilder app, string? apiToken, RenderRateLimiter limiter,
        Func<HttpContext, bool> exempt) =>
        app.Use(next => new ApiGuard(next, string.IsNullOrEmpty(apiToken) ? null : new ApiToken(apiToken), limiter, exempt).InvokeAsync);
}
