using System.Net;
using System.Text.Json;
using Lookback.Config;
using Lookback.Media.Storage;
using Lookback.Tests.Hosting;
using Lookback.Tests.Sources;
using Microsoft.Extensions.DependencyInjection;

namespace Lookback.Tests.Review;

/// <summary>The day timeline (issue 12): pure building from rows, the availability log, and GET /api/timeline.</summary>
public sealed class TimelineTests
{
    private static readonly DateTimeOffset Day0 = new(2026, 12, 3, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Events_moments_rings_and_offline_periods_become_marks_in_time_order()
    {
        var events = new[]
        {
            new StoredEvent { Id = "e1", Camera = "a", Start = Day0.AddHours(9), End = Day0.AddHours(9).AddMinutes(1), Zones = ["porch"] },
            new StoredEvent { Id = "e2", Camera = "b", Type = "file", Start = Day0.AddHours(7), End = Day0.AddHours(7),
                Metadata = new Dictionary<string, string> { ["comment"] = "PIR alarm" } },
            new StoredEvent { Id = "old", Camera = "a", Start = Day0.AddHours(-3), End = Day0.AddHours(-2) },
        };
        var moments = new[]
        {
            new StoredMoment { Id = "m1", Camera = "a", Kind = "gif", RequestedAt = Day0.AddHours(10).AddMinutes(17), Origin = "trigger",
                Trigger = "zigbee2mqtt/doorbell", Doorbell = true },
            new StoredMoment { Id = "m2", Camera = "b", Kind = "snapshot", RequestedAt = Day0.AddHours(11), Origin = "http" },
        };
        // b was offline when the day began until 06:00; a goes offline at 12:00 and stays so (now is 15:00)
        var changes = new[]
        {
            new AvailabilityChange("b", Day0.AddHours(6), true, null),
            new AvailabilityChange("a", Day0.AddHours(12), false, "timeout"),
        };
        var atStart = new Dictionary<string, AvailabilityChange?>
        {
            ["a"] = new("a", Day0.AddDays(-1), true, null), ["b"] = new("b", Day0.AddHours(-5), false, "refused"),
        };
        var items = Timeline.Build(events, moments, changes, atStart, Day0, Day0.AddDays(1), Day0.AddHours(15));
        Assert.Equal(["offline b", "file b", "motion a", "ring a", "moment b", "offline a"], items.Select(i => $"{i.Type} {i.Camera}"));
        Assert.Equal((Day0, Day0.AddHours(6), "refused"), (items[0].Start, items[0].End!.Value, items[0].Label));
        Assert.Equal("PIR alarm", items[1].Label);
        Assert.Equal("porch", items[2].Label);
        Assert.Equal(("m1", "zigbee2mqtt/doorbell → gif"), (items[3].Id, items[3].Label));
        Assert.Equal((Day0.AddHours(12), Day0.AddHours(15), "timeout"), (items[5].Start, items[5].End!.Value, items[5].Label));
    }

    [Fact]
    public void The_availability_log_keeps_changes_only()
    {
        var dir = Directory.CreateTempSubdirectory("lookback-h12-avail-").FullName;
        try
        {
            var log = new AvailabilityLog(Path.Combine(dir, "events.db"));
            Assert.True(log.Record(new("a", Day0.AddHours(1), true, null)));
            Assert.False(log.Record(new("a", Day0.AddHours(2), true, null)));
            Assert.True(log.Record(new("a", Day0.AddHours(3), false, "x")));
            Assert.False(log.Record(new("a", Day0.AddHours(4), false, "y")));
            Assert.True(log.Record(new("a", Day0.AddHours(5), true, null)));
            Assert.Equal([true, false, true], log.Between("a", Day0, Day0.AddDays(1)).Select(c => c.Online));
            Assert.Equal(Day0.AddHours(3), log.Last("a", Day0.AddHours(4))!.At);
            // a new log on the same file knows the last state
            Assert.False(new AvailabilityLog(Path.Combine(dir, "events.db")).Record(new("a", Day0.AddHours(6), true, null)));
            Assert.Equal(3, log.DeleteOlderThan(Day0.AddDays(1)));
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(dir, true);
        }
    }

    [Fact]
    public async Task The_api_answers_today_with_events_moments_and_an_offline_camera()
    {
        await using var server = await TestCameraServer.StartAsync();
        await using var h = await AppHarness.StartAsync(
        [
            AppHarness.Camera("front", server.SnapshotUrl, interval: 0.2),
            AppHarness.Camera("dead", "http://127.0.0.1:1/none.jpg", interval: 0.2),
        ]);
        await AppHarness.WaitUntilAsync(() => h.App.Cameras.Find("dead")!.Status == Lookback.Cameras.CameraStatus.Offline, TimeSpan.FromSeconds(20), "dead offline");
        var sp = h.App.Services;
        var now = DateTimeOffset.UtcNow;
        sp.GetRequiredService<EventStore>().Upsert(new StoredEvent { Id = "ev-h12", Camera = "front", Start = now.AddSeconds(-30), End = now.AddSeconds(-20) });
        sp.GetRequiredService<MomentStore>().Insert(new StoredMoment { Id = "ring-h12", Camera = "front", Kind = "gif", RequestedAt = now.AddSeconds(-10),
            Origin = "trigger", Trigger = "doorbell/press", Doorbell = true });

        using var doc = JsonDocument.Parse(await h.Http.GetStringAsync("/api/timeline?date=today"));
        var tl = doc.RootElement;
        Assert.Equal(Days.Text(Days.Today(now)), tl.GetProperty("date").GetString());
        Assert.Equal(["front", "dead"], tl.GetProperty("cameras").EnumerateArray().Select(c => c.GetProperty("name").GetString()));
        var items = tl.GetProperty("items").EnumerateArray().Select(i => (Type: i.GetProperty("type").GetString(), Camera: i.GetProperty("camera").GetString())).ToList();
        Assert.Contains(("motion", "front"), items);
        Assert.Contains(("ring", "front"), items);
        Assert.Contains(("offline", "dead"), items);

        using var one = JsonDocument.Parse(await h.Http.GetStringAsync("/api/cameras/dead/timeline"));
        Assert.All(one.RootElement.GetProperty("items").EnumerateArray(), i => Assert.Equal("dead", i.GetProperty("camera").GetString()));
        using var y = JsonDocument.Parse(await h.Http.GetStringAsync("/api/timeline?date=yesterday"));
        Assert.Equal(0, y.RootElement.GetProperty("items").GetArrayLength());

        using var bad = await h.Http.GetAsync("/api/timeline?date=31.12.2026");
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Contains("date: must be yyyy-MM-dd, today or yesterday", await bad.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.NotFound, (await h.Http.GetAsync("/api/cameras/nope/timeline")).StatusCode);
    }
}

/// <summary>The event frames' staging folder does not keep what a killed run left (issue 12).</summary>
public sealed class FrameStagingTests
{
    [Fact]
    public async Task Start_removes_unfinished_frame_files_and_a_completed_writer_leaves_none()
    {
        var storage = Directory.CreateTempSubdirectory("lookback-h12-stage-").FullName;
        var stale = Path.Combine(EventFrames.StagingFolder(storage), "0123456789abcdef.mjpeg");
        Directory.CreateDirectory(Path.GetDirectoryName(stale)!);
        File.WriteAllBytes(stale, new byte[100]);
        await using (var h = await AppHarness.StartAsync([AppHarness.Camera("front", "http://127.0.0.1:1/a.jpg")], storage: storage))
        {
            Assert.False(File.Exists(stale));
            var media = h.App.Services.GetRequiredService<MediaStore>();
            var w = new EventFrameWriter(media, "front", DateTimeOffset.UtcNow, new EventFrameLimits(10));
            Assert.True(w.Append(Lookback.Tests.Imaging.TestImages.Jpeg(32, 24), DateTimeOffset.UtcNow));
            Assert.NotNull(await w.CompleteAsync(CancellationToken.None));
            Assert.Empty(Directory.EnumerateFiles(EventFrames.StagingFolder(storage)));
        }
    }
}
