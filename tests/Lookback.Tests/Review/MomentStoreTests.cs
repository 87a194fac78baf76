using Lookback.Config;
using Lookback.Events;
using Lookback.Media.Rendering;
using Lookback.Media.Storage;
using Lookback.Tests.Sources;

namespace Lookback.Tests.Review;

/// <summary>Moments as rows (issue 12): what a render outcome records, queries with filters and paging, retention.</summary>
public sealed class MomentStoreTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("lookback-h12-moments-").FullName;
    private string Db => Path.Combine(_dir, ".state", "events.db");

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try { Directory.Delete(_dir, true); } catch (IOException) { }
    }

    private static readonly DateTimeOffset T0 = new(2026, 12, 3, 8, 0, 0, TimeSpan.Zero);

    private static RenderResult Ok(string kind, string path, string? gif = null) => new()
    {
        Camera = "front", Kind = ResultKinds.Parse(kind)!.Value, Status = RenderStatus.Ok, Path = path, GifPath = gif, Bytes = 1000,
        Start = T0.AddSeconds(-5), End = T0.AddSeconds(3), RequestId = "r-1",
    };

    [Fact]
    public void A_moment_render_records_its_mp4_and_gif_who_asked_and_the_bytes()
    {
        var gif = Path.Combine(_dir, "front", "d", "x-moment.gif");
        Directory.CreateDirectory(Path.GetDirectoryName(gif)!);
        File.WriteAllBytes(gif, new byte[234]);
        var req = new RenderRequest { Camera = "front", Kind = RenderKind.Moment, Origin = RenderOrigin.Mqtt, RequestId = "r-1", RequestedAt = T0 };
        var m = MomentRecorder.ToMoment(new RenderCompleted(req, Ok("moment", Path.Combine(_dir, "front", "d", "x-moment.mp4"), gif)), _dir, T0.AddMinutes(1))!;
        Assert.Equal("moment", m.Kind);
        Assert.Equal("mqtt", m.Origin);
        Assert.Equal("r-1", m.RequestId);
        Assert.Equal(T0, m.RequestedAt);
        Assert.Equal(("front/d/x-moment.mp4", "front/d/x-moment.gif"), (m.Files["mp4"], m.Files["gif"]));
        Assert.Equal(1234, m.Bytes);
        Assert.Equal((T0.AddSeconds(-5), T0.AddSeconds(3)), (m.Start, m.End));
        Assert.False(m.Doorbell);
    }

    [Fact]
    public void Triggers_record_their_topic_and_the_doorbell_errors_are_kept_motion_and_busy_are_not()
    {
        var trig = new RenderRequest { Camera = "front", Kind = RenderKind.Gif, Origin = RenderOrigin.Trigger, LeadFrame = true,
            TriggerTopic = "zigbee2mqtt/doorbell", RequestedAt = T0 };
        var m = MomentRecorder.ToMoment(new RenderCompleted(trig, Ok("gif", Path.Combine(_dir, "a.gif"))), _dir, T0)!;
        Assert.Equal(("trigger", "zigbee2mqtt/doorbell", true), (m.Origin, m.Trigger, m.Doorbell));
        Assert.Equal("a.gif", m.Files["gif"]);

        var failed = MomentRecorder.ToMoment(new RenderCompleted(trig, RenderResult.Failed(trig, "no frames")), _dir, T0)!;
        Assert.Equal(("error", "no frames"), (failed.Status, failed.Error));
        Assert.Empty(failed.Files);

        var motion = trig with { Origin = RenderOrigin.Motion };
        Assert.Null(MomentRecorder.ToMoment(new RenderCompleted(motion, Ok("gif", Path.Combine(_dir, "a.gif"))), _dir, T0));
        Assert.Null(MomentRecorder.ToMoment(new RenderCompleted(trig, RenderResult.Busy(trig, 3)), _dir, T0));
    }

    private static StoredMoment Row(string id, string camera, string kind, DateTimeOffset at, params (string, string)[] files) => new()
    {
        Id = id, Camera = camera, Kind = kind, RequestedAt = at, Origin = "http",
        Files = files.ToDictionary(f => f.Item1, f => f.Item2),
    };

    [Fact]
    public void Query_filters_by_camera_kind_and_range_and_pages_back_newest_first()
    {
        var store = new MomentStore(Db);
        for (var i = 0; i < 10; i++)
            store.Insert(Row($"m{i}", i % 2 == 0 ? "front" : "back", i % 3 == 0 ? "snapshot" : "gif", T0.AddMinutes(i)));
        Assert.Equal(["m9", "m8", "m7"], store.Query(new MomentQuery { Limit = 3 }).Select(m => m.Id));
        Assert.Equal(["m6", "m5", "m4"], store.Query(new MomentQuery { Limit = 3, Before = T0.AddMinutes(7) }).Select(m => m.Id));
        Assert.Equal(["m8", "m6", "m4", "m2", "m0"], store.Query(new MomentQuery { Camera = "front" }).Select(m => m.Id));
        Assert.Equal(["m9", "m6", "m3", "m0"], store.Query(new MomentQuery { Kind = "snapshot" }).Select(m => m.Id));
        Assert.Equal(["m4", "m3", "m2"], store.Query(new MomentQuery { From = T0.AddMinutes(2), To = T0.AddMinutes(5) }).Select(m => m.Id));
        Assert.Equal("back", store.Get("m3")!.Camera);
        Assert.Null(store.Get("nope"));
    }

    [Fact]
    public void Retention_removes_old_moments_with_their_files_and_rows_whose_file_it_deleted()
    {
        var moments = new MomentStore(Db);
        var events = new EventStore(Db);
        var now = DateTimeOffset.UtcNow;
        string Write(string rel, DateTimeOffset mtime)
        {
            var full = Path.Combine(_dir, rel);
            Directory.CreateDirectory(Path.GetDirectoryName(full)!);
            File.WriteAllBytes(full, new byte[1000]);
            File.SetLastWriteTimeUtc(full, mtime.UtcDateTime);
            return full;
        }
        var oldFile = Write("front/old/a-moment.mp4", now.AddDays(-10));
        var newFile = Write("front/new/b-snapshot.jpg", now.AddMinutes(-1));
        var bigFile = Write("front/new/c-gif.gif", now.AddMinutes(-2));
        moments.Insert(Row("old", "front", "moment", now.AddDays(-10), ("mp4", "front/old/a-moment.mp4")));
        moments.Insert(Row("new", "front", "snapshot", now.AddMinutes(-1), ("snapshot", "front/new/b-snapshot.jpg")));
        moments.Insert(Row("big", "front", "gif", now.AddMinutes(-2), ("gif", "front/new/c-gif.gif")));

        // retain_days removes "old" and its file; max_bytes (1,500) then the oldest remaining file: "big"
        var report = new Retention(new StorageOptions { Path = _dir, RetainDays = 7, MaxBytes = 1500 }, _dir, events, TimeProvider.System,
            moments: moments).Sweep();
        Assert.False(File.Exists(oldFile));
        Assert.False(File.Exists(bigFile));
        Assert.True(File.Exists(newFile));
        Assert.Equal(["new"], moments.Query(new MomentQuery()).Select(m => m.Id));
        Assert.Equal(2, report.EventsDeleted);
    }
}
