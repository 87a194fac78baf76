using System.Net;
using System.Net.Sockets;
using System.Security.Authentication;
using Lookback.Config;
using Microsoft.AspNetCore.WebUtilities;

namespace Lookback.Sources;

/// <summary>A camera fault, with a message that is safe to show (URL redacted, no password).</summary>
public sealed class CameraSourceException(string message) : Exception(message);

/// <summary>HTTP plumbing shared by the HTTP sources: request with auth (retrying 401 challenges), status checks and
/// turning every failure into one short, redacted message.</summary>
internal sealed class CameraHttp
{
    private readonly HttpClient _http;
    private readonly HttpAuthState _auth;
    private readonly string _password;

    public CameraHttp(CameraOptions options, HttpClient http)
    {
        _http = http;
        if (!Uri.TryCreate(options.Url, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
            throw new ArgumentException($"not an http(s) URL: {Redaction.Redact(options.Url)}", nameof(options));
        var user = options.Username;
        var password = options.Password;
        if (uri.UserInfo.Length > 0)
        {
            // credentials in the URL: used when none are configured, never sent as part of the URL
            var colon = uri.UserInfo.IndexOf(':');
            if (user.Length == 0) user = Uri.UnescapeDataString(colon < 0 ? uri.UserInfo : uri.UserInfo[..colon]);
            if (password.Length == 0 && colon >= 0) password = Uri.UnescapeDataString(uri.UserInfo[(colon + 1)..]);
            uri = new UriBuilder(uri) { UserName = "", Password = "" }.Uri;
        }
        Uri = uri;
        _password = password;
        SafeUrl = Redaction.Redact(options.Url);
        _auth = new HttpAuthState(options.Auth, user, password);
        TimeoutSeconds = options.Timeout > 0 ? options.Timeout : 10;
        MaxFrameBytes = options.MaxFrameBytes > 0 ? options.MaxFrameBytes : 8 * 1024 * 1024;
    }

    public Uri Uri { get; }
    /// <summary>The URL as it may appear in messages.</summary>
    public string SafeUrl { get; }
    public double TimeoutSeconds { get; }
    public TimeSpan Timeout => TimeSpan.FromSeconds(TimeoutSeconds);
    public int MaxFrameBytes { get; }
    internal HttpAuthState Auth => _auth;

    /// <summary>GET with headers read; a 2xx response or a <see cref="CameraSourceException"/>.</summary>
    public async Task<HttpResponseMessage> GetAsync(CancellationToken ct)
    {
        for (var attempt = 0; ; attempt++)
        {
            using var req = new HttpRequestMessage(HttpMethod.Get, Uri);
            var authorization = _auth.Authorization("GET", Uri.PathAndQuery);
            if (authorization is not null) req.Headers.TryAddWithoutValidation("Authorization", authorization);
            req.Headers.TryAddWithoutValidation("Accept", "image/jpeg, multipart/x-mixed-replace, */*;q=0.5");
            var resp = await _http.SendAsync(req, HttpCompletionOption.ResponseHeadersRead, ct).ConfigureAwait(false);
            if (resp.StatusCode == HttpStatusCode.Unauthorized)
            {
                var problem = attempt < 3 ? _auth.OnUnauthorized(resp.Headers.WwwAuthenticate) : "camera keeps refusing the credentials";
                resp.Dispose();
                if (problem is null) continue;
                throw Fail($"HTTP 401 Unauthorized: {problem}");
            }
            if (!resp.IsSuccessStatusCode)
            {
                var code = (int)resp.StatusCode;
                var reason = string.IsNullOrWhiteSpace(resp.ReasonPhrase) ? ReasonPhrases.GetReasonPhrase(code) : resp.ReasonPhrase;
                resp.Dispose();
                throw Fail($"HTTP {code} {reason}".TrimEnd());
            }
            return resp;
        }
    }

    /// <summary>A <see cref="CameraSourceException"/> whose message is "<paramref name="reason"/> from &lt;url&gt;".</summary>
    public CameraSourceException Fail(string reason) => new(Message(reason));

    public string Message(string reason) => Redaction.Scrub($"{reason} from {SafeUrl}", _password);

    /// <summary>One short, safe line for any failure (the caller handles its own cancellation first).</summary>
    public string Describe(Exception ex) => ex is CameraSourceException ? Redaction.Scrub(ex.Message, _password) : Message(Reason(ex));

    public string TimeoutMessage() => Message($"timeout after {TimeoutSeconds:0.###} s");

    internal static string Reason(Exception ex)
    {
        for (var e = ex; e is not null; e = e.InnerException)
        {
            switch (e)
            {
                case SocketException se:
                    return se.SocketErrorCode switch
                    {
                        SocketError.ConnectionRefused => "connection refused",
                        SocketError.HostNotFound or SocketError.NoData or SocketError.TryAgain => "host not found",
                        SocketError.TimedOut => "connect timeout",
                        SocketError.HostUnreachable or SocketError.NetworkUnreachable or SocketError.HostDown or SocketError.NetworkDown => "host unreachable",
                        SocketError.ConnectionReset or SocketError.ConnectionAborted or SocketError.Shutdown => "connection reset by camera",
                        _ => $"network error ({se.SocketErrorCode})",
                    };
                case TimeoutException:
                    return "connect timeout";
                case AuthenticationException:
                    return "TLS handshake failed";
            }
        }
        return ex switch
        {
            HttpIOException { HttpRequestError: HttpRequestError.ResponseEnded } => "connection closed mid-response",
            HttpRequestException { HttpRequestError: HttpRequestError.NameResolutionError } => "host not found",
            HttpRequestException { HttpRequestError: HttpRequestError.ConnectionError } => "cannot connect",
            HttpRequestException { HttpRequestError: HttpRequestError.SecureConnectionError } => "TLS handshake failed",
            HttpRequestException { HttpRequestError: HttpRequestError.ResponseEnded } => "connection closed by camera",
            HttpRequestException { HttpRequestError: HttpRequestError.InvalidResponse } => "invalid HTTP response",
            HttpRequestException { HttpRequestError: HttpRequestError.ConfigurationLimitExceeded } => "too many redirects or headers too large",
            HttpRequestException => "HTTP request failed",
            IOException => "connection closed mid-response",
            _ => $"{ex.GetType().Name}: {ex.Message}",
        };
    }

    /// <summary>The full Content-Type header value (media type and parameters), or null.</summary>
    public static string? ContentTypeValue(HttpResponseMessage resp) => resp.Content.Headers.ContentType?.ToString();
}
