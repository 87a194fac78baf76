using System.Collections.Concurrent;
using System.Text;
using Lookback.Config;
using Lookback.Events;
using Lookback.Media.Rendering;
using Lookback.Media.Storage;

namespace Lookback.Tests.Rendering;

/// <summary>Real renders with /usr/bin/ffmpeg, checked with ffprobe.</summary>
public sealed class RenderIntegrationTests : IAsyncLifetime
{
    private readonly TempDir _dir = new();
    private readonly TestCamera _cam;
    private readonly EventBus _bus = new();
    private readonly ConcurrentQueue<RenderCompleted> _completed = new();
    private readonly RenderQueue _queue;
    private readonly MediaStore _store;

    public RenderIntegrationTests()
    {
        _cam = new TestCamera("front");
        _store = new MediaStore(new StorageOptions { Path = _dir.Path, MediaUrl = "/media/local/lookback" },
            new HttpOptions { PublicUrl = "http://192.168.1.10:8099/" });
        _bus.Subscribe<RenderCompleted>(e =>
        {
            // A URL is only ever published for a complete file.
            if (e.Result.Ok)
            {
                Assert.True(File.Exists(e.Result.Path));
                Assert.Equal(e.Result.Bytes, new FileInfo(e.Result.Path!).Length);
                Assert.Empty(Directory.GetFiles(_dir.Path, "*.tmp-*", SearchOption.AllDirectories));
            }
            _completed.Enqueue(e);
        });
        _queue = RenderQueue.Create(new TestCameras(_cam), _store, _bus, new RenderQueueOptions { Workers = 2 });
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        await _queue.DisposeAsync();
        _cam.Ring.Dispose();
        _dir.Dispose();
    }

    private Task<RenderResult> Submit(RenderRequest r) => _queue.SubmitAsync(r, CancellationToken.None);

    private void AssertNoTemporaryFiles() =>
        Assert.Empty(Directory.GetFiles(_dir.Path, "*.tmp-*", SearchOption.AllDirectories));

    [Fact]
    public async Task Gif_has_width_height_frame_count_and_duration()
    {
        _cam.Fill(DateTimeOffset.UtcNow, 60, 10);
        var r = await Submit(new RenderRequest { Camera = "front", Kind = RenderKind.Gif, RequestId = "g1", Seconds = 4, Fps = 4 });

        Assert.True(r.Ok, r.Error);
        Assert.Equal(("g1", "gif", 16, 480, 270), (r.RequestId, r.Kind.Name(), r.Frames, r.Width, r.Height));
        var p = await Probe.RunAsync(r.Path!);
        Assert.Equal(("gif", 480, 270, 16), (p.Codec, p.Width, p.Height, p.Frames));
        Assert.InRange(p.Duration, 3.9, 4.1);
        Assert.StartsWith("http://192.168.1.10:8099/media/front/", r.Url);
        Assert.EndsWith("-gif.gif", r.Url);
        Assert.StartsWith("/media/local/lookback/front/", r.Media);
        Assert.Equal(_store.FullPath(r.Url!["http://192.168.1.10:8099/media/".Length..]), r.Path);
        Assert.True(r.Start < r.End);
        Assert.InRange((r.End!.Value - r.Start!.Value).TotalSeconds, 3.6, 3.85);
        Assert.NotNull(r.ElapsedMs);
        Assert.Equal(new FileInfo(r.Path!).Length, r.Bytes);
        Assert.Equal("GIF89a", Encoding.ASCII.GetString(File.ReadAllBytes(r.Path!), 0, 6));
        AssertNoTemporaryFiles();
        Assert.Contains(_completed, e => e.Result.RequestId == "g1" && e.Result.Ok);
    }

    [Fact]
    public async Task Gif_speed_shortens_playback_and_width_keeps_aspect()
    {
        _cam.Fill(DateTimeOffset.UtcNow, 60, 10);
        var r = await Submit(new RenderRequest { Camera = "front", Kind = RenderKind.Gif, Seconds = 4, Fps = 5, Speed = 2, Width = 320 });
        Assert.True(r.Ok, r.Error);
        var p = await Probe.RunAsync(r.Path!);
        Assert.Equal((320, 180, 20), (p.Width, p.Height, p.Frames));
        Assert.InRange(p.Duration, 1.9, 2.1);
    }

    [Fact]
    public async Task Cctv_gif_buffer_mode_shows_each_frame_for_the_interval()
    {
        _cam.Fill(DateTimeOffset.UtcNow, 60, 10);
        // cctv-gif-buffer: every buffered frame of the last `duration` s, each shown `interval` s.
        var r = await Submit(new RenderRequest { Camera = "front", Kind = RenderKind.Gif, Seconds = 5, FrameInterval = 0.5 });
        Assert.True(r.Ok, r.Error);
        var p = await Probe.RunAsync(r.Path!);
        Assert.InRange(p.Frames, 50, 51);
        Assert.Equal(p.Frames, r.Frames);
        Assert.InRange(p.Duration, p.Frames * 0.5 - 0.1, p.Frames * 0.5 + 0.1);
    }

