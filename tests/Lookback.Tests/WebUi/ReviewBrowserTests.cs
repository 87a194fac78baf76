using System.Globalization;
using Lookback.Config;
using Lookback.Media.Storage;
using Lookback.Tests.Hosting;
using Lookback.Tests.Mqtt;
using Lookback.Tests.Sources;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Lookback.Tests.WebUi;

/// <summary>Issue 12 in a real chromium: the moments list (a moment made over MQTT plays), the timeline's doorbell
/// ring at its minute, a folder camera's JPEG comment in the event player. Screenshots under bin/…/screenshots.</summary>
[Collection(UiCollection.Name)]
public sealed class ReviewBrowserTests(UiFixture ui)
{
    [Fact]
    public async Task A_moment_made_over_mqtt_appears_in_the_moments_list_and_plays()
    {
        using var broker = new Mosquitto();
        await using var server = await TestCameraServer.StartAsync();
        await using var obs = await Observer.ConnectAsync(broker.Port, "h12ui/#");
        await using var h = await AppHarness.StartAsync(
            [AppHarness.Camera("porch", server.MjpegUrl(10), CameraKind.Mjpeg, interval: 0.1)],
            mqtt: new MqttOptions { Host = "127.0.0.1", Port = broker.Port, TopicPrefix = "h12ui" }, nodeId: "h12ui");
        obs.WaitFor("h12ui/porch/availability", s => s.Text == "online", TimeSpan.FromSeconds(20));
        await AppHarness.WaitUntilAsync(() => h.App.Cameras.Find("porch")!.Ring.Count >= 10, TimeSpan.FromSeconds(20), "frames");
        await obs.PublishAsync("h12ui/porch/moment/set", """{"request_id": "ui-mq-7", "before": 1, "after": 0}""");
        Assert.Contains("\"ok\"", obs.WaitFor("h12ui/porch/result", s => s.Text.Contains("ui-mq-7"), TimeSpan.FromSeconds(40)).Text);

        var page = await ui.NewPageAsync();
        await page.GotoAsync(h.App.BaseAddress + "#/moments");
        var card = page.Locator(".moment[data-kind=moment]");
        await Expect(card).ToHaveCountAsync(1);
        await Expect(card.Locator("[data-field=who]")).ToContainTextAsync("MQTT · ui-mq-7");
        await ui.ScreenshotAsync(page, "moments");
        await card.ClickAsync();
        var video = page.Locator("#moment-player video");
        await Expect(video).ToHaveAttributeAsync("src", new System.Text.RegularExpressions.Regex(@"^media/porch/.*-moment\.mp4$"));
        // it plays: the browser decoded its frames and the clock moves
        await page.WaitForFunctionAsync("() => { const v = document.querySelector('#moment-player video'); return v && v.readyState >= 2 && v.videoWidth > 0 && v.currentTime > 0; }",
            null, new() { Timeout = 20_000 });
        await ui.ScreenshotAsync(page, "moment-player");
        await page.CloseAsync();
    }

