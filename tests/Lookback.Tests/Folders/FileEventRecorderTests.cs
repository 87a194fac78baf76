using Lookback.Config;
using Lookback.Events;
using Lookback.Media.Rendering;
using Lookback.Sources.Folder;
using Lookback.Media.Storage;
using Microsoft.Extensions.Logging.Abstractions;
using static Lookback.Tests.Folders.FolderTestKit;
using Lookback.Imaging;

namespace Lookback.Tests.Folders;

public sealed class FileEventRecorderTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("lookback-media-").FullName;
    public void Dispose() { try { Directory.Delete(_root, true); } catch (IOException) { } }

    /// <summary>Renders a "GIF" by writing a small file under the media root, as the real queue does.</summary>
    private sealed class FakeRender(MediaStore media) : IRenderService
    {
        public List<RenderRequest> Requests { get; } = [];
        public int Queued => 0;
        public async Task<RenderResult> SubmitAsync(RenderRequest r, CancellationToken ct)
        {
            lock (Requests) Requests.Add(r);
            var f = await media.WriteAsync(r.Camera, r.To!.Value, "gif", "gif", "GIF89a"u8.ToArray(), ct);
            return new RenderResult { Camera = r.Camera, Kind = ResultKind.Gif, Status = RenderStatus.Ok, Path = f.FullPath, Url = media.Url(f.RelativePath) };
        }
    }

    private static FolderFileIngested File(DateTimeOffset t, string name, byte[] jpeg) =>
        new("ftpcam", name, "/share/" + name, t, "pattern", t, jpeg, JpegMetadata.Read(jpeg));

    [Fact]
    public async Task A_burst_of_files_is_one_event_announced_like_motion()
    {
        var bus = new EventBus();
        var media = new MediaStore(new StorageOptions { Path = _root, MediaUrl = "/media/local/lookback" },
            new HttpOptions { PublicUrl = "http://ha:8099" });
        var store = new EventStore(Path.Combine(_root, ".state", "events.db"));
        var render = new FakeRender(media);
        var changes = new List<MotionChanged>();
        var completed = new List<MotionEventCompleted>();
        bus.Subscribe<MotionChanged>(e => { lock (changes) changes.Add(e); });
        bus.Subscribe<MotionEventCompleted>(e => { lock (completed) completed.Add(e); });
        var options = new CameraOptions { Slug = "ftpcam", Url = "/share", Kind = CameraKind.Folder, Motion = new MotionOptions { OffDelay = 0.5 } };
        await using var recorder = new FileEventRecorder("ftpcam", options, store, media, render, bus, TimeProvider.System, NullLogger.Instance);

        var t0 = new DateTimeOffset(2026, 1, 5, 17, 30, 12, TimeSpan.Zero);
        var first = WithSegments(Jpeg(), Comment("Motion alarm ch1"), Exif("2026:01:05 18:30:12"));
        bus.Publish(File(t0, "a.jpg", first));
        var second = Jpeg(shade: 50);
        bus.Publish(File(t0.AddSeconds(0.2), "b.jpg", second));
        bus.Publish(File(t0.AddSeconds(0.4), "c.jpg", Jpeg(shade: 90)));
        await WaitUntilAsync(() => { lock (completed) return completed.Count == 1; }, "the first event to complete");
        bus.Publish(File(t0.AddSeconds(60), "d.jpg", Jpeg(shade: 120)));
        await WaitUntilAsync(() => { lock (completed) return completed.Count == 2; }, "the second event to complete");
        await recorder.Pending;

        var id1 = Lookback.Motion.MotionEventTracker.MakeEventId(t0, "ftpcam");
        lock (changes)
        {
            Assert.Equal([true, false, true, false], changes.Select(c => c.Active));
            Assert.Equal(id1, changes[0].EventId);
            Assert.Equal(t0, changes[0].At);
        }
        var e1 = completed[0];
        Assert.Equal(id1, e1.EventId);
        Assert.Equal((t0, t0.AddSeconds(0.4)), (e1.Start, e1.End));
        Assert.Null(e1.Error);
        Assert.StartsWith("http://ha:8099/media/ftpcam/", e1.Snapshot!.Url);
        Assert.StartsWith("/media/local/lookback/ftpcam/", e1.Snapshot.Media);
        Assert.Equal(first, await System.IO.File.ReadAllBytesAsync(media.FullPath(e1.Snapshot.RelativePath)));
        Assert.NotNull(e1.Gif); // 3 frames: a GIF of the burst
        var gifRequest = Assert.Single(render.Requests);
        Assert.Equal((t0, t0.AddSeconds(0.4), RenderOrigin.Motion), (gifRequest.From!.Value, gifRequest.To!.Value, gifRequest.Origin));
        Assert.Null(completed[1].Gif); // a single file: its snapshot only
        Assert.NotNull(completed[1].Snapshot);

        var stored = store.Query("ftpcam", 10, null);
        Assert.Equal(2, stored.Count);
        var s1 = stored.Single(e => e.Id == id1);
        Assert.Equal("file", s1.Type);
        Assert.Equal(t0.AddSeconds(0.4), s1.End);
        Assert.Equal("Motion alarm ch1", s1.Metadata["comment"]);
        Assert.Equal("2026-01-05T18:30:12", s1.Metadata["exif_time"]);
        Assert.Equal("a.jpg", s1.Metadata["file"]);
        Assert.Equal("3", s1.Metadata["files"]);
        Assert.Equal(e1.Snapshot.RelativePath, s1.Files["snapshot"]);
        Assert.Equal(e1.Gif!.RelativePath, s1.Files["gif"]);
        Assert.False(stored.Single(e => e.Id != id1).Metadata.ContainsKey("comment"));

        // the burst's files are its replay frames, each with its time and JPEG comment
        var frames = EventFrames.Index(media, s1)!;
        Assert.Equal([t0, t0.AddSeconds(0.2), t0.AddSeconds(0.4)], frames.Select(f => f.Time));
        Assert.Equal(["Motion alarm ch1", null, null], frames.Select(f => f.Comment));
        Assert.Equal(second, EventFrames.Read(media, s1, frames[1]));
        Assert.Single(EventFrames.Index(media, stored.Single(e => e.Id != id1))!);
    }
}