    [Fact]
    public async Task Mp4_is_h264_yuv420p_with_moov_before_mdat()
    {
        _cam.Fill(DateTimeOffset.UtcNow, 60, 10);
        var r = await Submit(new RenderRequest { Camera = "front", Kind = RenderKind.Mp4, Seconds = 4 });
        Assert.True(r.Ok, r.Error);
        Assert.Equal(("mp4", 40, 640, 360), (r.Kind.Name(), r.Frames, r.Width, r.Height));
        var p = await Probe.RunAsync(r.Path!);
        Assert.Equal(("h264", "yuv420p", 640, 360, 40), (p.Codec, p.PixFmt, p.Width, p.Height, p.Frames));
        Assert.InRange(p.Duration, 3.9, 4.1);
        var atoms = TopLevelAtoms(File.ReadAllBytes(r.Path!));
        Assert.True(atoms.IndexOf("moov") >= 0 && atoms.IndexOf("moov") < atoms.IndexOf("mdat"), string.Join(",", atoms));
        AssertNoTemporaryFiles();
    }

    private static List<string> TopLevelAtoms(byte[] b)
    {
        var list = new List<string>();
        long i = 0;
        while (i + 8 <= b.Length)
        {
            long size = (uint)(b[i] << 24 | b[i + 1] << 16 | b[i + 2] << 8 | b[i + 3]);
            list.Add(Encoding.ASCII.GetString(b, (int)i + 4, 4));
            if (size == 1) size = (long)BitConverter.ToUInt64(b.AsSpan((int)i + 8, 8).ToArray().Reverse().ToArray());
            if (size < 8) break;
            i += size;
        }
        return list;
    }

    [Fact]
    public async Task Snapshot_is_the_newest_jpeg_as_is_or_scaled()
    {
        _cam.Fill(DateTimeOffset.UtcNow, 10, 10);
        var r = await Submit(new RenderRequest { Camera = "front", Kind = RenderKind.Snapshot });
        Assert.True(r.Ok, r.Error);
        Assert.Equal((640, 360, 1), (r.Width, r.Height, r.Frames));
        Assert.Equal(TestJpegs.All[9], File.ReadAllBytes(r.Path!));

        var s = await Submit(new RenderRequest { Camera = "front", Kind = RenderKind.Snapshot, Width = 320 });
        Assert.True(s.Ok, s.Error);
        Assert.Equal((320, 180), (s.Width, s.Height));
        var p = await Probe.RunAsync(s.Path!);
        Assert.Equal(("mjpeg", 320, 180), (p.Codec, p.Width, p.Height));
        Assert.EndsWith("-snapshot.jpg", s.Url);
    }

    [Fact]
    public async Task Moment_waits_for_the_after_part_then_renders_mp4_and_gif()
    {
        var start = DateTimeOffset.UtcNow;
        _cam.Fill(start, 30, 10); // 3 s before the request
        var appended = 0;
        using var writer = new Timer(_ =>
        {
            var n = Interlocked.Increment(ref appended);
            _cam.Ring.Append(TestJpegs.All[n % 60], DateTimeOffset.UtcNow);
        }, null, 100, 100);

        var requestedAt = DateTimeOffset.UtcNow;
        var task = Submit(new RenderRequest { Camera = "front", Kind = RenderKind.Moment, Before = 2, After = 1, RequestedAt = requestedAt, RequestId = "m" });
        Assert.False(task.IsCompleted); // the after-part cannot have arrived yet
        Assert.Equal(0, _queue.Running); // waiting holds no worker
        var r = await task;
        Assert.True(_cam.Ring.NewestTime >= requestedAt.AddSeconds(1));

        Assert.True(r.Ok, r.Error);
        Assert.Equal(ResultKind.Moment, r.Kind);
        Assert.True(r.End >= requestedAt.AddSeconds(0.85), $"end {r.End:O} requested {requestedAt:O}");
        var mp4 = await Probe.RunAsync(r.Path!);
        Assert.Equal("h264", mp4.Codec);
        Assert.InRange(mp4.Duration, 2.5, 3.5);
        Assert.EndsWith("-moment.mp4", r.Url);
        Assert.EndsWith("-moment.gif", r.GifUrl);
        Assert.StartsWith("/media/local/lookback/", r.GifMedia);
        var gif = await Probe.RunAsync(r.GifPath!);
        Assert.Equal(("gif", 480, 270), (gif.Codec, gif.Width, gif.Height));
        Assert.Equal(12, gif.Frames); // 3 s at the camera's gif fps (4)
    }

    [Fact]
    public async Task No_frames_in_the_window_is_an_error()
    {
        _cam.Fill(DateTimeOffset.UtcNow.AddMinutes(-5), 10, 10);
        var r = await Submit(new RenderRequest { Camera = "front", Kind = RenderKind.Gif, Seconds = 10 });
        Assert.Equal(RenderStatus.Error, r.Status);
        Assert.Equal("no frames in the last 10 s", r.Error);
        Assert.Contains(_completed, e => e.Result == r);
    }

    [Fact]
    public async Task Bad_parameter_and_unknown_camera_are_errors_and_published()
    {
        var r = await Submit(new RenderRequest { Camera = "front", Kind = RenderKind.Gif, Width = 5 });
        Assert.Equal(RenderStatus.Error, r.Status);
        Assert.StartsWith("width must be between 16 and 3840", r.Error);
        var u = await Submit(new RenderRequest { Camera = "nope", Kind = RenderKind.Snapshot });
        Assert.Equal("unknown camera 'nope'", u.Error);
        Assert.Equal(2, _completed.Count(e => e.Result.Status == RenderStatus.Error));
        Assert.Contains(_queue.Metrics.Snapshot(), c => c is { Camera: "front", Kind: "gif", Error: 1 });
        Assert.Contains(_queue.Metrics.Snapshot(), c => c is { Camera: "_unknown", Kind: "snapshot", Error: 1 });
    }
}
