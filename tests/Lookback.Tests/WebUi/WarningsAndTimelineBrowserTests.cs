using System.Globalization;
using Lookback.Config;
using Lookback.Hosting;
using Lookback.Media.Rendering;
using Lookback.Media.Storage;
using Lookback.Tests.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Lookback.Tests.WebUi;

/// <summary>Issue 12 in a real chromium: a motion event on the timeline at its minute whose frames step with the
/// wheel there, and a camera's warnings on the grid and the camera page (which says "No picture" while it has none). Screenshots under bin/…/screenshots.</summary>
[Collection(UiCollection.Name)]
public sealed class WarningsAndTimelineBrowserTests(UiFixture ui)
{
    [Fact]
    public async Task The_timeline_shows_a_motion_event_at_its_minute_and_its_frames_step_with_the_wheel()
    {
        var sp = ui.App.Services;
        var media = sp.GetRequiredService<MediaStore>();
        var ring = ui.App.Cameras.All.Single(c => c.Slug == "driveway").Ring;
        await UiFixture.WaitUntil(() => ring.Count >= 8, TimeSpan.FromSeconds(30), "8 driveway frames");
        var writer = new EventFrameWriter(media, "driveway", DateTimeOffset.UtcNow, new EventFrameLimits(Fps: 30));
        DateTimeOffset first;
        using (var w = ring.Window(DateTimeOffset.MinValue, DateTimeOffset.MaxValue))
        {
            first = w[0].Time;
            foreach (var f in w) writer.Append(f.Jpeg.Span, f.Time, null);
        }
        var count = writer.Count;
        var stored = (await writer.CompleteAsync(CancellationToken.None))!.Value;
        var id = "tlmotion-" + Guid.NewGuid().ToString("N")[..8];
        sp.GetRequiredService<EventStore>().Upsert(new StoredEvent
        {
            Id = id, Camera = "driveway", Start = first, End = first.AddSeconds(3), Score = 0.42, Zones = ["gate"],
            Files = new Dictionary<string, string> { [EventFrames.FramesKey] = stored.Frames, [EventFrames.IndexKey] = stored.Index },
        });
        var index = EventFrames.Index(media, sp.GetRequiredService<EventStore>().Get(id)!)!;

        var page = await ui.NewPageAsync();
        await page.GotoAsync(ui.BaseAddress + "#/timeline/driveway/today");
        var mark = page.Locator($".tl-mark.motion[data-id={id}]");
        await Expect(mark).ToHaveAttributeAsync("data-minute", first.ToLocalTime().ToString("HH:mm", CultureInfo.InvariantCulture));
        await ui.ScreenshotAsync(page, "timeline-motion");
        await mark.ClickAsync();
        var img = page.Locator("#timeline-detail #frameview img.frame");
        var last = count - 1;
        await Expect(img).ToHaveAttributeAsync("data-n", last.ToString(CultureInfo.InvariantCulture));
        await page.Locator("#timeline-detail #frameview").HoverAsync();
        var steps = Math.Min(5, last);
        for (var k = 1; k <= steps; k++)
        {
            await page.Mouse.WheelAsync(0, -100);
            await Expect(img).ToHaveAttributeAsync("data-n", (last - k).ToString(CultureInfo.InvariantCulture));
            Assert.Equal(index[last - k].Time.ToUnixTimeMilliseconds(),
                double.Parse((await img.GetAttributeAsync("data-time"))!, CultureInfo.InvariantCulture));
        }
        await ui.ScreenshotAsync(page, "timeline-motion-frames");
        await page.CloseAsync();
    }

    [Fact]
    public async Task A_cameras_warnings_show_on_the_grid_and_the_camera_page()
    {
        var cam = AppHarness.Camera("shed", "http://127.0.0.1:1/shed.jpg") with
        {
            Name = "Shed", Warnings = new WarningOptions { Offline = true, NoFrameMinutes = 30 },
        };
        await using var h = await AppHarness.StartAsync([cam, AppHarness.Camera("plain", "http://127.0.0.1:1/plain.jpg")],
            settings: new HostSettings { WarningsEvery = TimeSpan.FromMilliseconds(200) });
        await AppHarness.WaitUntilAsync(() => h.App.Services.GetRequiredService<Lookback.Warnings.WarningService>().Of("shed")
            .Any(w => w.Kind == "offline" && w.Active), TimeSpan.FromSeconds(20), "the offline warning");

        var page = await ui.NewPageAsync();
        await page.GotoAsync(h.App.BaseAddress + "#/");
        var tile = page.Locator(".tile[data-cam=shed]");
        await Expect(tile.Locator(".warning.on[data-kind=offline]")).ToContainTextAsync("camera is offline");
        await Expect(tile.Locator(".warning[data-kind=no_frames]")).ToHaveCountAsync(0);           // not raised: not on the tile
        await Expect(page.Locator(".tile[data-cam=plain] .warnings")).ToBeHiddenAsync();
        await ui.ScreenshotAsync(page, "grid-warnings");

        await page.GotoAsync(h.App.BaseAddress + "#/camera/shed");
        var list = page.Locator("#cam-warnings");
        await Expect(list.Locator(".warning.on[data-kind=offline]")).ToContainTextAsync("Offline");
        await Expect(list.Locator(".warning[data-kind=no_frames][data-active=false]")).ToContainTextAsync("warns after 30 min without a frame");
        // no picture yet: it says so (no black LIVE view); the day's timeline (recordings, timelapse) is one click away
        await Expect(page.Locator("#no-signal")).ToBeVisibleAsync();
        await Expect(page.Locator("#no-signal")).ToContainTextAsync("connection refused");
        await Expect(page.Locator("#viewer .pill")).ToBeHiddenAsync();
        await Expect(page.Locator("#cam-timeline")).ToHaveAttributeAsync("href", "#/timeline/shed/today");
        await ui.ScreenshotAsync(page, "camera-warnings");
        await page.CloseAsync();
    }
}
