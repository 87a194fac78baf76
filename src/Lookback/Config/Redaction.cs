using System.Text;
using System.Text.RegularExpressions;

namespace Lookback.Config;

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

/// <summary>Finds likely secrets in configuration text and removes them from error messages (a safety net: messages
/// are built without configured values in the first place).</summary>
internal static partial class Secrets
{
    [GeneratedRegex(@"^[ \t\-{,]*[""']?(?:password|passwd|pwd|pass)[""']?[ \t]*:[ \t]*(?<v>.*?)[ \t]*$", RegexOptions.IgnoreCase | RegexOptions.Multiline)]
    private static partial Regex KeyLine();

    [GeneratedRegex(@"[""']?(?:password|passwd|pwd|pass)[""']?\s*:\s*(?:""(?<v>(?:[^""\\]|\\.)*)""|'(?<v>[^']*)'|(?<v>[^,}\]\s]+))", RegexOptions.IgnoreCase)]
    private static partial Regex InlineKey();

    [GeneratedRegex(@"://[^/\s@:]*:(?<v>[^/\s]+)@")]
    private static partial Regex UrlPassword();

    public static HashSet<string> FromText(string text)
    {
        var found = new HashSet<string>(StringComparer.Ordinal);
        foreach (Match m in KeyLine().Matches(text)) Add(found, m.Groups["v"].Value);
        foreach (Match m in InlineKey().Matches(text)) Add(found, m.Groups["v"].Value);
        foreach (Match m in UrlPassword().Matches(text))
        {
            Add(found, m.Groups["v"].Value);
            try { Add(found, Uri.UnescapeDataString(m.Groups["v"].Value)); } catch (UriFormatException) { }
        }
        return found;
    }

    public static void Add(HashSet<string> set, string? value)
    {
        if (string.IsNullOrEmpty(value)) return;
        var v = value.Trim();
        var hash = v.IndexOf(" #", StringComparison.Ordinal);
        if (hash > 0) Add(set, v[..hash]);
        v = v.TrimEnd(',').Trim();
        if (v.Length >= 2 && (v[0] == '"' && v[^1] == '"' || v[0] == '\'' && v[^1] == '\'')) Add(set, v[1..^1]);
        if (v.Length >= 3) set.Add(v);
    }

    public static List<ConfigError> Scrub(IEnumerable<ConfigError> errors, HashSet<string> secrets)
    {
        var ordered = secrets.Where(s => s.Length >= 3).OrderByDescending(s => s.Length).ToList();
        return errors.Select(e =>
        {
            var path = e.Path;
            var message = e.Message;
            foreach (var s in ordered)
            {
                path = path.Replace(s, "***", StringComparison.Ordinal);
                message = message.Replace(s, "***", StringComparison.Ordinal);
            }
            return path == e.Path && message == e.Message ? e : e with { Path = path, Message = message };
        }).ToList();
    }
}
