using System.Text;
using System.Text.RegularExpressions;

namespace Lookback.Common;

/// <summary>Keeps credentials out of logs, errors and reports.</summary>
public static partial class Redaction
{
    private static readonly string[] SecretKeys =
        ["password", "passwd", "pwd", "pass", "token", "auth", "key", "secret", "apikey", "api_key", "sig", "signature", "access_token"];

    /// <summary>True for query keys whose value must not be shown (password, pwd, pass, token, auth, key, …).</summary>
    public static bool IsSecretKey(string key)
    {
        var k = key.Trim().ToLowerInvariant();
        return SecretKeys.Contains(k)
            || k.Contains("pass") || k.Contains("pwd") || k.Contains("token") || k.Contains("secret")
            || k.EndsWith("key") || k.EndsWith("_auth") || k.StartsWith("auth");
    }

    /// <summary>
    /// The URL without credentials: <c>user:pass@</c> is removed from the authority, and the values of query
    /// parameters that usually carry secrets (<c>password</c>, <c>pwd</c>, <c>token</c>, …) become <c>***</c>.
    /// Anything that is not a URL (a device or folder path) comes back unchanged. Null gives "".
    /// </summary>
    public static string Redact(string? url)
    {
        if (string.IsNullOrEmpty(url)) return "";
        var (withoutUserInfo, _, _) = SplitUserInfo(url);
        var q = withoutUserInfo.IndexOf('?');
        if (q < 0) return withoutUserInfo;
        var hash = withoutUserInfo.IndexOf('#', q);
        var query = hash < 0 ? withoutUserInfo[(q + 1)..] : withoutUserInfo[(q + 1)..hash];
        var parts = query.Split('&');
        for (var i = 0; i < parts.Length; i++)
        {
            var eq = parts[i].IndexOf('=');
            if (eq > 0 && IsSecretKey(Unescape(parts[i][..eq])) && eq < parts[i].Length - 1)
                parts[i] = parts[i][..(eq + 1)] + "***";
        }
        var sb = new StringBuilder(withoutUserInfo[..(q + 1)]).Append(string.Join('&', parts));
        if (hash >= 0) sb.Append(withoutUserInfo[hash..]);
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

    /// <summary>Splits <c>scheme://user:pass@host/…</c> into the URL without user info and the (percent-decoded)
    /// user and password; null when absent. The last '@' of the authority separates the user info.</summary>
    internal static (string Url, string? User, string? Password) SplitUserInfo(string url)
    {
        var schemeEnd = url.IndexOf("://", StringComparison.Ordinal);
        if (schemeEnd <= 0) return (url, null, null);
        var authStart = schemeEnd + 3;
        var authEnd = url.IndexOfAny(['/', '?', '#'], authStart);
        if (authEnd < 0) authEnd = url.Length;
        var at = url.LastIndexOf('@', authEnd - 1, authEnd - authStart);
        if (at < 0) return (url, null, null);
        var userInfo = url[authStart..at];
        var colon = userInfo.IndexOf(':');
        var user = colon < 0 ? userInfo : userInfo[..colon];
        var password = colon < 0 ? null : userInfo[(colon + 1)..];
        return (url[..authStart] + url[(at + 1)..], Unescape(user), password is null ? null : Unescape(password));
    }

    private static string Unescape(string s)
    {
        try { return Uri.UnescapeDataString(s); }
        catch (UriFormatException) { return s; }
    }
}
