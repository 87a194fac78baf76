using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using Lookback.Config;

namespace Lookback.Sources;

/// <summary>A parsed <c>WWW-Authenticate</c> challenge: scheme plus its parameters (keys lower-case).</summary>
internal sealed record AuthChallenge(string Scheme, IReadOnlyDictionary<string, string> Parameters)
{
    public string? this[string key] => Parameters.TryGetValue(key, out var v) ? v : null;

    public static AuthChallenge Parse(string scheme, string? parameters) => new(scheme, ParseParameters(parameters));

    /// <summary>Parses <c>key=value, key="quoted \" value"</c> lists.</summary>
    public static Dictionary<string, string> ParseParameters(string? s)
    {
        var d = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        if (string.IsNullOrEmpty(s)) return d;
        var i = 0;
        while (i < s.Length)
        {
            while (i < s.Length && (s[i] == ',' || char.IsWhiteSpace(s[i]))) i++;
            var ks = i;
            while (i < s.Length && s[i] != '=' && s[i] != ',') i++;
            var key = s[ks..i].Trim();
            if (i >= s.Length || s[i] == ',') { if (key.Length > 0) d[key] = ""; continue; }
            i++; // '='
            while (i < s.Length && s[i] == ' ') i++;
            string value;
            if (i < s.Length && s[i] == '"')
            {
                var sb = new StringBuilder();
                i++;
                while (i < s.Length && s[i] != '"')
                {
                    if (s[i] == '\\' && i + 1 < s.Length) i++;
                    sb.Append(s[i++]);
                }
                i++; // closing quote
                value = sb.ToString();
            }
            else
            {
                var vs = i;
                while (i < s.Length && s[i] != ',') i++;
                value = s[vs..i].Trim();
            }
            if (key.Length > 0) d[key] = value;
        }
        return d;
    }
}

/// <summary>Digest access authentication (RFC 7616 / 2617): MD5, SHA-256 and their -sess variants, qop auth (and auth-int for
/// bodiless requests) or none (RFC 2069), nonce count, client nonce, opaque.</summary>
internal sealed class DigestSession
{
    private readonly string _user, _password;
    private int _nc;

    public DigestSession(AuthChallenge challenge, string user, string password)
    {
        Challenge = challenge;
        _user = user;
        _password = password;
        Realm = challenge["realm"] ?? "";
        Nonce = challenge["nonce"] ?? "";
        Opaque = challenge["opaque"];
        Algorithm = challenge["algorithm"] ?? "MD5";
        var qops = (challenge["qop"] ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        Qop = qops.Length == 0 ? null
            : qops.Contains("auth", StringComparer.OrdinalIgnoreCase) ? "auth"
            : qops.Contains("auth-int", StringComparer.OrdinalIgnoreCase) ? "auth-int" : null;
    }

    public AuthChallenge Challenge { get; }
    public string Realm { get; }
    public string Nonce { get; }
    public string? Opaque { get; }
    public string Algorithm { get; }
    public string? Qop { get; }
    /// <summary>Nonce count of the last header made (1 for the first use of this nonce).</summary>
    public int NonceCount => _nc;

    public static bool IsSupported(AuthChallenge c)
    {
        var alg = (c["algorithm"] ?? "MD5").ToUpperInvariant();
        return c["nonce"] is not null && alg is "MD5" or "MD5-SESS" or "SHA-256" or "SHA-256-SESS";
    }

    /// <summary>Builds the Authorization header value for one request (increments the nonce count).</summary>
    public string Authorize(string method, string uri, string? cnonce = null)
    {
        var nc = (++_nc).ToString("x8");
        cnonce ??= Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        var alg = Algorithm.ToUpperInvariant();
        var ha1 = H($"{_user}:{Realm}:{_password}");
        if (alg.EndsWith("-SESS")) ha1 = H($"{ha1}:{Nonce}:{cnonce}");
        var ha2 = Qop == "auth-int" ? H($"{method}:{uri}:{H("")}") : H($"{method}:{uri}");
        var response = Qop is null ? H($"{ha1}:{Nonce}:{ha2}") : H($"{ha1}:{Nonce}:{nc}:{cnonce}:{Qop}:{ha2}");
        var sb = new StringBuilder("Digest ");
        sb.Append("username=\"").Append(Quote(_user)).Append("\", realm=\"").Append(Quote(Realm))
          .Append("\", nonce=\"").Append(Quote(Nonce)).Append("\", uri=\"").Append(Quote(uri))
          .Append("\", algorithm=").Append(Algorithm)
          .Append(", response=\"").Append(response).Append('"');
        if (Opaque is not null) sb.Append(", opaque=\"").Append(Quote(Opaque)).Append('"');
        if (Qop is not null) sb.Append(", qop=").Append(Qop).Append(", nc=").Append(nc).Append(", cnonce=\"").Append(cnonce).Append('"');
        return sb.ToString();
    }

    public string H(string s) => Hash(Algorithm, s);

    public static string Hash(string algorithm, string s)
    {
        var bytes = Encoding.UTF8.GetBytes(s);
        return algorithm.StartsWith("SHA-256", StringComparison.OrdinalIgnoreCase)
            ? Convert.ToHexStringLower(SHA256.HashData(bytes))
            : Convert.ToHexStringLower(MD5.HashData(bytes));
    }

    private static string Quote(string s) => s.Replace("\\", "\\\\").Replace("\"", "\\\"");
}

/// <summary>
/// Per-source HTTP authentication state. Basic is sent preemptively when configured; digest challenges are kept and
/// reused (nonce count grows) until the camera answers 401 with stale=true or a new nonce. With no auth configured but
/// credentials present, answers whatever scheme the camera asks for. Not thread-safe (one source, sequential requests).
/// </summary>
internal sealed class HttpAuthState(AuthKind kind, string user, string password)
{
    private DigestSession? _digest;
    private bool _basic = kind == AuthKind.Basic;
    private bool _lastUsedFreshNonce;