    [Fact]
    public async Task The_timeline_shows_a_doorbell_ring_at_its_minute_and_plays_it()
    {
        var sp = ui.App.Services;
        var media = sp.GetRequiredService<MediaStore>();
        byte[] jpeg;
        using (var latest = ui.App.Cameras.All.Single(c => c.Slug == "garden").Ring.Latest()!) jpeg = latest[0].Jpeg.ToArray();
        // a ring earlier today (as the trigger's moment records it), its snapshot stored
        var now = DateTimeOffset.Now;
        var at = now.AddMinutes(-7) < now.Date ? now : now.AddMinutes(-7);
        var snap = await media.WriteAsync("garden", at, "snapshot", "jpg", jpeg, CancellationToken.None);
        var id = "ring-" + Guid.NewGuid().ToString("N")[..8];
        sp.GetRequiredService<MomentStore>().Insert(new StoredMoment
        {
            Id = id, Camera = "garden", Kind = "snapshot", RequestedAt = at, Start = at, End = at, Origin = "trigger",
            Trigger = "zigbee2mqtt/front_doorbell", Doorbell = true, Files = new Dictionary<string, string> { ["snapshot"] = snap.RelativePath },
        });

        var page = await ui.NewPageAsync();
        await page.GotoAsync(ui.BaseAddress + "#/timeline/garden/today");
        var mark = page.Locator($".tl-mark.ring[data-id={id}]");
        await Expect(mark).ToHaveAttributeAsync("data-minute", at.ToString("HH:mm", CultureInfo.InvariantCulture));
        // drawn at that minute of the 24-hour lane (browser and test share the machine's zone)
        var (track, box) = (await page.Locator(".tl-track[data-camera=garden]").BoundingBoxAsync(), await mark.BoundingBoxAsync());
        var minuteOfDay = (at - at.Date).TotalMinutes;
        var (dayStart, dayEnd) = Days.Bounds(DateOnly.FromDateTime(at.DateTime));
        var expected = track!.X + track.Width * ((at - dayStart).TotalMinutes / (dayEnd - dayStart).TotalMinutes);
        Assert.InRange(box!.X, expected - track.Width / 1440 * 3 - 1, expected + track.Width / 1440 * 3 + 1);
        Assert.True(minuteOfDay >= 0);
        await ui.ScreenshotAsync(page, "timeline");
        await mark.ClickAsync();
        await Expect(page.Locator("#timeline-detail")).ToContainTextAsync("zigbee2mqtt/front_doorbell");
        await page.WaitForFunctionAsync("() => { const i = document.querySelector('#timeline-detail img'); return !!i && i.complete && i.naturalWidth > 0; }");
        await ui.ScreenshotAsync(page, "timeline-ring");
        await page.CloseAsync();
    }

    [Fact]
    public async Task A_folder_camera_event_shows_its_jpeg_comment()
    {
        var sp = ui.App.Services;
        var media = sp.GetRequiredService<MediaStore>();
        byte[] jpeg;
        using (var latest = ui.App.Cameras.All.Single(c => c.Slug == "driveway").Ring.Latest()!) jpeg = latest[0].Jpeg.ToArray();
        var now = DateTimeOffset.UtcNow.AddYears(2); // newest on the page
        var snap = await media.WriteAsync("driveway", now, "file", "jpg", jpeg, CancellationToken.None);
        var id = "file-" + Guid.NewGuid().ToString("N")[..8];
        sp.GetRequiredService<EventStore>().Upsert(new StoredEvent
        {
            Id = id, Camera = "driveway", Type = "file", Start = now, End = now,
            Files = new Dictionary<string, string> { ["snapshot"] = snap.RelativePath },
            Metadata = new Dictionary<string, string> { ["comment"] = "PIR alarm zone 2", ["file"] = "cam_20261203_081500.jpg" },
        });
        var page = await ui.NewPageAsync();
        await page.GotoAsync(ui.BaseAddress + "#/events/driveway");
        var card = page.Locator($".event[data-id={id}]");
        await Expect(card).Not.ToContainTextAsync("score");
        await card.ClickAsync();
        await Expect(page.Locator("#event-meta")).ToContainTextAsync("PIR alarm zone 2");
        await ui.ScreenshotAsync(page, "file-event-comment");
        await page.Keyboard.PressAsync("Escape");

        // search: free text in the metadata finds it, other text does not
        await page.Locator("#event-search").FillAsync("zone 2");
        await page.Locator("#event-search").PressAsync("Enter");
        await Expect(page.Locator(".event")).ToHaveCountAsync(1);
        await Expect(page.Locator($".event[data-id={id}]")).ToBeVisibleAsync();
        await ui.ScreenshotAsync(page, "event-search");
        await page.Locator("#event-search").FillAsync("no such words");
        await page.Locator("#event-search").PressAsync("Enter");
        await Expect(page.Locator(".event")).ToHaveCountAsync(0);
        await Expect(page.Locator("#view")).ToContainTextAsync("No event matches this search.");
        await page.CloseAsync();
    }
}
