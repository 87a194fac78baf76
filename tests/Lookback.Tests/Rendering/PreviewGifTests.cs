using Lookback.Config;
using Lookback.Media.Rendering;
using Lookback.Sources.Streaming;

namespace Lookback.Tests.Rendering;

/// <summary>When a stream camera's preview frames can make a GIF (pure rules), and the ffmpeg output that writes them.</summary>
public class PreviewGifTests
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 4, 0, 0, 0, TimeSpan.Zero);

    private static List<DateTimeOffset> Every(double seconds, int count, double from = 0) =>
        Enumerable.Range(0, count).Select(i => T0.AddSeconds(from + i * seconds)).ToList();

    [Fact]
    public void Frames_every_quarter_second_cover_a_ten_second_window()
    {
        var times = Every(0.25, 41, from: -0.1); // -0.1 .. 9.9 s
        Assert.True(PreviewGif.Covers(times, T0, T0.AddSeconds(10), 4));
    }

    [Fact]
    public void A_window_that_starts_before_the_first_frame_is_not_covered()
    {
        var times = Every(0.25, 30, from: 3);
        Assert.False(PreviewGif.Covers(times, T0, T0.AddSeconds(10), 4));
    }

    [Fact]
    public void A_window_whose_end_the_frames_do_not_reach_is_not_covered()
    {
        var times = Every(0.25, 20); // up to 4.75 s
        Assert.False(PreviewGif.Covers(times, T0, T0.AddSeconds(10), 4));
    }

    [Fact]
    public void A_break_inside_the_window_is_left_to_the_packets()
    {
        var times = Every(0.25, 16).Concat(Every(0.25, 20, from: 5.5)).ToList(); // 3.75 → 5.5 s: an ffmpeg restart
        Assert.False(PreviewGif.Covers(times, T0, T0.AddSeconds(10), 4));
        Assert.False(PreviewGif.Covers([], T0, T0.AddSeconds(1), 4));
    }

    [Theory]
    [InlineData(4, 4, true)]
    [InlineData(2, 4, true)]
    [InlineData(5, 4, false)]
    public void The_asked_rate_must_not_exceed_the_previews(double asked, double preview, bool fits) =>
        Assert.Equal(fits, PreviewGif.RateFits(asked, preview));

    [Theory]
    [InlineData(480, 480, 480, true)]
    [InlineData(320, 480, 480, true)]
    [InlineData(640, 480, 480, false)] // wider than the previews: decode the packets
    [InlineData(640, 320, 480, true)]  // the camera itself is 320 wide: the previews are full size
    [InlineData(320, 0, 480, false)]
    public void The_previews_must_be_as_wide_as_asked_or_as_the_camera(int asked, int frame, int preview, bool fits) =>
        Assert.Equal(fits, PreviewGif.WidthFits(asked, frame, preview));

    [Fact]
    public void The_cameras_ffmpeg_writes_previews_at_the_gif_rate_and_width_when_asked()
    {
        var o = new CameraOptions { Slug = "c", Url = "rtsp://127.0.0.1:1/x", Gif = new GifOptions { Fps = 3, Width = 320 } };
        var without = StreamArgs.Build(o, StreamInputKind.Rtsp, "tcp", null, null, "tcp://127.0.0.1:2");
        Assert.DoesNotContain(without, a => a.Contains("flags=bilinear", StringComparison.Ordinal));
        var with = StreamArgs.Build(o, StreamInputKind.Rtsp, "tcp", null, null, "tcp://127.0.0.1:2", previewUrl: "tcp://127.0.0.1:3");
        var at = with.IndexOf("tcp://127.0.0.1:3");
        Assert.Equal(with.Count - 1, at);
        // the decoder's range is kept: limited-range previews are marked CS=ITU601 by the encoder and expanded by the GIF encoder
        Assert.Equal("fps=3,scale=w='min(320\\,iw)':h=-2:flags=bilinear,format=pix_fmts=yuv420p|yuvj420p", with[with.LastIndexOf("-vf") + 1]);
        Assert.Equal("-1", with[with.LastIndexOf("-strict") + 1]);
        Assert.Equal("image2pipe", with[at - 3]);
        Assert.Equal(60, new CameraOptions { Slug = "d", Url = "rtsp://x/y" }.PreviewSeconds);
    }

    [Fact]
    public void A_window_before_both_rings_starts_at_the_first_preview_frame_but_older_packets_keep_the_asked_start()
    {
        var first = T0.AddSeconds(5);
        // a camera that has just started: the event's pre-capture reaches before its first packet and preview frame
        Assert.Equal(first, PreviewGif.Start(T0, first, packetsOldest: T0.AddSeconds(4.5), previewFps: 4));
        Assert.Equal(first, PreviewGif.Start(T0, first, packetsOldest: T0.AddSeconds(2), previewFps: 4)); // a GOP older
        Assert.Equal(first, PreviewGif.Start(T0, first, packetsOldest: null, previewFps: 4));
        // the packets reach further back (preview_seconds shorter than the ring): the packets make it
        Assert.Equal(T0, PreviewGif.Start(T0, first, packetsOldest: T0.AddSeconds(1.5), previewFps: 4));
        // a window within the previews is left as asked
        Assert.Equal(T0.AddSeconds(6), PreviewGif.Start(T0.AddSeconds(6), first, T0, 4));
        var times = Every(0.25, 21, from: 5); // 5 .. 10 s
        Assert.True(PreviewGif.Covers(times, PreviewGif.Start(T0, first, T0.AddSeconds(4.8), 4), T0.AddSeconds(10), 4));
    }
}
