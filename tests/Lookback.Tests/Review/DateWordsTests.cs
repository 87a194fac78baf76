using System.Net;
using System.Text.Json;
using Lookback.Config;
using Lookback.Hosting;
using Lookback.Media.Storage;
using Lookback.Tests.Hosting;
using Lookback.Tests.Sources;
using TimelapseJpegs = Lookback.Tests.Rendering.TestJpegs;
using Lookback.Media.Timelapse;
using Microsoft.Extensions.DependencyInjection;

namespace Lookback.Tests.Review;

/// <summary>
/// today / yesterday wherever a date is (issue 12): every date and time parameter of /api/events and /api/moments,
/// the timelines, HLS day playlists and segments, the timelapse MP4 and the CLI's timelapse command.
/// </summary>
public sealed class DateWordsTests
{
    private static DateOnly Today => Days.Today(DateTimeOffset.UtcNow);
    private static DateTimeOffset TodayStart => Days.Bounds(Today).Start;

    private static async Task<string[]> Ids(AppHarness h, string path)
    {
        using var doc = JsonDocument.Parse(await h.Http.GetStringAsync(path));
        return [.. doc.RootElement.EnumerateArray().Select(e => e.GetProperty("id").GetString()!)];
    }

    [Fact]
    public async Task Events_and_moments_take_today_and_yesterday_in_every_date_and_time_parameter()
    {
        await using var h = await AppHarness.StartAsync([AppHarness.Camera("front", "http://127.0.0.1:1/a.jpg")]);
        var events = h.App.Services.GetRequiredService<EventStore>();
        events.Upsert(new StoredEvent { Id = "t", Camera = "front", Start = TodayStart.AddSeconds(1), End = TodayStart.AddSeconds(2) });
        events.Upsert(new StoredEvent { Id = "y", Camera = "front", Start = TodayStart.AddHours(-1), End = TodayStart.AddHours(-1).AddSeconds(1) });
        events.Upsert(new StoredEvent { Id = "old", Camera = "front", Start = TodayStart.AddDays(-3), End = TodayStart.AddDays(-3).AddSeconds(1) });
        var moments = h.App.Services.GetRequiredService<MomentStore>();
        moments.Insert(new StoredMoment { Id = "mt", Camera = "front", Kind = "gif", Origin = "http", RequestedAt = TodayStart.AddSeconds(1) });
        moments.Insert(new StoredMoment { Id = "my", Camera = "front", Kind = "gif", Origin = "http", RequestedAt = TodayStart.AddHours(-1) });

        Assert.Equal(["t"], await Ids(h, "/api/events?date=today"));
        Assert.Equal(["y"], await Ids(h, "/api/events?date=yesterday"));
        Assert.Equal(["t", "y"], await Ids(h, "/api/events?from=yesterday&to=today"));   // a day's start to a day's end
        Assert.Equal(["y"], await Ids(h, "/api/events?from=yesterday&to=yesterday"));
        Assert.Equal(["t"], await Ids(h, "/api/events?from=today"));
        Assert.Equal(["y", "old"], await Ids(h, "/api/events?before=today"));           // older than today
        Assert.Equal(["t"], await Ids(h, "/api/events?after=yesterday"));              // newer than yesterday
        Assert.Equal(["t"], await Ids(h, $"/api/events?date={Days.Text(Today)}"));       // the same as yyyy-mm-dd

        Assert.Equal(["mt"], await Ids(h, "/api/moments?date=today"));
        Assert.Equal(["my"], await Ids(h, "/api/moments?date=yesterday"));
        Assert.Equal(["mt", "my"], await Ids(h, "/api/moments?from=yesterday&to=today"));
        Assert.Equal(["my"], await Ids(h, "/api/moments?before=today"));
        Assert.Equal(["mt"], await Ids(h, "/api/moments?from=TODAY"));

        using (var tl = JsonDocument.Parse(await h.Http.GetStringAsync("/api/cameras/front/timeline?date=yesterday")))
            Assert.Equal(Days.Text(Today.AddDays(-1)), tl.RootElement.GetProperty("date").GetString());

        foreach (var bad in new[] { "/api/events?from=someday", "/api/events?after=tomorrow", "/api/moments?to=someday" })
        {
            var r = await h.Http.GetAsync(bad);
            Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
            Assert.Contains("today or yesterday", await r.Content.ReadAsStringAsync());
        }
    }

