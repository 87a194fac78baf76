using Lookback.Config;
using Lookback.Tests.Folders;
using Lookback.Tests.Rendering;
using Lookback.Media.Timelapse;
using Lookback.Imaging;

namespace Lookback.Tests.Timelapse;

public sealed class TimelapseTests : IDisposable
{
    private readonly TempDir _dir = new();
    public void Dispose() => _dir.Dispose();

    private static readonly DateTimeOffset Day = new(2026, 3, 10, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Samples_file_appends_reads_and_repairs_a_torn_tail()
    {
        var path = Path.Combine(_dir.Path, "cam", "2026-03-10", "timelapse", TimelapseSamples.FileName);
        var jpegs = Enumerable.Range(0, 5).Select(i => FolderTestKit.Jpeg(shade: (byte)(i * 40))).ToList();
        for (var i = 0; i < 3; i++) TimelapseSamples.Append(path, Day.AddSeconds(48 * i), jpegs[i]);
        Assert.Equal(3, TimelapseSamples.Count(path));

        // a crash in the middle of an append: the torn record is invisible, then cut off by the next append
        using (var fs = new FileStream(path, FileMode.Append)) fs.Write(new byte[] { (byte)'L', (byte)'B', (byte)'T', (byte)'S', 1, 2, 3 });
        Assert.Equal(3, TimelapseSamples.Count(path));
        TimelapseSamples.Append(path, Day.AddSeconds(48 * 3), jpegs[3]);
        var read = TimelapseSamples.Read(path).Select(s => (s.Time, s.Jpeg.ToArray())).ToList();
        Assert.Equal(4, read.Count);
        for (var i = 0; i < 4; i++) { Assert.Equal(Day.AddSeconds(48 * i), read[i].Time); Assert.Equal(jpegs[i], read[i].Item2); }

        // a damaged JPEG byte: readers stop before it (the CRC)
        var bytes = File.ReadAllBytes(path);
        bytes[^10] ^= 0xFF;
        File.WriteAllBytes(path, bytes);
        Assert.Equal(3, TimelapseSamples.Read(path).Count());
        Assert.Equal(0, TimelapseSamples.Count(Path.Combine(_dir.Path, "nothing.bin")));
    }

    [Fact]
    public async Task Samples_encode_to_an_mp4_of_frames_over_fps_seconds()
    {
        var store = new TimelapseStore(_dir.Path, TimeZoneInfo.Utc);
        var day = DateOnly.FromDateTime(Day.UtcDateTime);
        var path = store.SamplesPath("cam", day);
        var jpegs = TestJpegs.All;
        for (var i = 0; i < 45; i++) TimelapseSamples.Append(path, Day.AddSeconds(48 * i), jpegs[i % jpegs.Count]);
        TimelapseSamples.Append(path, Day.AddSeconds(48 * 45), FolderTestKit.Jpeg(320, 240)); // another size: letterboxed
        var progress = new List<TimelapseProgress>();
        var encoder = new TimelapseEncoder(store, new TimelapseOptions { Fps = 30, Width = 480 });
        var r = await encoder.EncodeAsync("cam", day, new SyncProgress(progress.Add), CancellationToken.None);

        Assert.Equal(Path.Combine(_dir.Path, "cam", "2026-03-10", "timelapse.mp4"), r.FullPath);
        Assert.Equal("cam/2026-03-10/timelapse.mp4", r.RelativePath);
        Assert.Equal((46, 480, 270), (r.Frames, r.Width, r.Height));
        var probe = await Probe.RunAsync(r.FullPath);
        Assert.Equal(("h264", "yuv420p", 480, 270, 46), (probe.Codec, probe.PixFmt, probe.Width, probe.Height, probe.Frames));
        Assert.InRange(probe.Duration, 46 / 30.0 - 0.1, 46 / 30.0 + 0.1);
        Assert.Equal(new TimelapseProgress(46, 46), progress[^1]);
        Assert.Empty(Directory.GetFiles(Path.GetDirectoryName(r.FullPath)!, "*.tmp-*"));
        Assert.True(store.Mp4Current("cam", day));

        var days = store.Days("cam");
        Assert.Equal(new TimelapseDay(day, 46, true, r.Bytes, "cam/2026-03-10/timelapse.mp4"), Assert.Single(days));
        await Assert.ThrowsAsync<TimelapseNoFramesException>(() => encoder.EncodeAsync("cam", day.AddDays(1), null, CancellationToken.None));
    }

    [Fact]
    public async Task Sampler_takes_the_newest_frame_once_scaled_to_the_width()
    {
        var cam = new TestCamera("cam");
        var other = new TestCamera("off", new CameraOptions { Slug = "off", Url = "http://x/y", Timelapse = false });
        var store = new TimelapseStore(_dir.Path, TimeZoneInfo.Utc);
        var options = new TimelapseOptions { Width = 320 };
        await using var service = new TimelapseService(new TestCameras(cam, other), new TimelapseEncoder(store, options), options,
            period: TimeSpan.FromMilliseconds(30));
        Assert.Equal(0, service.SampleOnce()); // no frame yet
        cam.Ring.Append(TestJpegs.All[0], Day);
        other.Ring.Append(TestJpegs.All[0], Day);
        Assert.Equal(1, service.SampleOnce());
        Assert.Equal(0, service.SampleOnce()); // the same frame is not sampled twice
        cam.Ring.Append(TestJpegs.All[1], Day.AddDays(1)); // the next day: another file
        Assert.Equal(1, service.SampleOnce());
        var d0 = DateOnly.FromDateTime(Day.UtcDateTime);
        var sample = Assert.Single(TimelapseSamples.Read(store.SamplesPath("cam", d0)));
        Assert.True(Lookback.Imaging.JpegValidator.TryGetSize(sample.Jpeg.Span, out var w, out _));
        Assert.Equal(320, w);
        Assert.Equal(1, TimelapseSamples.Count(store.SamplesPath("cam", d0.AddDays(1))));
        Assert.False(Directory.Exists(Path.Combine(_dir.Path, "off")));

        // the timer samples on its own
        service.Start();
        cam.Ring.Append(TestJpegs.All[2], Day.AddDays(1).AddSeconds(1));
        await FolderTestKit.WaitUntilAsync(() => TimelapseSamples.Count(store.SamplesPath("cam", d0.AddDays(1))) == 2, "a timed sample");
    }

    private sealed class SyncProgress(Action<TimelapseProgress> report) : IProgress<TimelapseProgress>
    {
        public void Report(TimelapseProgress value) => report(value);
    }
}
