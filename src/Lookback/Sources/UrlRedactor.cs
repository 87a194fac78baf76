using System.Text;

namespace Lookback.Sources;

/// <summary>Makes camera URLs safe to show: no user info, and secret-looking query values replaced by <c>***</c>.</summary>
public static class UrlRedactor
{
    private static readonly string[] SecretKeys = ["password", "passwd", "pwd", "pass", "token", "auth", "key", "secret", "apikey", "api_key", "sig", "signature", "access_token"];

    /// <summary>True for query keys whose value must not be shown (password, pwd, pass, token, auth, key, …).</summary>
    public static bool IsSecretKey(string key)
    {
        var k = key.Trim().ToLowerInvariant();
        foreach (var s in SecretKeys)
            if (k == s) return true;
        return k.Contains("pass") || k.Contains("pwd") || k.Contains("token") || k.Contains("secret")
            || k.EndsWith("key") || k.EndsWith("_auth") || k.StartsWith("auth");
    }

    public static string Redact(string url)
    {
        if (string.IsNullOrEmpty(url)) return url;
        var s = url;
        // user info: scheme://user:pass@host → scheme://host
        var schemeEnd = s.IndexOf("://", StringComparison.Ordinal);
        var authStart = schemeEnd >= 0 ? schemeEnd + 3 : 0;
        var authEnd = s.IndexOfAny(['/', '?', '#'], authStart);
        if (authEnd < 0) authEnd = s.Length;
        var at = s.LastIndexOf('@', authEnd - 1, authEnd - authStart);
        if (at >= authStart) s = s[..authStart] + s[(at + 1)..];

        var q = s.IndexOf('?');
        if (q < 0) return s;
        var hash = s.IndexOf('#', q);
        var query = hash < 0 ? s[(q + 1)..] : s[(q + 1)..hash];
        var sb = new StringBuilder(s.Length);
        sb.Append(s, 0, q + 1);
        var first = true;
        foreach (var pair in query.Split('&'))
        {
            if (!first) sb.Append('&');
            first = false;
            var eq = pair.IndexOf('=');
            if (eq < 0) { sb.Append(pair); continue; }
            var key = Uri.UnescapeDataString(pair[..eq]);
            sb.Append(pair, 0, eq + 1);
            sb.Append(IsSecretKey(key) ? "***" : pair[(eq + 1)..]);
        }
        if (hash >= 0) sb.Append(s, hash, s.Length - hash);
        return sb.ToString();
    }

    /// <summary>Removes every occurrence of <paramref name="secret"/> (raw and URL-escaped) from a message.</summary>
    public static string Scrub(string message, string? secret)
    {
        if (string.IsNullOrEmpty(message) || secret is null || secret.Length < 3) return message; // shorter: would garble every message
        message = message.Replace(secret, "***", StringComparison.Ordinal);
        var escaped = Uri.EscapeDataString(secret);
        if (escaped != secret) message = message.Replace(escaped, "***", StringComparison.OrdinalIgnoreCase);
        return message;
    }
}
