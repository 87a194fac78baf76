using System.Text.RegularExpressions;

namespace Lookback.Tests.Addon;

/// <summary>
/// scripts/check-test-deps.sh (run by <c>dev.sh test</c> before the build) knows every GStreamer element of the test
/// RTSP camera, names only packages that dev.sh installs, and passes on this machine.
/// </summary>
public sealed partial class TestDependencyTests
{
    private static string Script => File.ReadAllText(AddonFiles.PathOf("scripts", "check-test-deps.sh"));

    /// <summary>"name:package" pairs of the script's lists.</summary>
    private static Dictionary<string, string> Pairs() =>
        PairRegex().Matches(Script).ToDictionary(m => m.Groups["name"].Value, m => m.Groups["pkg"].Value);

    [Fact]
    public void The_guard_names_every_gstreamer_element_of_the_test_rtsp_camera()
    {
        var server = File.ReadAllText(AddonFiles.PathOf("tests", "Lookback.Tests", "Streams", "rtsp_server.py"));
        // the first word of every "a ! b ! c" part in the launch strings (caps and {placeholders} are not elements)
        var elements = StringLiteral().Matches(server).Select(m => m.Groups[1].Value)
            .Where(s => s.Contains(" ! ") || s.Contains("! ") || s.StartsWith("( ", StringComparison.Ordinal))
            .SelectMany(s => s.Split('!'))
            .Select(part => part.Trim().TrimStart('(').Trim().Split(' ')[0])
            .Where(word => ElementName().IsMatch(word))
            .ToHashSet();
        Assert.Contains("timeoverlay", elements); // the one a fresh machine missed
        Assert.Contains("x264enc", elements);
        var known = Pairs();
        Assert.All(elements, e => Assert.True(known.ContainsKey(e), $"check-test-deps.sh does not check GStreamer element '{e}'"));
    }

    [Fact]
    public void Every_package_the_guard_names_is_installed_by_dev_sh()
    {
        var dev = File.ReadAllText(AddonFiles.PathOf("scripts", "dev.sh"));
        var lists = Regex.Matches(dev, @"(?:runtime_pkgs|test_pkgs)=\(([^)]*)\)").SelectMany(m => m.Groups[1].Value.Split((char[])[' ', '\n'], StringSplitOptions.RemoveEmptyEntries)).ToHashSet();
        // installed with every Debian system, or as a dependency of a package in the lists
        string[] baseSystem = ["bash", "util-linux", "libgstreamer1.0-0", "python3"];
        var packages = Pairs().Values.Distinct().ToList();
        Assert.Contains("gstreamer1.0-x", packages);
        Assert.All(packages, p => Assert.True(lists.Contains(p) || baseSystem.Contains(p), $"package '{p}' is not in dev.sh runtime_pkgs/test_pkgs"));
    }

    [Fact]
    public void The_guard_passes_here_and_names_the_package_of_a_missing_element()
    {
        Assert.Equal((0, ""), RunBash(Script));
        // the same script with one element that no package provides: exit 1, the element and its package named
        var broken = Script.Replace("\"videotestsrc:", "\"nosuchelement:gstreamer1.0-nosuch\" \"videotestsrc:");
        var (code, output) = RunBash(broken);
        Assert.Equal(1, code);
        Assert.Contains("GStreamer element nosuchelement (Debian package: gstreamer1.0-nosuch)", output);
    }

    private static (int Code, string Output) RunBash(string script) => AddonFiles.Run("bash", ["-s"], script);

    [GeneratedRegex("\"(?<name>[A-Za-z0-9_./-]+):(?<pkg>[a-z0-9][a-z0-9.+-]+)\"")]
    private static partial Regex PairRegex();

    [GeneratedRegex("f?\"([^\"]*)\"")]
    private static partial Regex StringLiteral();

    [GeneratedRegex("^[a-z][a-z0-9]+$")]
    private static partial Regex ElementName();
}
