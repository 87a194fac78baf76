using Lookback.Config;
using Lookback.Media.Storage;

namespace Lookback.Tests.Storage;

public sealed class RetentionTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("lookback-retention-").FullName;
    private readonly DateTimeOffset _now = new(2026, 11, 22, 12, 0, 0, TimeSpan.Zero);

    public void Dispose() { try { Directory.Delete(_root, true); } catch (IOException) { } }

    private sealed class FixedClock(DateTimeOffset now) : TimeProvider { public override DateTimeOffset GetUtcNow() => now; }

    private string File(string rel, int bytes, DateTimeOffset written)
    {
        var full = Path.Combine(_root, rel);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        System.IO.File.WriteAllBytes(full, new byte[bytes]);
        System.IO.File.SetLastWriteTimeUtc(full, written.UtcDateTime);
        return rel;
    }

    private EventStore Events() => new(Path.Combine(_root, ".state", "events.db"));

    private static StoredEvent Event(string id, DateTimeOffset start, params string[] files) => new()
    {
        Id = id, Camera = "front", Start = start, End = start.AddSeconds(5), Score = 1.5,
        Files = files.Select((f, i) => (f, i)).ToDictionary(x => x.i == 0 ? "snapshot" : "gif", x => x.f),
    };

    [Fact]
    public void Removes_files_and_events_older_than_retain_days_and_keeps_hidden_folders()
    {
        var events = Events();
        var old = File("front/2026-11-10/120000.000-motion.jpg", 100, _now.AddDays(-12));
        File("front/2026-11-10/rec/120000-1.ts", 100, _now.AddDays(-12));
        var fresh = File("front/2026-11-22/110000.000-gif.gif", 100, _now.AddHours(-1));
        File(".outbox/0001.seg", 100, _now.AddDays(-30));
        events.Upsert(Event("old", _now.AddDays(-12), old));
        events.Upsert(Event("new", _now.AddHours(-1), fresh));

        Directory.CreateDirectory(Path.Combine(_root, "front/2026-11-22/rec"));   // a recorder's fresh, still empty folder
        var r = new Retention(new StorageOptions { RetainDays = 7, MaxBytes = long.MaxValue }, _root, events, new FixedClock(_now)).Sweep();

        Assert.Equal(1, r.EventsDeleted);
        Assert.False(System.IO.File.Exists(Path.Combine(_root, old)));
        Assert.False(Directory.Exists(Path.Combine(_root, "front/2026-11-10")), "empty day folder removed");
        Assert.True(System.IO.File.Exists(Path.Combine(_root, fresh)));
        Assert.True(Directory.Exists(Path.Combine(_root, "front/2026-11-22/rec")), "today's empty folders stay");
        Assert.True(System.IO.File.Exists(Path.Combine(_root, ".outbox/0001.seg")));
        Assert.Equal(["new"], events.Query(null, 10, null).Select(e => e.Id));
    }

    [Fact]
    public void Over_max_bytes_the_oldest_files_go_first_with_the_events_that_name_them()
    {
        var events = Events();
        var files = Enumerable.Range(0, 5).Select(i => File($"front/2026-11-22/1{i}0000.000-gif.gif", 1000, _now.AddMinutes(-50 + i * 10))).ToList();
        for (var i = 0; i < 5; i++) events.Upsert(Event($"e{i}", _now.AddMinutes(-50 + i * 10), files[i]));

        var r = new Retention(new StorageOptions { RetainDays = 0, MaxBytes = 2500 }, _root, events, new FixedClock(_now)).Sweep();

        Assert.Equal((3, 3000L, 2000L), (r.FilesDeleted, r.BytesDeleted, r.BytesKept));
        Assert.Equal([false, false, false, true, true], files.Select(f => System.IO.File.Exists(Path.Combine(_root, f))));
        Assert.Equal(["e4", "e3"], events.Query("front", 10, null).Select(e => e.Id));
    }

    [Fact]
    public void Event_store_pages_newest_first_by_camera()
    {
        var events = Events();
        for (var i = 0; i < 5; i++) events.Upsert(Event($"e{i}", _now.AddMinutes(i)) with { Camera = i % 2 == 0 ? "front" : "yard" });
        var first = events.Query("front", 2, null);
        Assert.Equal(["e4", "e2"], first.Select(e => e.Id));
        Assert.Equal(["e0"], events.Query("front", 2, first[^1].Start).Select(e => e.Id));
        Assert.Equal(5, events.Count());
        events.Upsert(Event("e4", _now.AddMinutes(4), "front/a.jpg", "front/a.gif") with { Camera = "front", Zones = ["door"] });
        var e4 = events.Get("e4")!;
        Assert.Equal(["door"], e4.Zones);
        Assert.Equal("front/a.gif", e4.Files["gif"]);
        Assert.Equal(5, events.Count());
    }
}
