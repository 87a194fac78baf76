using Lookback.Config;
using Lookback.Events;
using Lookback.Media.Rendering;
using Lookback.Media.Rendering.Gif;
using Lookback.Media.Storage;
using Xunit;

namespace Lookback.Tests.Rendering;

/// <summary>
/// Our GIF encoder against the ffmpeg CLI (palettegen stats_mode=diff + paletteuse bayer) on the same frames: a valid
/// looping GIF89a with the asked size, frame count and durations (ffprobe), SSIM against the source frames within 0.005
/// of ffmpeg's (ffmpeg's ssim filter) and at most 1.1x its bytes; and the byte budget through the render engine.
/// </summary>
public sealed class GifQualityTests : IDisposable
{
    private const int Frames = 40;
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Theory]
    [InlineData("synthetic", 270)]
    [InlineData("night", 270)]
    [InlineData("pets", 360)]
    public async Task Ours_matches_ffmpeg_quality_within_0_005_ssim_and_1_1x_bytes(string kind, int height)
    {
        var src = Path.Combine(_dir.Path, kind);
        var jpegs = await GifFootage.MakeAsync(kind, src, Frames);
        Assert.Equal(Frames, jpegs.Length);
        var job = new GifJob(jpegs.Select(j => new ReadOnlyMemory<byte>(j)).ToList(), 4, 480, height);
        var ours = Path.Combine(_dir.Path, kind + "-ours.gif");
        var theirs = Path.Combine(_dir.Path, kind + "-ffmpeg.gif");
        await new NativeGifEncoder().EncodeAsync(job, ours, CancellationToken.None);
        await new FfmpegGifEncoder(new FfmpegProcess(), TimeSpan.FromMinutes(2)).EncodeAsync(job, theirs, CancellationToken.None);

        var p = await Probe.RunAsync(ours);
        Assert.Equal(("gif", 480, height, Frames), (p.Codec, p.Width, p.Height, p.Frames));
        Assert.InRange(p.Duration, 9.99, 10.01);
        var bytes = await File.ReadAllBytesAsync(ours);
        Assert.Equal("GIF89a"u8.ToArray(), bytes[..6]);
        Assert.True(LoopsForever(bytes), "no NETSCAPE2.0 loop-forever extension");

        var (so, st) = (await GifFootage.SsimAsync(ours, src, 480, height), await GifFootage.SsimAsync(theirs, src, 480, height));
        var (bo, bt) = (bytes.Length, new FileInfo(theirs).Length);
        Assert.True(so >= st - 0.005, $"{kind}: SSIM ours {so:0.0000} vs ffmpeg {st:0.0000}");
        Assert.True(bo <= bt * 1.1, $"{kind}: {bo} bytes vs ffmpeg {bt}");
    }

    [Fact]
    public async Task Engine_lowers_the_width_to_fit_the_byte_budget_and_says_so()
    {
        var cam = new TestCamera("front");
        cam.Fill(DateTimeOffset.UtcNow, 40, 10);
        var store = new MediaStore(new StorageOptions { Path = _dir.Path }, new HttpOptions { PublicUrl = "http://h/" });
        var request = new RenderRequest { Camera = "front", Kind = RenderKind.Gif, Seconds = 4, Fps = 4, Width = 480 };
        async Task<RenderResult> Render(long maxBytes)
        {
            var engine = new RenderEngine(store, new FfmpegProcess(), gifEncoder: new NativeGifEncoder(), gifMaxBytes: maxBytes);
            await using var queue = new RenderQueue(new TestCameras(cam), engine, new EventBus(), new RenderQueueOptions());
            return await queue.SubmitAsync(request, CancellationToken.None);
        }
        var full = await Render(GifBudget.DefaultMaxBytes);
        Assert.True(full.Ok, full.Error);
        Assert.Null(full.Reduced);
        Assert.Equal(480, full.Width);
        var budget = full.Bytes!.Value / 2;

        var r = await Render(budget);
        Assert.True(r.Ok, r.Error);
        Assert.InRange(r.Bytes!.Value, 1, budget);
        Assert.NotNull(r.Reduced);
        Assert.StartsWith("width 480→", r.Reduced);
        Assert.EndsWith($"to fit {budget} bytes", r.Reduced);
        var p = await Probe.RunAsync(r.Path!);
        Assert.Equal((r.Width!.Value, r.Height!.Value, r.Frames!.Value), (p.Width, p.Height, p.Frames));
        Assert.InRange(p.Width, GifBudget.MinWidth, 479);
        cam.Ring.Dispose();
    }

    private static bool LoopsForever(byte[] gif)
    {
        var ext = "NETSCAPE2.0"u8;
        var at = gif.AsSpan().IndexOf(ext);
        return at > 0 && gif.AsSpan(at + ext.Length, 4).SequenceEqual(new byte[] { 3, 1, 0, 0 });
    }
}