    public bool HasCredentials => user.Length > 0 || password.Length > 0;
    public DigestSession? Digest => _digest;

    /// <summary>Authorization header value for the next request, or null.</summary>
    public string? Authorization(string method, string requestUri)
    {
        if (!HasCredentials) return null;
        if (_digest is not null)
        {
            var h = _digest.Authorize(method, requestUri);
            _lastUsedFreshNonce = _digest.NonceCount == 1;
            return h;
        }
        if (_basic) return "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{password}"));
        return null;
    }

    /// <summary>Decides what to do with a 401: null = retry now with new credentials; otherwise the reason to report.</summary>
    public string? OnUnauthorized(IEnumerable<AuthenticationHeaderValue> challenges)
    {
        if (!HasCredentials) return "camera asks for a username and password (none configured)";
        var list = challenges.Select(c => AuthChallenge.Parse(c.Scheme, c.Parameter)).ToList();
        var digest = list.Where(c => c.Scheme.Equals("Digest", StringComparison.OrdinalIgnoreCase) && DigestSession.IsSupported(c))
            .OrderByDescending(c => (c["algorithm"] ?? "MD5").StartsWith("SHA-256", StringComparison.OrdinalIgnoreCase))
            .FirstOrDefault();
        var basic = list.Any(c => c.Scheme.Equals("Basic", StringComparison.OrdinalIgnoreCase));
        if (digest is not null)
        {
            var previous = _digest;
            _digest = new DigestSession(digest, user, password);
            if (previous is null) return null; // first challenge
            var stale = string.Equals(digest["stale"], "true", StringComparison.OrdinalIgnoreCase);
            // A 401 to a fresh nonce means the credentials are wrong; to a reused one, the nonce may have expired.
            if (stale || (!_lastUsedFreshNonce && digest["nonce"] != previous.Nonce)) return null;
            return "wrong username or password (digest)";
        }
        if (basic)
        {
            if (kind == AuthKind.Digest) return "camera asks for basic auth but auth is set to digest";
            if (_basic) return "wrong username or password (basic)";
            _basic = true;
            return null;
        }
        var schemes = string.Join(", ", list.Select(c => c.Scheme).Distinct());
        return schemes.Length == 0 ? "camera refused the credentials" : $"unsupported auth scheme ({schemes})";
    }
}
