using Lookback.Config;
using Lookback.Events;
using Lookback.Imaging;
using Lookback.Mqtt;
using Lookback.Media.Rendering;
using Lookback.Media.Storage;

namespace Lookback.Tests.Rendering;

/// <summary>A doorbell GIF leads with the frame of the press (what a phone that does not animate GIFs shows).</summary>
public sealed class LeadFrameTests : IAsyncLifetime
{
    private readonly TempDir _dir = new();
    private readonly TestCamera _cam = new("bell");
    private RenderQueue _queue = null!;

    public Task InitializeAsync()
    {
        var store = new MediaStore(new StorageOptions { Path = _dir.Path }, new HttpOptions { PublicUrl = "http://127.0.0.1:8099/" });
        _queue = RenderQueue.Create(new TestCameras(_cam), store, new EventBus(), new RenderQueueOptions { Workers = 1 });
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _queue.DisposeAsync();
        _cam.Ring.Dispose();
        _dir.Dispose();
    }

    private static byte[] Gray(byte value)
    {
        var px = new byte[320 * 180];
        Array.Fill(px, value);
        return Jpeg.Encode(px, 320, 180, 320, PixelFormat.Gray, 90);
    }

    /// <summary>Mean brightness of GIF frame <paramref name="index"/>, decoded by ffmpeg.</summary>
    private static async Task<double> MeanOfFrame(string gif, int index)
    {
        var run = await new FfmpegProcess("ffmpeg").RunAsync(
            ["-v", "error", "-i", gif, "-vf", $"select=eq(n\\,{index}),scale=32:18,format=gray", "-frames:v", "1", "-f", "rawvideo", "-"],
            null, TimeSpan.FromSeconds(60), CancellationToken.None, captureStdout: true);
        var bytes = run.Stdout!;
        Assert.Equal(32 * 18, bytes.Length);
        return bytes.Average(b => (double)b);
    }

    [Fact]
    public async Task The_press_frame_comes_first_then_the_seconds_before_it()
    {
        var press = DateTimeOffset.UtcNow;
        var dark = Gray(30);
        for (var i = 19; i >= 1; i--) _cam.Ring.Append(dark, press.AddSeconds(-i / 10.0));
        _cam.Ring.Append(Gray(220), press); // the press

        var plain = await _queue.SubmitAsync(new RenderRequest
        { Camera = "bell", Kind = RenderKind.Gif, Seconds = 1.5, Fps = 4, RequestedAt = press }, CancellationToken.None);
        var led = await _queue.SubmitAsync(new RenderRequest
        { Camera = "bell", Kind = RenderKind.Gif, Seconds = 1.5, Fps = 4, RequestedAt = press, LeadFrame = true }, CancellationToken.None);
        Assert.True(plain.Ok && led.Ok, plain.Error + led.Error);
        Assert.Equal(plain.Frames + 1, led.Frames);
        Assert.Equal(plain.Start, led.Start);
        Assert.True(await MeanOfFrame(plain.Path!, 0) < 80, "a plain GIF starts with the oldest frame");
        Assert.True(await MeanOfFrame(led.Path!, 0) > 170, "the doorbell GIF starts with the press");
        Assert.True(await MeanOfFrame(led.Path!, 1) < 80, "then plays from the oldest frame");
        Assert.Equal((await Probe.RunAsync(plain.Path!)).Frames + 1, (await Probe.RunAsync(led.Path!)).Frames);
    }

    [Fact]
    public void Lead_index_is_the_newest_frame_at_or_before_the_press_and_commands_accept_lead_frame()
    {
        var t0 = DateTimeOffset.UnixEpoch;
        DateTimeOffset[] times = [t0, t0.AddSeconds(1), t0.AddSeconds(2)];
        Assert.Equal(1, RenderEngine.LeadIndex(times, t0.AddSeconds(1.5)));
        Assert.Equal(2, RenderEngine.LeadIndex(times, t0.AddSeconds(9)));
        Assert.Equal(0, RenderEngine.LeadIndex(times, t0.AddSeconds(-1)));

        Assert.True(CommandParser.Parse("c", "moment", """{"before": 8, "after": 0, "lead_frame": true}"""u8).Render!.LeadFrame);
        Assert.False(CommandParser.Parse("c", "gif", """{"seconds": 2}"""u8).Render!.LeadFrame);
        Assert.Equal("lead_frame: must be true or false", CommandParser.Parse("c", "gif", """{"lead_frame": "yes"}"""u8).Error);
    }
}
