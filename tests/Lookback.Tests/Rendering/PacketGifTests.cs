using System.Diagnostics;
using Lookback.Buffer;
using Lookback.Cameras;
using Lookback.Config;
using Lookback.Events;
using Lookback.Imaging;
using Lookback.Media.Rendering;
using Lookback.Sources.Streaming;
using Lookback.Media.Storage;

namespace Lookback.Tests.Rendering;

/// <summary>GIFs from a stream camera's packet ring: the doorbell's lead frame, and the JPEG frames when the packets fail.</summary>
public sealed class PacketGifTests : IAsyncLifetime
{
    /// <summary>A camera with a JPEG ring and a packet ring, both filled by the test.</summary>
    private sealed class PacketCamera(string slug) : ICamera, IPacketSink
    {
        public string Slug => slug;
        public CameraOptions Options { get; } = new() { Slug = slug, Url = "rtsp://127.0.0.1/none", Kind = CameraKind.Rtsp };
        public FrameRing Ring { get; } = new(new RingLimits(10_000, null, long.MaxValue));
        public PacketRing Packets { get; } = new(TimeSpan.FromSeconds(60), 64L * 1024 * 1024);
        public CameraStatus Status => CameraStatus.Online;
        public string? LastError => null;
        public double Fps => 10;
        public DateTimeOffset? LastFrameAt => Ring.NewestTime;
        public bool MotionEnabled { get; set; } = true;
        public int MotionThreshold { get; set; } = 25;
    }

    private readonly TempDir _dir = new();
    private readonly PacketCamera _cam = new("bell");
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

    /// <summary>2 s of 10 fps H.264 in MPEG-TS, dark (30) up to frame <paramref name="brightFrom"/>, bright (220) from it on.</summary>
    private static async Task<byte[]> DarkThenBrightAsync(int brightFrom)
    {
        var psi = new ProcessStartInfo("ffmpeg") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { "-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i", "color=c=black:s=320x180:r=10:d=2",
                     "-vf", $"geq=lum='if(gte(N\\,{brightFrom})\\,220\\,30)':cb=128:cr=128", "-c:v", "libx264", "-preset", "ultrafast",
                     "-g", "10", "-bf", "0", "-f", "mpegts", "pipe:1" })
            psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        using var ms = new MemoryStream();
        var err = p.StandardError.ReadToEndAsync();
        await p.StandardOutput.BaseStream.CopyToAsync(ms);
        await p.WaitForExitAsync();
        Assert.True(p.ExitCode == 0, await err);
        return ms.ToArray();
    }

    private static async Task<double> MeanOfFrame(string gif, int index)
    {
        var run = await new FfmpegProcess("ffmpeg").RunAsync(
            ["-v", "error", "-i", gif, "-vf", $"select=eq(n\\,{index}),scale=32:18,format=gray", "-frames:v", "1", "-f", "rawvideo", "-"],
            null, TimeSpan.FromSeconds(60), CancellationToken.None, captureStdout: true);
        return run.Stdout!.Average(b => (double)b);
    }

    private Task<RenderResult> GifAsync(DateTimeOffset at, bool lead) => _queue.SubmitAsync(new RenderRequest
    { Camera = "bell", Kind = RenderKind.Gif, Seconds = 1.5, Fps = 4, Width = 160, RequestedAt = at, LeadFrame = lead }, CancellationToken.None);

    [Fact]
    public async Task A_doorbell_gif_from_packets_leads_with_the_frame_of_the_press()
    {
        // frames 0..17 of 20 reach the ring (a unit is complete once the next one is, as PES packets of a picture may
        // follow it); frame 17 is the press
        new PacketIngest(_cam.Packets, 1 << 20).Push(await DarkThenBrightAsync(brightFrom: 17), DateTimeOffset.UtcNow);
        Assert.Equal(18, _cam.Packets.Count);
        var press = _cam.Packets.NewestTime!.Value;

        var plain = await GifAsync(press, lead: false);
        var led = await GifAsync(press, lead: true);
        Assert.True(plain.Ok && led.Ok, plain.Error + led.Error);
        Assert.Equal(RenderResult.SourcePackets, led.Source);
        Assert.Equal(plain.Frames + 1, led.Frames);
        Assert.True(await MeanOfFrame(plain.Path!, 0) < 80, "a plain GIF starts with the oldest frame");
        var means = new List<double>();
        for (var i = 0; i < led.Frames; i++) means.Add(Math.Round(await MeanOfFrame(led.Path!, i)));
        Assert.True(means[0] > 170, $"the doorbell GIF starts with the press: {string.Join(" ", means)}; plain {plain.Frames} {plain.Start:O}..{plain.End:O}, press {press:O}");
        Assert.True(await MeanOfFrame(led.Path!, 1) < 80, "then plays from the oldest frame");
    }

    [Fact]
    public async Task When_the_packets_cannot_be_decoded_the_gif_and_the_moment_come_from_the_jpeg_frames()
    {
        // a ring of keyframes whose data is no H.264: the decode gives no frame
        var tables = new TsDemuxer();
        tables.Push(await DarkThenBrightAsync(brightFrom: 0), []);
        var now = DateTimeOffset.UtcNow;
        var junk = new byte[4000];
        new Random(1).NextBytes(junk);
        for (var i = 0; i < 20; i++)
        {
            byte[] pes = [0, 0, 1, 0xE0, 0, 0, 0x80, 0x00, 0, .. junk];
            _cam.Packets.Append(new StreamPacket(pes, now.AddSeconds(-2 + i * 0.1), i % 10 == 0, 1, tables.Header!, StreamCodec.H264, tables.VideoPid));
        }
        var gray = new byte[320 * 180];
        Array.Fill(gray, (byte)128);
        var jpeg = Jpeg.Encode(gray, 320, 180, 320, PixelFormat.Gray, 90);
        for (var i = 0; i < 20; i++) _cam.Ring.Append(jpeg, now.AddSeconds(-2 + i * 0.1));

        var gif = await GifAsync(now, lead: false);
        Assert.True(gif.Ok, gif.Error);
        Assert.Null(gif.Source);
        Assert.StartsWith("packets: ", gif.Fallback);

        var moment = await _queue.SubmitAsync(new RenderRequest { Camera = "bell", Kind = RenderKind.Moment, Before = 1.5, After = 0, RequestedAt = now },
            CancellationToken.None);
        Assert.True(moment.Ok, moment.Error);
        Assert.True(File.Exists(moment.GifPath));
        Assert.NotNull(moment.Fallback);
        Assert.Equal(320, moment.Width);
    }
}
