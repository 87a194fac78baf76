using System.Globalization;
using System.Text;

namespace Lookback.Config;

/// <summary>What <c>lookback check</c> prints.</summary>
public static class ConfigReport
{
    /// <summary>One line per camera: <c>frontdoor  snapshot  http://host/picture  every 1 s, 30 frames</c>.
    /// URLs are redacted (<see cref="Redaction.Redact"/>); passwords never appear.</summary>
    public static string Describe(LookbackOptions options)
    {
        var sb = new StringBuilder();
        foreach (var c in options.Cameras)
        {
            sb.Append(c.Slug).Append("  ")
              .Append(c.Kind.ToString().ToLowerInvariant()).Append("  ")
              .Append(Redaction.Redact(c.Url)).Append("  ")
              .Append("every ").Append(c.Interval.ToString(CultureInfo.InvariantCulture)).Append(" s, ")
              .Append(c.Store.ToString(CultureInfo.InvariantCulture)).Append(" frames");
            if (c.BufferSeconds is { } seconds)
                sb.Append(", at most ").Append(seconds.ToString(CultureInfo.InvariantCulture)).Append(" s");
            if (c.Auth != AuthKind.None)
                sb.Append(", ").Append(c.Auth.ToString().ToLowerInvariant()).Append(" auth");
            sb.Append('\n');
        }
        return sb.ToString();
    }

    /// <summary><c>lookback check --config FILE</c>: 0 and the camera lines on <paramref name="stdout"/> when valid;
    /// 2 and every error, one per line, on <paramref name="stderr"/> when not (also a storage.path that is a file or not writable).</summary>
    public static int Check(string path, TextWriter stdout, TextWriter stderr)
    {
        var result = ConfigLoader.LoadFile(path).CheckStorage();
        if (result.IsValid)
        {
            stdout.Write(Describe(result.Options!));
            return 0;
        }
        foreach (var error in result.Errors) stderr.WriteLine(error.ToString());
        return 2;
    }
}
