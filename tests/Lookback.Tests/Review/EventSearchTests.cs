using System.Net;
using System.Text.Json;
using Lookback.Media.Storage;
using Lookback.Tests.Hosting;
using Microsoft.Extensions.DependencyInjection;

namespace Lookback.Tests.Review;

/// <summary>Event search (issue 12): camera, type, zone, time range/day and free text in the metadata, in the store and over HTTP.</summary>
public sealed class EventSearchTests
{
    private static readonly DateTimeOffset T0 = DateTimeOffset.UtcNow.AddMinutes(-30);

    private static void Fill(EventStore store)
    {
        store.Upsert(new StoredEvent { Id = "m1", Camera = "front", Start = T0, End = T0.AddSeconds(5), Zones = ["porch", "path"] });
        store.Upsert(new StoredEvent { Id = "m2", Camera = "front", Start = T0.AddMinutes(1), End = T0.AddMinutes(2), Zones = ["path"] });
        store.Upsert(new StoredEvent { Id = "f1", Camera = "yard", Type = "file", Start = T0.AddMinutes(2), End = T0.AddMinutes(2),
            Metadata = new Dictionary<string, string> { ["comment"] = "PIR Alarm Zone 2 – Tür", ["file"] = "cam_1.jpg" } });
        store.Upsert(new StoredEvent { Id = "f2", Camera = "yard", Type = "file", Start = T0.AddMinutes(3), End = T0.AddMinutes(3),
            Metadata = new Dictionary<string, string> { ["comment"] = "timer", ["file"] = "cam_2.jpg" } });
        store.Upsert(new StoredEvent { Id = "old", Camera = "front", Start = T0.AddDays(-3), End = T0.AddDays(-3), Zones = ["porch"] });
    }

    [Fact]
    public void The_store_filters_by_every_field_and_combines_them()
    {
        var dir = Directory.CreateTempSubdirectory("lookback-h12-search-").FullName;
        try
        {
            var store = new EventStore(Path.Combine(dir, "events.db"));
            Fill(store);
            IEnumerable<string> Ids(EventQuery q) => store.Search(q).Select(e => e.Id);
            Assert.Equal(["m1", "old"], Ids(new EventQuery { Zone = "porch" }));
            Assert.Equal(["f2", "f1"], Ids(new EventQuery { Type = "file" }));
            Assert.Equal(["f1"], Ids(new EventQuery { Text = "pir alarm" }));      // case-insensitive, in a value
            Assert.Equal(["f1"], Ids(new EventQuery { Text = "Tür" }));            // non-ASCII text as stored
            Assert.Equal(["f2", "f1"], Ids(new EventQuery { Text = "CAM_" }));
            Assert.Empty(Ids(new EventQuery { Text = "porch" }));                  // zones are not metadata
            Assert.Equal(["m2", "m1"], Ids(new EventQuery { Camera = "front", From = T0.AddHours(-1), To = T0.AddMinutes(2) }));
            Assert.Equal(["m1"], Ids(new EventQuery { Camera = "front", Zone = "path", Before = T0.AddMinutes(1) }));
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(dir, true);
        }
    }

    [Fact]
    public async Task Api_events_takes_the_search_parameters_and_names_a_bad_one()
    {
        await using var h = await AppHarness.StartAsync(
            [AppHarness.Camera("front", "http://127.0.0.1:1/a.jpg"), AppHarness.Camera("yard", "http://127.0.0.1:1/b.jpg")]);
        Fill(h.App.Services.GetRequiredService<EventStore>());
        async Task<string[]> Ids(string query)
        {
            using var doc = JsonDocument.Parse(await h.Http.GetStringAsync("/api/events?" + query));
            return [.. doc.RootElement.EnumerateArray().Select(e => e.GetProperty("id").GetString()!)];
        }
        Assert.Equal(["f1"], await Ids("q=" + Uri.EscapeDataString("alarm zone")));
        Assert.Equal(["f2", "f1"], await Ids("type=file"));
        Assert.Equal(["f2", "f1"], await Ids("kind=file&camera=yard"));
        Assert.Equal(["m1"], await Ids("zone=porch&date=" + Days.Text(Days.Today(T0))));
        Assert.Equal(["old"], await Ids("zone=porch&to=" + Uri.EscapeDataString(T0.AddDays(-1).ToString("O"))));
        using var bad = await h.Http.GetAsync("/api/events?type=person");
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Contains("type: must be motion or file", await bad.Content.ReadAsStringAsync());
        using var badDay = await h.Http.GetAsync("/api/events?date=soon");
        Assert.Contains("date: must be", await badDay.Content.ReadAsStringAsync());
    }
}
