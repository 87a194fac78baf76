using Lookback.Cameras;
using Lookback.Config;
using Lookback.Events;
using Lookback.Imaging;
using Lookback.Sources;

namespace Lookback.Tests.Cameras;

public sealed class CameraTests
{
    private static readonly byte[] Good = Jpeg.Encode(new byte[64 * 48], 64, 48, 64, PixelFormat.Gray, 80);

    /// <summary>A source that does nothing: the tests drive the camera through its sink methods.</summary>
    private sealed class IdleSource : IFrameSource
    {
        public Task RunAsync(IFrameSink sink, CancellationToken ct) => Task.Delay(Timeout.Infinite, ct);
    }

    private static (Camera Camera, List<CameraStatusChanged> Changes) Make(TimeProvider? time = null)
    {
        var bus = new EventBus();
        var changes = new List<CameraStatusChanged>();
        bus.Subscribe<CameraStatusChanged>(changes.Add);
        var cam = new Camera(new CameraOptions { Slug = "front", Url = "http://127.0.0.1:1/x", Store = 3 }, new IdleSource(), bus,
            CameraRegistry.CheckFrame, time);
        return (cam, changes);
    }

    [Fact]
    public void A_frame_with_a_header_libjpeg_cannot_decode_is_refused_after_the_marker_walk_passes()
    {
        var bad = (byte[])Good.Clone();
        var sof = bad.AsSpan().IndexOf(new byte[] { 0xFF, 0xC0 });
        bad[sof + 4] = 3; // sample precision 3 bits: the markers are fine, the header is not
        Assert.Null(JpegValidator.Validate(bad));
        Assert.Equal("corrupt JPEG (header not decodable)", CameraRegistry.CheckFrame(bad, out _, out _));
        Assert.Null(CameraRegistry.CheckFrame(Good, out _, out _));
    }

    [Fact]
    public void Status_goes_online_with_a_good_frame_and_offline_with_an_error_announcing_each_change_once()
    {
        var (cam, changes) = Make();
        Assert.Equal(CameraStatus.Starting, cam.Status);
        var t = DateTimeOffset.UtcNow;
        cam.OnFrame(Good, t);
        cam.OnFrame(Good, t.AddSeconds(1));
        Assert.Equal(CameraStatus.Online, cam.Status);
        Assert.Equal((64, 48), (cam.Ring.Latest()![0].Width, cam.Ring.Latest()![0].Height));
        cam.OnError("HTTP 500 from http://127.0.0.1:1/x");
        cam.OnError("HTTP 500 from http://127.0.0.1:1/x");
        Assert.Equal(CameraStatus.Offline, cam.Status);
        cam.OnFrame("<html>"u8, t.AddSeconds(2));            // refused: counts as an error, not a frame
        Assert.Equal(2, cam.Ring.Count);
        Assert.StartsWith("not a JPEG", cam.LastError);
        Assert.Equal([CameraStatus.Online, CameraStatus.Offline, CameraStatus.Offline], changes.Select(c => c.Status));
        Assert.Equal(3, cam.ErrorsTotal);
        Assert.Equal(2, cam.FramesTotal);
    }

    [Fact]
    public void Fps_is_measured_from_capture_times_and_drops_to_zero_when_frames_stop()
    {
        var clock = new ManualClock(DateTimeOffset.UtcNow);
        var (cam, _) = Make(clock);
        for (var i = 0; i < 11; i++) cam.OnFrame(Good, clock.GetUtcNow().AddSeconds(i * 0.5));
        clock.Now = clock.Now.AddSeconds(5);
        Assert.Equal(2, cam.Fps);
        clock.Now = clock.Now.AddSeconds(10);
        Assert.Equal(0, cam.Fps);
    }

    [Fact]
    public void Motion_threshold_outside_1_to_255_is_refused()
    {
        var (cam, _) = Make();
        cam.MotionThreshold = 255;
        Assert.Throws<ArgumentOutOfRangeException>(() => cam.MotionThreshold = 0);
        Assert.Equal(255, cam.MotionThreshold);
    }

    private sealed class ManualClock(DateTimeOffset now) : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = now;
        public override DateTimeOffset GetUtcNow() => Now;
    }
}
