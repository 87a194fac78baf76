using System.Text;
using Lookback.Config;
using Lookback.Sources;
using static Lookback.Tests.Sources.SourceTestKit;
using Lookback.Imaging;

namespace Lookback.Tests.Sources;

public class MjpegSourceTests
{
    [Fact]
    public async Task Samples_a_fast_stream_down_to_the_interval()
    {
        await using var server = await TestCameraServer.StartAsync();
        var sink = new RecordingSink();
        var source = new MjpegSource(Cam(server.MjpegUrl(fps: 20), interval: 0.25, kind: CameraKind.Mjpeg), SharedHttp);
        await using (Run(source, sink))
            await sink.WaitForFramesAsync(6);
        var f = sink.Frames;
        for (var i = 1; i < f.Count; i++)
            Assert.True((f[i].At - f[i - 1].At).TotalSeconds >= 0.25 * 0.9 - 0.01, $"gap {i}: {(f[i].At - f[i - 1].At).TotalSeconds}");
        Assert.InRange((f[5].At - f[0].At).TotalSeconds, 1.1, 3.5); // 5 intervals of 0.25 s
        Assert.True(source.FramesReceived > source.FramesDelivered);
        Assert.All(f, x => Assert.Contains(server.StreamFrames, s => s.AsSpan().SequenceEqual(x.Jpeg)));
        Assert.Empty(sink.Errors);
    }

    [Fact]
    public async Task Interval_zero_delivers_every_frame_in_order()
    {
        await using var server = await TestCameraServer.StartAsync();
        var sink = new RecordingSink();
        await using (Run(new MjpegSource(Cam(server.MjpegUrl(fps: 30), interval: 0, kind: CameraKind.Mjpeg), SharedHttp), sink))
            await sink.WaitForFramesAsync(12);
        var f = sink.Frames;
        for (var i = 0; i < 12; i++) Assert.True(f[i].Jpeg.AsSpan().SequenceEqual(server.StreamFrames[i % server.StreamFrames.Count]), $"frame {i}");
    }

    [Theory]
    [InlineData("MD5")]
    [InlineData("SHA-256")]
    public async Task Digest_protected_stream(string algorithm)
    {
        await using var server = await TestCameraServer.StartAsync();
        var sink = new RecordingSink();
        var cam = Cam(server.Url($"/digest/mjpeg?fps=10&algorithm={algorithm}"), 0, CameraKind.Mjpeg, AuthKind.Digest, "admin", Secret);
        await using (Run(new MjpegSource(cam, SharedHttp), sink))
            await sink.WaitForFramesAsync(3);
        Assert.Empty(sink.Errors);
    }

    [Fact]
    public async Task Stalled_stream_is_reported_and_reconnected()
    {
        await using var server = await TestCameraServer.StartAsync();
        var sink = new RecordingSink();
        await using (Run(new MjpegSource(Cam(server.Url("/mjpeg/stall?frames=1"), 0, CameraKind.Mjpeg, timeout: 0.5), SharedHttp, backoff: FastBackoff()), sink))
        {
            await sink.WaitForErrorAsync(e => e == $"stream stalled (no data for 0.5 s) from {server.BaseUrl}/mjpeg/stall?frames=1");
            await server.WaitForRequestAsync("/mjpeg/stall", 2);
            await sink.WaitForFramesAsync(2); // the reconnect delivers again
        }
    }

    [Fact]
    public async Task Connection_closed_mid_frame_is_reported_and_reconnected()
    {
        await using var server = await TestCameraServer.StartAsync();
        var sink = new RecordingSink();
        await using (Run(new MjpegSource(Cam(server.Url("/mjpeg/close-mid-frame?fps=20&frames=2"), 0, CameraKind.Mjpeg), SharedHttp, backoff: FastBackoff()), sink))
        {
            await sink.WaitForErrorAsync(e => e.StartsWith("connection closed mid-frame from "));
            await sink.WaitForFramesAsync(4);
        }
        Assert.All(sink.Frames, f => Assert.Null(JpegValidator.Validate(f.Jpeg)));
    }

    [Fact]
    public async Task A_jpeg_url_is_not_a_stream()
    {
        await using var server = await TestCameraServer.StartAsync();
        var sink = new RecordingSink();
        await using (Run(new MjpegSource(Cam(server.SnapshotUrl, 0, CameraKind.Mjpeg), SharedHttp, backoff: FastBackoff()), sink))
            await sink.WaitForErrorAsync(e => e == $"not an MJPEG stream (content-type image/jpeg): use kind snapshot from {server.SnapshotUrl}");
    }

    [Theory]
    [InlineData("multipart/x-mixed-replace; boundary=\"--myboundary\"", "--myboundary", "\n", false)]
    [InlineData("multipart/x-mixed-replace; boundary=myboundary", "--myboundary", "\r\n", false)]
    [InlineData("multipart/x-mixed-replace", "--whatever", "\r\n", false)]
    [InlineData("multipart/x-mixed-replace;boundary=myboundary", "myboundary", "\r\n", true)]
    public async Task Awkward_byte_level_streams_over_tcp(string contentType, string delimiter, string nl, bool withLength)
    {
        var frames = TestJpegs.Frames(5, 96, 64);
        var body = new MemoryStream();
        body.Write(Encoding.ASCII.GetBytes("junk before the first boundary" + nl));
        foreach (var f in frames)
        {
            body.Write(Encoding.ASCII.GetBytes(delimiter + nl + "Content-Type: image/jpeg" + nl + "X-Extra: 1" + nl
                + (withLength ? $"Content-Length: {f.Length}{nl}" : "") + nl));
            body.Write(f);
            body.Write(Encoding.ASCII.GetBytes(nl));
        }
        body.Write(Encoding.ASCII.GetBytes(delimiter + nl));
        await using var camera = RawTcpCamera.StartStream(contentType, body.ToArray(), chunk: 333);
        var sink = new RecordingSink();
        await using (Run(new MjpegSource(Cam(camera.Url(), 0, CameraKind.Mjpeg), SharedHttp), sink))
            await sink.WaitForFramesAsync(5);
        var got = sink.Frames;
        for (var i = 0; i < 5; i++) Assert.True(got[i].Jpeg.AsSpan().SequenceEqual(frames[i]), $"frame {i}");
    }

    [Fact]
    public async Task Oversize_and_corrupt_parts_are_reported_while_good_frames_flow()
    {
        var good = TestJpegs.Make(64, 48, seed: 3);
        var big = TestJpegs.Make(400, 300, seed: 4);
        var corrupt = (byte[])good.Clone();
        corrupt[4] = 0xFF; corrupt[5] = 0xF0;
        var body = new MemoryStream();
        foreach (var f in new[] { good, big, corrupt, good, good })
        {
            body.Write(Encoding.ASCII.GetBytes($"--b\r\nContent-Type: image/jpeg\r\nContent-Length: {f.Length}\r\n\r\n"));
            body.Write(f);
            body.Write("\r\n"u8);
        }
        body.Write("--b\r\n"u8);
        await using var camera = RawTcpCamera.StartStream("multipart/x-mixed-replace; boundary=b", body.ToArray());
        var sink = new RecordingSink();
        await using (Run(new MjpegSource(Cam(camera.Url(), 0, CameraKind.Mjpeg, maxFrameBytes: 20_000), SharedHttp), sink))
        {
            await sink.WaitForFramesAsync(3);
            await sink.WaitForErrorAsync(e => e.StartsWith("frame larger than 20000 bytes from http://127.0.0.1:"));
        }
        Assert.Equal(3, sink.FrameCount);
    }
}
