using System.Text.RegularExpressions;

namespace Lookback.Config;

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
