using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Lookback.Config;

/// <summary>
/// The <c>time_pattern</c> of a folder camera: where the capture time is written in a file's name.
/// <list type="bullet">
/// <item><b>Bare format</b> — <c>yyyyMMdd_HHmmss</c>: the time is found anywhere in the file name
/// (<c>cam1_20260105_173000.jpg</c>), not inside a longer run of digits.</item>
/// <item><b>Glob</b> — <c>*_{yyyyMMddHHmmss}*.jpg</c>: the whole file name must match; <c>{…}</c> holds the time format,
/// <c>*</c> any characters except '/', <c>**</c> any characters, <c>?</c> one character; anything else is literal
/// (letters compare case-insensitively). Several <c>{…}</c> may share the fields: <c>{yyyy-MM-dd}/*_{HHmmss}.jpg</c>.</item>
/// <item>A pattern with a '/' is matched against the path relative to the camera's folder (subfolders), else
/// against the file name alone.</item>
/// </list>
/// Time fields: <c>yyyy</c> <c>yy</c> <c>MM</c> <c>dd</c> <c>HH</c> <c>mm</c> <c>ss</c>, fractions <c>f</c>..<c>fff</c>,
/// and <c>unix</c> / <c>unixms</c> (seconds / milliseconds since 1970, UTC). Year, month, day, hour and minute are
/// required (or unix); seconds default to 0. Other letters in a format are an error (<c>hh</c>, <c>DD</c> are typical
/// typos); other characters are literal. Times are the local time of the add-on (its TZ), like the media folders.
/// A file whose name does not match (or gives an impossible date) falls back to EXIF DateTimeOriginal, then mtime.
/// </summary>
public sealed partial class FileTimePattern
{
    private readonly Regex _regex;
    private readonly bool _bare;

    private FileTimePattern(string text, Regex regex, bool bare, bool matchesPath)
    {
        Text = text; _regex = regex; _bare = bare; MatchesPath = matchesPath;
    }

    public string Text { get; }
    /// <summary>True when the pattern is matched against the relative path (it contains '/').</summary>
    public bool MatchesPath { get; }

    private static readonly string[] Tokens = ["unixms", "unix", "yyyy", "yy", "MM", "dd", "HH", "mm", "ss", "fff", "ff", "f"];

    public static FileTimePattern Parse(string text) =>
        TryParse(text, out var p, out var error) ? p! : throw new FormatException(error);

    /// <summary>False with a user-facing reason (naming no configured value) when the pattern is not valid.</summary>
    public static bool TryParse(string text, out FileTimePattern? pattern, out string? error)
    {
        pattern = null;
        error = null;
        if (string.IsNullOrWhiteSpace(text)) { error = "must not be empty"; return false; }
        text = text.Trim();
        var bare = text.IndexOfAny(['{', '}', '*', '?', '/']) < 0;
        var rx = new StringBuilder(bare ? @"(?<!\d)" : "^");
        var fields = new HashSet<string>(StringComparer.Ordinal);
        if (bare)
        {
            if (!Format(text, rx, fields, out error))
            {
                if (error!.StartsWith("unknown", StringComparison.Ordinal))
                    error += " (other text goes outside a {…} time format, e.g. IMG_{yyyyMMdd_HHmmss}*.jpg)";
                return false;
            }
        }
        else
        {
            for (var i = 0; i < text.Length; i++)
            {
                var c = text[i];
                switch (c)
                {
                    case '{':
                        var close = text.IndexOf('}', i + 1);
                        if (close < 0) { error = "a '{' has no matching '}'"; return false; }
                        var inner = text[(i + 1)..close];
                        if (inner.Length == 0) { error = "'{}' is empty: put a time format inside, like {yyyyMMdd_HHmmss}"; return false; }
                        if (inner.IndexOfAny(['{', '*', '?', '/']) >= 0) { error = "a '{…}' time format must not contain '{', '*', '?' or '/'"; return false; }
                        if (!Format(inner, rx, fields, out error)) return false;
                        i = close;
                        break;
                    case '}':
                        error = "a '}' has no matching '{'";
                        return false;
                    case '*' when i + 1 < text.Length && text[i + 1] == '*':
                        rx.Append(".*?");
                        i++;
                        break;
                    case '*':
                        rx.Append("[^/]*?");
                        break;
                    case '?':
                        rx.Append("[^/]");
                        break;
                    default:
                        rx.Append(Regex.Escape(c.ToString()));
                        break;
                }
            }
        }
        rx.Append(bare ? @"(?!\d)" : "$");
        var unix = fields.Contains("unix") || fields.Contains("unixms");
        if (!unix)
        {
            string[] need = ["year", "MM", "dd", "HH", "mm"];
            var missing = need.Where(n => !fields.Contains(n)).Select(n => n == "year" ? "yyyy" : n).ToList();
            if (missing.Count > 0)
            {
                error = $"needs at least year, month, day, hour and minute (missing {string.Join(", ", missing)}), or unix";
                return false;
            }
        }
        pattern = new FileTimePattern(text, new Regex(rx.ToString(), RegexOptions.IgnoreCase | RegexOptions.CultureInvariant,
            TimeSpan.FromMilliseconds(100)), bare, text.Contains('/'));
        return true;
    }