    [Fact]
    public async Task Hls_day_playlists_and_segments_take_today_and_yesterday()
    {
        var storage = Directory.CreateTempSubdirectory("lookback-h12-days-").FullName;
        foreach (var (day, start) in new[] { (Today, TodayStart.AddMinutes(1)), (Today.AddDays(-1), TodayStart.AddHours(-2)) })
        {
            var rec = Path.Combine(storage, "gate", Days.Text(day), "rec");
            Directory.CreateDirectory(rec);
            await File.WriteAllBytesAsync(Path.Combine(rec, "000100-1.ts"), [0x47, 1, 2, 3]);
            await File.WriteAllTextAsync(Path.Combine(rec, "segments.csv"), $"000100-1.ts,{start.ToUnixTimeMilliseconds()},2.000\n");
        }
        var cam = AppHarness.Camera("gate", "rtsp://127.0.0.1:1/stream", CameraKind.Rtsp) with { Record = true };
        await using var h = await AppHarness.StartAsync([cam], storage: storage);

        var today = await h.Http.GetStringAsync("/api/cameras/gate/hls/today.m3u8");
        Assert.Contains($"{Days.Text(Today)}/000100-1.ts", today);
        var yesterday = await h.Http.GetStringAsync("/api/cameras/gate/hls/yesterday.m3u8");
        Assert.Contains($"{Days.Text(Today.AddDays(-1))}/000100-1.ts", yesterday);
        Assert.Equal([0x47, 1, 2, 3], await h.Http.GetByteArrayAsync("/api/cameras/gate/hls/today/000100-1.ts"));
        Assert.Equal([0x47, 1, 2, 3], await h.Http.GetByteArrayAsync("/api/cameras/gate/hls/yesterday/000100-1.ts"));
        Assert.Equal(HttpStatusCode.NotFound, (await h.Http.GetAsync("/api/cameras/gate/hls/someday/000100-1.ts")).StatusCode);
    }

    [Fact]
    public async Task Timelapse_api_and_cli_take_today_and_yesterday()
    {
        var storage = Directory.CreateTempSubdirectory("lookback-h12-tl-").FullName;
        var store = new TimelapseStore(storage, TimeZoneInfo.Local);
        var yesterdayNoon = TodayStart.AddHours(-12);
        for (var i = 0; i < 12; i++) TimelapseSamples.Append(store.SamplesPath("cam", Today.AddDays(-1)), yesterdayNoon.AddSeconds(48 * i), TimelapseJpegs.All[i % TimelapseJpegs.All.Count]);

        await using (var h = await AppHarness.StartAsync([AppHarness.Camera("cam", "http://127.0.0.1:1/a.jpg")], storage: storage,
            configure: o => o with { Timelapse = new TimelapseOptions { Fps = 10, Width = 160 } }))
        {
            var mp4 = await h.Http.GetByteArrayAsync("/api/cameras/cam/timelapse/yesterday.mp4");
            Assert.Equal("ftyp"u8.ToArray(), mp4[4..8]);
            Assert.True(File.Exists(store.Mp4Path("cam", Today.AddDays(-1))));
            var bad = await h.Http.GetAsync("/api/cameras/cam/timelapse/someday.mp4");
            Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
            Assert.Contains("today or yesterday", await bad.Content.ReadAsStringAsync());
        }

        // the harness removed its storage: today's samples for the CLI
        for (var i = 0; i < 6; i++) TimelapseSamples.Append(store.SamplesPath("cam", Today), TodayStart.AddSeconds(1 + i), TimelapseJpegs.All[i % TimelapseJpegs.All.Count]);
        var config = Path.Combine(storage, "lookback.yaml");
        await File.WriteAllTextAsync(config, $"""
            storage:
              path: {storage}
            timelapse:
              fps: 10
              width: 160
            cameras:
              cam:
                url: http://127.0.0.1:1/snap.jpg
            """);
        var o = new StringWriter(); var e = new StringWriter();
        var code = await Program.RunAsync(["timelapse", "--camera", "cam", "--date", "today", "--config", config], o, e, CancellationToken.None);
        Assert.True(code == 0, e.ToString());
        Assert.Equal(store.Mp4Path("cam", Today) + Environment.NewLine, o.ToString());
        var bad2 = new StringWriter();
        Assert.Equal(2, await Program.RunAsync(["timelapse", "--camera", "cam", "--date", "someday", "--config", config], new StringWriter(), bad2, CancellationToken.None));
        Assert.Contains("yyyy-MM-dd, today or yesterday", bad2.ToString());
        try { Directory.Delete(storage, true); } catch (IOException) { }
    }
}
