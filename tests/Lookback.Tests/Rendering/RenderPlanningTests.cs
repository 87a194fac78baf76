using System.Text.Json;
using Lookback.Config;
using Lookback.Media.Rendering;
using Lookback.Imaging;

namespace Lookback.Tests.Rendering;

/// <summary>Pure parts: arguments, frame selection, validation, JSON. No processes.</summary>
public class RenderPlanningTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 22, 17, 34, 51, 120, TimeSpan.Zero);

    [Fact]
    public void Gif_args_pipe_jpegs_at_fps_times_speed_with_palette_filter()
    {
        var a = FfmpegArgs.Gif(4, 2, 480, "/x/out.gif.tmp-1");
        Assert.Equal(["-hide_banner", "-loglevel", "error", "-f", "image2pipe", "-c:v", "mjpeg", "-framerate", "8", "-i", "-"], a.Take(11));
        var vf = a[a.IndexOf("-vf") + 1];
        Assert.Equal("scale=480:-2:flags=lanczos,split[a][b];[a]palettegen=stats_mode=diff:max_colors=256[p];" +
                     "[b][p]paletteuse=dither=bayer:bayer_scale=4:diff_mode=rectangle", vf);
        Assert.Equal("0", a[a.IndexOf("-loop") + 1]);
        Assert.Equal("gif", a[a.IndexOf("-f", 5) + 1]); // explicit format: the temp name has no .gif extension
        Assert.Equal("/x/out.gif.tmp-1", a[^1]);
    }

    [Fact]
    public void Gif_args_use_invariant_decimals()
    {
        var a = FfmpegArgs.Gif(0.5, 1.5, 320, "o");
        Assert.Equal("0.75", a[a.IndexOf("-framerate") + 1]);
    }

    [Fact]
    public void Mp4_args_are_h264_yuv420p_faststart_veryfast_crf23()
    {
        var a = FfmpegArgs.Mp4(9.5, 640, "o.tmp");
        string After(string k) => a[a.IndexOf(k) + 1];
        Assert.Equal("9.5", After("-framerate"));
        Assert.Equal("libx264", a[a.LastIndexOf("-c:v") + 1]);
        Assert.Equal("yuv420p", After("-pix_fmt"));
        Assert.Equal("+faststart", After("-movflags"));
        Assert.Equal("veryfast", After("-preset"));
        Assert.Equal("23", After("-crf"));
        Assert.Equal("scale=640:-2:flags=bicubic", After("-vf"));
        Assert.Equal("mp4", a[a.LastIndexOf("-f") + 1]);
    }

    [Theory]
    [InlineData(640, 360, 480, 270)]
    [InlineData(1920, 1080, 480, 270)]
    [InlineData(640, 480, 333, 250)] // 249.75 → 124.875 → 125 × 2
    [InlineData(704, 576, 480, 392)]  // 392.7 → 196.36 → 196 × 2
    public void Scaled_height_matches_ffmpeg_minus_two(int w, int h, int ow, int expected) =>
        Assert.Equal(expected, FfmpegArgs.ScaledHeight(w, h, ow));

    [Fact]
    public void Selection_duplicates_when_camera_is_slower_than_output()
    {
        // camera at 1 fps, output at 4 fps over 3 s
        var times = Enumerable.Range(0, 4).Select(i => T0.AddSeconds(i)).ToArray();
        var end = T0.AddSeconds(3);
        var n = FrameSelection.OutputCount(T0, end, times[0], 4);
        Assert.Equal(12, n);
        var idx = FrameSelection.Select(times, end, 4, n);
        // t_k = 3 - (11-k)/4 = 0.25, 0.5, ..., 3.0
        Assert.Equal([0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3], idx);
    }

    [Fact]
    public void Selection_drops_when_camera_is_faster_than_output()
    {
        var times = Enumerable.Range(0, 41).Select(i => T0.AddSeconds(i * 0.1)).ToArray(); // 10 fps, 4 s
        var end = times[^1];
        var n = FrameSelection.OutputCount(T0, end, times[0], 2);
        Assert.Equal(8, n);
        Assert.Equal([5, 10, 15, 20, 25, 30, 35, 40], FrameSelection.Select(times, end, 2, n));
    }

    [Fact]
    public void Selection_picks_the_frame_at_or_before_and_first_frame_for_earlier_times()
    {
        DateTimeOffset[] times = [T0.AddSeconds(1.0), T0.AddSeconds(1.9), T0.AddSeconds(2.1)];
        Assert.Equal([0, 0, 1, 2], FrameSelection.Select(times, T0.AddSeconds(2.5), 2, 4)); // 1.0, 1.5, 2.0, 2.5
    }

    [Fact]
    public void A_younger_ring_gives_fewer_frames_not_a_frozen_start()
    {
        // window asks for 10 s but frames only started 2.5 s before the end
        var n = FrameSelection.OutputCount(T0, T0.AddSeconds(10), T0.AddSeconds(7.5), 4);
        Assert.Equal(11, n); // 7.5, 7.75, ..., 10.0
    }

    [Fact]
    public void Natural_fps_is_capped()
    {
        Assert.Equal(10, FrameSelection.NaturalFps(Enumerable.Range(0, 11).Select(i => T0.AddSeconds(i * 0.1)).ToArray()));
        Assert.Equal(30, FrameSelection.NaturalFps(Enumerable.Range(0, 100).Select(i => T0.AddMilliseconds(i * 10)).ToArray()));
        Assert.Equal(1, FrameSelection.NaturalFps([T0]));
    }

    [Fact]
    public void Jpeg_size_is_read_from_the_header()
    {
        Assert.True(JpegValidator.TryGetSize(TestJpegs.All[0], out var w, out var h));
        Assert.Equal((640, 360), (w, h));
        Assert.False(JpegValidator.TryGetSize(new byte[] { 1, 2, 3, 4 }, out _, out _));
    }

    [Fact]
    public void Result_json_has_utc_milliseconds_and_no_nulls()
    {
        var r = new RenderResult
        {
            RequestId = "abc", Camera = "frontdoor", Kind = ResultKind.Gif, Status = RenderStatus.Ok, Bytes = 812345, Frames = 40, Width = 480, Height = 270,
            Start = new DateTimeOffset(2026, 11, 22, 18, 34, 51, 120, TimeSpan.FromHours(1)), End = T0.AddSeconds(10), ElapsedMs = 640,
            Url = "http://h/media/x.gif",
        };
        var json = JsonSerializer.Serialize(r); // default options: the attributes alone must give the contract's shape
        Assert.Contains("\"start\":\"2026-11-22T17:34:51.120Z\"", json);
        Assert.Contains("\"end\":\"2026-11-22T17:35:01.120Z\"", json);
        Assert.DoesNotContain("null", json);
        Assert.DoesNotContain("Path", json);
        Assert.Equal(json, RenderJson.Serialize(r));
        var back = JsonSerializer.Deserialize<JsonElement>(json);
        Assert.Equal(640, back.GetProperty("elapsed_ms").GetInt32());
    }

    private static (RenderPlan? Plan, string? Error) V(RenderRequest r)
    {
        var cams = new TestCameras(new TestCamera("front"));
        return RenderValidation.Validate(r, cams, T0);
    }

    [Theory]
    [InlineData("seconds", 0.0)]
    [InlineData("seconds", 301.0)]
    [InlineData("fps", 0.0)]
    [InlineData("fps", 31.0)]
    [InlineData("width", 15.0)]
    [InlineData("width", 3841.0)]
    [InlineData("speed", 0.05)]
    [InlineData("speed", 21.0)]
    [InlineData("before", -1.0)]
    [InlineData("before", 301.0)]
    [InlineData("after", 61.0)]
    [InlineData("interval", 0.0)]
    public void Bad_parameters_name_the_field(string field, double value)
    {
        var r = new RenderRequest { Camera = "front", Kind = field is "before" or "after" ? RenderKind.Moment : RenderKind.Gif };
        r = field switch
        {
            "seconds" => r with { Seconds = value }, "fps" => r with { Fps = value }, "width" => r with { Width = (int)value },
            "speed" => r with { Speed = value }, "before" => r with { Before = value }, "after" => r with { After = value },
            _ => r with { FrameInterval = value },
        };
        var (plan, error) = V(r);
        Assert.Null(plan);
        Assert.StartsWith(field + " must be", error);
    }

    [Fact]
    public void Unknown_camera_is_named()
    {
        var (_, error) = V(new RenderRequest { Camera = "garage", Kind = RenderKind.Gif });
        Assert.Equal("unknown camera 'garage'", error);
    }

    [Fact]
    public void Gif_defaults_come_from_the_camera_and_interval_sets_fps()
    {
        var (plan, _) = V(new RenderRequest { Camera = "front", Kind = RenderKind.Gif });
        Assert.Equal((4.0, 480, 1.0), (plan!.Fps!.Value, plan.Width!.Value, plan.Speed));
        Assert.Equal(T0.AddSeconds(-10), plan.From);
        Assert.Equal(T0, plan.To);

        var (p2, _) = V(new RenderRequest { Camera = "front", Kind = RenderKind.Gif, Seconds = 6, FrameInterval = 0.5, Speed = 3 });
        Assert.Equal(2, p2!.Fps);
        Assert.Equal(1, p2.Speed); // cctv-gif-buffer mode: the interval is the frame's display time
    }

    [Fact]
    public void Moment_window_is_before_to_after()
    {
        var (plan, _) = V(new RenderRequest { Camera = "front", Kind = RenderKind.Moment, Before = 2, After = 1 });
        Assert.Equal(T0.AddSeconds(-2), plan!.From);
        Assert.Equal(T0.AddSeconds(1), plan.To);
    }
}