    private static bool Format(string fmt, StringBuilder rx, HashSet<string> fields, out string? error)
    {
        error = null;
        for (var i = 0; i < fmt.Length;)
        {
            var token = Tokens.FirstOrDefault(t => string.CompareOrdinal(fmt, i, t, 0, t.Length) == 0);
            if (token is null)
            {
                var c = fmt[i];
                if (char.IsAsciiLetter(c))
                {
                    var run = new string(c, fmt.Skip(i).TakeWhile(x => x == c).Count());
                    var hint = run.ToLowerInvariant() switch
                    {
                        "hh" or "h" => "HH (24-hour)", "dd" or "d" => "dd", "yyyy" or "yy" => "yyyy", "ss" => "ss",
                        "mm" when char.IsUpper(c) => "MM (month)", _ => null,
                    };
                    error = $"unknown time field '{run}'" + (hint is null ? "; use yyyy yy MM dd HH mm ss f ff fff unix unixms" : $", did you mean {hint}?");
                    return false;
                }
                rx.Append(Regex.Escape(c.ToString()));
                i++;
                continue;
            }
            var name = token switch { "yyyy" or "yy" => "year", "fff" or "ff" or "f" => "frac", _ => token };
            if (!fields.Add(name)) { error = $"time field '{token}' appears twice"; return false; }
            rx.Append(token switch
            {
                "unixms" => @"(?<unixms>\d{13})",
                "unix" => @"(?<unix>\d{9,10})",
                "yyyy" => @"(?<y4>\d{4})",
                "yy" => @"(?<y2>\d{2})",
                "fff" or "ff" or "f" => $@"(?<frac>\d{{{token.Length}}})",
                _ => $@"(?<{token}>\d{{2}})",
            });
            i += token.Length;
        }
        return true;
    }

    /// <summary>
    /// The time in <paramref name="relativePath"/> (use '/' between folders; only the file name is looked at unless
    /// the pattern has a '/'), read in <paramref name="zone"/> (default: local); null when it does not match.
    /// </summary>
    public DateTimeOffset? TryGetTime(string relativePath, TimeZoneInfo? zone = null)
    {
        var subject = MatchesPath ? relativePath.Replace('\\', '/') : Path.GetFileName(relativePath.Replace('\\', '/'));
        try
        {
            for (var m = _regex.Match(subject); m.Success; m = _bare ? m.NextMatch() : Match.Empty)
                if (FromMatch(m, zone ?? TimeZoneInfo.Local) is { } t) return t;
        }
        catch (RegexMatchTimeoutException) { }
        return null;
    }

    private static DateTimeOffset? FromMatch(Match m, TimeZoneInfo zone)
    {
        static int G(Match m, string n) => int.Parse(m.Groups[n].ValueSpan, NumberStyles.None, CultureInfo.InvariantCulture);
        if (m.Groups["unixms"].Success)
            return long.TryParse(m.Groups["unixms"].ValueSpan, out var ms) && ms < 253402300799999 ? DateTimeOffset.FromUnixTimeMilliseconds(ms) : null;
        if (m.Groups["unix"].Success)
            return DateTimeOffset.FromUnixTimeSeconds(long.Parse(m.Groups["unix"].ValueSpan, CultureInfo.InvariantCulture));
        var year = m.Groups["y4"].Success ? G(m, "y4") : 2000 + G(m, "y2");
        int month = G(m, "MM"), day = G(m, "dd"), hour = G(m, "HH"), minute = G(m, "mm");
        var second = m.Groups["ss"].Success ? G(m, "ss") : 0;
        var ms2 = 0;
        if (m.Groups["frac"].Success)
        {
            var f = m.Groups["frac"].Value;
            ms2 = int.Parse(f.PadRight(3, '0')[..3], CultureInfo.InvariantCulture);
        }
        if (year < 1970 || month is < 1 or > 12 || day < 1 || day > DateTime.DaysInMonth(year, month)
            || hour > 23 || minute > 59 || second > 59) return null;
        var local = new DateTime(year, month, day, hour, minute, second, ms2, DateTimeKind.Unspecified);
        if (zone.IsInvalidTime(local)) local = local.AddHours(1); // in the spring-forward gap
        return new DateTimeOffset(local, zone.GetUtcOffset(local));
    }

    public override string ToString() => Text;
}
