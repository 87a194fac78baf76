using Lookback.Config;
using Lookback.Events;
using Lookback.Sources.Folder;
using Lookback.Tests.Sources;
using static Lookback.Tests.Folders.FolderTestKit;

namespace Lookback.Tests.Folders;

public sealed class FolderSourceTests : IDisposable
{
    private static readonly TimeZoneInfo Plus1 = TimeZoneInfo.CreateCustomTimeZone("t+1", TimeSpan.FromHours(1), "t+1", "t+1");
    private static readonly FolderSourceSettings Fast = new()
    {
        Rescan = TimeSpan.FromMilliseconds(300), Settle = TimeSpan.FromMilliseconds(200),
        GiveUp = TimeSpan.FromMilliseconds(600), CheckEvery = TimeSpan.FromMilliseconds(50),
    };

    private readonly string _share = Directory.CreateTempSubdirectory("lookback-share-").FullName;
    private readonly string _state = Directory.CreateTempSubdirectory("lookback-state-").FullName;
    private readonly EventBus _bus = new();
    private readonly List<FolderFileIngested> _ingested = [];

    public FolderSourceTests() => _bus.Subscribe<FolderFileIngested>(f => { lock (_ingested) _ingested.Add(f); });

    public void Dispose()
    {
        foreach (var d in new[] { _share, _state }) try { Directory.Delete(d, true); } catch (IOException) { }
    }

    private FolderFileIngested[] Ingested() { lock (_ingested) return _ingested.ToArray(); }

    private FolderSource Source(string? pattern = "*_{yyyyMMdd_HHmmss}.jpg") => new(
        new CameraOptions { Slug = "ftpcam", Url = _share, Kind = CameraKind.Folder, TimePattern = pattern, Store = 10 },
        null, _state, _bus, Fast, Plus1);

    private static async Task<(CancellationTokenSource, Task)> Start(FolderSource s, RecordingSink sink)
    {
        var cts = new CancellationTokenSource();
        var task = Task.Run(() => s.RunAsync(sink, cts.Token));
        await Task.Yield();
        return (cts, task);
    }

