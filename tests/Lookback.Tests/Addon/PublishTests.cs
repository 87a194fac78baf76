using System.Diagnostics;

namespace Lookback.Tests.Addon;

/// <summary>
/// What the Dockerfile's build stage does, for both add-on architectures. Minutes of CPU, so it runs only when
/// LOOKBACK_PUBLISH_TEST=1 (otherwise it returns at once and counts as passed).
/// </summary>
public class PublishTests
{
    [Theory]
    [InlineData("linux-x64")]
    [InlineData("linux-arm64")]
    public async Task Self_contained_publish_succeeds(string rid)
    {
        if (Environment.GetEnvironmentVariable("LOOKBACK_PUBLISH_TEST") != "1") return;
        var output = Path.Combine(Path.GetTempPath(), $"lookback-publish-{rid}-{Guid.NewGuid():N}");
        try
        {
            var psi = new ProcessStartInfo("dotnet")
            {
                WorkingDirectory = AddonFiles.Root, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
            };
            foreach (var a in new[] { "publish", "src/Lookback/Lookback.csproj", "-c", "Release", "-r", rid, "--self-contained", "true",
                         "-p:DebugType=none", "-o", output, "-nologo" })
                psi.ArgumentList.Add(a);
            using var p = Process.Start(psi)!;
            var stdout = p.StandardOutput.ReadToEndAsync();
            var stderr = p.StandardError.ReadToEndAsync();
            using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(15));
            await p.WaitForExitAsync(timeout.Token);
            Assert.True(p.ExitCode == 0, await stdout + await stderr);
            Assert.True(File.Exists(Path.Combine(output, "lookback")), "no apphost 'lookback' in the output");
            Assert.True(File.Exists(Path.Combine(output, "libSkiaSharp.so")), "no native SkiaSharp for " + rid);
        }
        finally
        {
            if (Directory.Exists(output)) Directory.Delete(output, true);
        }
    }
}
