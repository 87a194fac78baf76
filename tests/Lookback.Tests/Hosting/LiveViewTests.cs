using System.Text;
using System.Text.Json;
using Lookback.Config;
using Lookback.Http;
using Lookback.Tests.Sources;

namespace Lookback.Tests.Hosting;

/// <summary>The live-view URLs a camera's diagnostics show for Home Assistant, and that the MJPEG one streams.</summary>
public sealed class LiveViewTests
{
    [Fact]
    public void Rtsp_cameras_offer_their_stream_without_the_password_every_kind_the_mjpeg_restream()
    {
        var rtsp = new CameraOptions { Slug = "gate", Url = "rtsp://192.0.2.7:554/stream1?token=abc", Username = "admin", Password = "S3cret!" };
        var live = LiveView.For(rtsp, CameraKind.Rtsp, "http://local-lookback:8098/");
        Assert.Equal("rtsp://admin:***@192.0.2.7:554/stream1?token=***", live.StreamUrl);
        Assert.Equal("http://local-lookback:8098/api/cameras/gate/mjpeg", live.MjpegUrl);
        Assert.Equal("http://local-lookback:8098/api/cameras/gate/snapshot.jpg", live.SnapshotUrl);
        Assert.StartsWith("go2rtc", live.HomeAssistant);
        Assert.DoesNotContain("S3cret", JsonSerializer.Serialize(live));

        var snap = LiveView.For(new CameraOptions { Slug = "yard", Url = "http://192.0.2.8/snap.jpg" }, CameraKind.Snapshot, null);
        Assert.Null(snap.StreamUrl);
        Assert.Null(snap.MjpegUrl);
        Assert.StartsWith("MJPEG", snap.HomeAssistant);
    }

    [Fact]
    public async Task The_diagnostics_mjpeg_url_streams_the_camera_as_multipart_jpeg()
    {
        await using var server = await TestCameraServer.StartAsync();
        await using var h = await AppHarness.StartAsync([AppHarness.Camera("front", server.MjpegUrl(10), CameraKind.Auto, interval: 0.1)]);
        await AppHarness.WaitUntilAsync(() => h.App.Cameras.Find("front")!.Ring.Count >= 3, TimeSpan.FromSeconds(20), "frames");
        using var info = JsonDocument.Parse(await h.Http.GetStringAsync("/api/cameras/front"));
        Assert.Equal("mjpeg", info.RootElement.GetProperty("detected_kind").GetString());
        var live = info.RootElement.GetProperty("live");
        var mjpeg = live.GetProperty("mjpeg_url").GetString()!;
        Assert.Equal("http://127.0.0.1:1/api/cameras/front/mjpeg", mjpeg);

        // What Home Assistant's MJPEG camera reads from that URL (here from the harness's own address).
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        using var resp = await h.Http.GetAsync(new Uri(mjpeg).AbsolutePath, HttpCompletionOption.ResponseHeadersRead, cts.Token);
        Assert.Equal("multipart/x-mixed-replace", resp.Content.Headers.ContentType?.MediaType);
        await using var body = await resp.Content.ReadAsStreamAsync(cts.Token);
        var buf = new byte[4096];
        var head = new StringBuilder();
        while (!head.ToString().Contains("\r\n\r\n"))
        {
            var n = await body.ReadAsync(buf, cts.Token);
            Assert.True(n > 0, "stream ended before the first part");
            head.Append(Encoding.Latin1.GetString(buf, 0, n));
        }
        Assert.Contains("Content-Type: image/jpeg", head.ToString());
        Assert.Contains("\r\n\r\n\u00ff\u00d8", head.ToString()); // the part's body is a JPEG
    }
}