    private static async Task Stop((CancellationTokenSource Cts, Task Task) run)
    {
        run.Cts.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run.Task.WaitAsync(TimeSpan.FromSeconds(5)));
    }

    /// <summary>Writes to a hidden temporary name, then renames into place (what rsync and most FTP servers do).</summary>
    private void AtomicWrite(string name, byte[] bytes, DateTime? mtimeUtc = null)
    {
        var target = Path.Combine(_share, name);
        var tmp = Path.Combine(Path.GetDirectoryName(target)!, "." + Path.GetFileName(name) + ".part");
        File.WriteAllBytes(tmp, bytes);
        if (mtimeUtc is { } m) File.SetLastWriteTimeUtc(tmp, m);
        File.Move(tmp, target);
    }

    private static DateTimeOffset T(string s) => DateTimeOffset.Parse(s);

    [Fact]
    public async Task Files_copied_in_become_frames_with_their_times_and_events()
    {
        AtomicWrite("cam_20260101_000000.jpg", Jpeg(shade: 10)); // history: primes the ring, is no event
        var sink = new RecordingSink();
        var source = Source();
        var run = await Start(source, sink);
        await sink.WaitForFramesAsync(1);
        Assert.Equal(T("2026-01-01T00:00:00+01:00"), sink.Frames[0].At);

        // an atomic rename: time from the pattern
        var a = WithSegments(Jpeg(shade: 20), Comment("line crossing"), Exif("2026:01:05 17:30:00"));
        AtomicWrite("cam_20260105_173012.jpg", a);
        await sink.WaitForFramesAsync(2);
        Assert.Equal(T("2026-01-05T17:30:12+01:00"), sink.Frames[1].At);
        Assert.Equal(a, sink.Frames[1].Jpeg);

        // a slow write: half a JPEG is never a frame
        var b = Jpeg(320, 240, shade: 40);
        var slowPath = Path.Combine(_share, "cam_20260105_173015.jpg");
        await using (var slow = new FileStream(slowPath, FileMode.CreateNew, FileAccess.Write, FileShare.Read))
        {
            slow.Write(b, 0, b.Length / 2);
            slow.Flush();
            AtomicWrite("cam_20260105_173020.jpg", Jpeg(shade: 60)); // passes the half-written file
            await sink.WaitForFramesAsync(3);
            Assert.Equal(T("2026-01-05T17:30:20+01:00"), sink.Frames[2].At);
            slow.Write(b, b.Length / 2, b.Length - b.Length / 2);
        }
        await sink.WaitForFramesAsync(4);
        Assert.Equal(T("2026-01-05T17:30:15+01:00"), sink.Frames[3].At);
        Assert.Equal(b, sink.Frames[3].Jpeg);

        // no time in the name: EXIF, else mtime
        AtomicWrite("alarm.jpg", WithSegments(Jpeg(shade: 80), Exif("2026:01:06 08:00:00")));
        await sink.WaitForFramesAsync(5);
        Assert.Equal(T("2026-01-06T08:00:00+01:00"), sink.Frames[4].At);
        var mtime = DateTime.UtcNow.AddSeconds(-30);
        Directory.CreateDirectory(Path.Combine(_share, "2026-01-06"));
        AtomicWrite(Path.Combine("2026-01-06", "plain.JPG"), Jpeg(shade: 90), mtime);
        await sink.WaitForFramesAsync(6);
        Assert.Equal(new DateTimeOffset(mtime).ToUnixTimeMilliseconds(), sink.Frames[5].At.ToUnixTimeMilliseconds());

        // not a JPEG name, hidden: ignored
        File.WriteAllBytes(Path.Combine(_share, "readme.txt"), [1, 2, 3]);
        File.WriteAllBytes(Path.Combine(_share, ".hidden.jpg"), Jpeg());

        var events = Ingested();
        Assert.Equal(["cam_20260105_173012.jpg", "cam_20260105_173020.jpg", "cam_20260105_173015.jpg", "alarm.jpg", "2026-01-06/plain.JPG"],
            events.Select(e => e.RelativePath));
        Assert.Equal(["pattern", "pattern", "pattern", "exif", "mtime"], events.Select(e => e.TimeSource));
        Assert.Equal("line crossing", events[0].Metadata.Comment);
        Assert.Equal("2026-01-05T17:30:00", events[0].Metadata.ExifTimeText);
        Assert.Empty(sink.Errors);
        await Stop(run);
        Assert.Equal(6, sink.FrameCount);
        Assert.Equal(5, source.FilesIngested);

        // restart: the ring is primed again, nothing is ingested twice; a new file is new
        var sink2 = new RecordingSink();
        var again = Source();
        var run2 = await Start(again, sink2);
        await sink2.WaitForFramesAsync(6);
        AtomicWrite("cam_20260107_120000.jpg", Jpeg(shade: 100));
        await sink2.WaitForFramesAsync(7);
        await Stop(run2);
        Assert.Equal(1, again.FilesIngested);
        Assert.Equal("cam_20260107_120000.jpg", Ingested()[^1].RelativePath);
        Assert.Equal(6, Ingested().Length);
    }

    [Fact]
    public async Task Files_that_arrived_while_stopped_are_new_and_a_broken_file_is_reported_once()
    {
        var sink = new RecordingSink();
        var run = await Start(Source(), sink);
        AtomicWrite("cam_20260105_100000.jpg", Jpeg());
        await sink.WaitForFramesAsync(1);
        await Stop(run);

        AtomicWrite("cam_20260105_110000.jpg", Jpeg(shade: 30)); // while stopped
        var broken = Jpeg();
        File.WriteAllBytes(Path.Combine(_share, "cam_20260105_120000.jpg"), broken[..(broken.Length / 2)]);
        var sink2 = new RecordingSink();
        var source = Source();
        var run2 = await Start(source, sink2);
        await sink2.WaitForErrorAsync(e => e.Contains("cam_20260105_120000.jpg") && e.Contains("truncated"));
        await sink2.WaitUntilAsync(s => s.Frames.Any(f => f.At == T("2026-01-05T11:00:00+01:00")), TimeSpan.FromSeconds(10), "the file of the downtime");
        AtomicWrite("cam_20260105_130000.jpg", Jpeg(shade: 50));
        await sink2.WaitUntilAsync(s => s.Frames.Any(f => f.At == T("2026-01-05T13:00:00+01:00")), TimeSpan.FromSeconds(10), "a later file");
        await Stop(run2);
        Assert.Equal(2, source.FilesIngested);
        Assert.Single(sink2.Errors);
    }

    [Fact]
    public async Task A_missing_folder_is_an_error_until_it_appears()
    {
        Directory.Delete(_share);
        var sink = new RecordingSink();
        var run = await Start(Source(), sink);
        await sink.WaitForErrorAsync(e => e.Contains("does not exist"));
        Directory.CreateDirectory(_share);
        AtomicWrite("cam_20260105_100000.jpg", Jpeg());
        await sink.WaitForFramesAsync(1);
        await Stop(run);
    }
}
