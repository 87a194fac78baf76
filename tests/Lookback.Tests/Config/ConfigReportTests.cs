using Lookback.Config;

namespace Lookback.Tests.Config;

public class ConfigReportTests
{
    [Fact]
    public void Describe_prints_one_line_per_camera()
    {
        var r = ConfigLoader.Parse("""
            cameras:
              frontdoor:
                url: http://192.168.0.9/ISAPI/Streaming/channels/101/picture
                kind: snapshot
              drive:
                url: rtsp://cam/stream
                interval: 0.5
                store: 120
                buffer_seconds: 60
                auth: digest
                username: admin
                password: pw
            """, "c.yaml");
        Assert.True(r.IsValid);
        var lines = ConfigReport.Describe(r.Options!).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(
        [
            "frontdoor  snapshot  http://192.168.0.9/ISAPI/Streaming/channels/101/picture  every 1 s, 30 frames",
            "drive  rtsp  rtsp://cam/stream  every 0.5 s, 120 frames, at most 60 s, digest auth",
        ], lines);
    }

    [Fact]
    public void Check_returns_0_and_prints_cameras_for_a_valid_file()
    {
        var dir = Directory.CreateTempSubdirectory("lookback-check-");
        try
        {
            var path = Path.Combine(dir.FullName, "config.yaml");
            File.WriteAllText(path, ConfigLoaderTests.CctvGifBuffer);
            var stdout = new StringWriter();
            var stderr = new StringWriter();
            Assert.Equal(0, ConfigReport.Check(path, stdout, stderr));
            Assert.Equal("", stderr.ToString());
            Assert.Equal("frontdoor  auto  http://192.168.0.9/ISAPI/Streaming/channels/101/picture  every 0.5 s, 20 frames, digest auth\n",
                stdout.ToString());
            Assert.DoesNotContain("secret", stdout.ToString());
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public void Check_returns_2_and_prints_every_error_for_an_invalid_file()
    {
        var dir = Directory.CreateTempSubdirectory("lookback-check-");
        try
        {
            var path = Path.Combine(dir.FullName, "config.yaml");
            File.WriteAllText(path, "cameras:\n  frontdoor:\n    url: http://cam/p\n    interval: 0\n    store: 0\n");
            var stdout = new StringWriter();
            var stderr = new StringWriter();
            Assert.Equal(2, ConfigReport.Check(path, stdout, stderr));
            Assert.Equal("", stdout.ToString());
            var lines = stderr.ToString().Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries);
            Assert.Equal(
            [
                "cameras.frontdoor.interval: must be greater than 0 (line 4)",
                "cameras.frontdoor.store: must be at least 1 (line 5)",
            ], lines);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public void Check_returns_2_for_a_missing_file()
    {
        var stderr = new StringWriter();
        var path = Path.Combine(Path.GetTempPath(), "lookback-none-" + Guid.NewGuid().ToString("N"), "config.yaml");
        Assert.Equal(2, ConfigReport.Check(path, new StringWriter(), stderr));
        Assert.Contains(path, stderr.ToString());
    }
}
