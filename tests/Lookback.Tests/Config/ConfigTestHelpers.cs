using Lookback.Config;

namespace Lookback.Tests.Config;

internal static class ConfigTestHelpers
{
    public static string Dump(ConfigResult r) =>
        r.Errors.Count == 0 ? "(no errors)" : string.Join("\n", r.Errors.Select(e => e.ToString()));

    public static LookbackOptions AssertValid(ConfigResult r)
    {
        Assert.True(r.IsValid, "expected a valid configuration, got:\n" + Dump(r));
        Assert.Empty(r.Errors);
        return r.Options!;
    }

    public static ConfigError AssertError(ConfigResult r, string path, int? line, string fragment)
    {
        Assert.False(r.IsValid, "expected errors, the configuration was valid");
        Assert.Null(r.Options);
        var match = r.Errors.FirstOrDefault(e => e.Path == path && e.Line == line);
        Assert.True(match is not null, $"expected an error at {path} (line {line}), got:\n{Dump(r)}");
        Assert.Contains(fragment, match!.Message);
        return match;
    }
}
