using System.Globalization;
using Lookback.Media.Rendering;
using Lookback.Media.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Lookback.Tests.WebUi;

/// <summary>The web UI in a real headless chromium against a real Lookback with two demo cameras.</summary>
[Collection(UiCollection.Name)]
public sealed class BrowserTests(UiFixture ui)
{
    private string Url(string hash = "") => ui.BaseAddress + hash;

    /// <summary>Waits until the image matched by <paramref name="selector"/> has decoded a picture.</summary>
    private static Task WaitForImage(IPage page, string selector, int timeoutMs = 20_000) =>
        page.WaitForFunctionAsync("s => { const i = document.querySelector(s); return !!i && i.complete && i.naturalWidth > 0; }",
            selector, new() { Timeout = timeoutMs });

    private static async Task<(long Seq, double Time, string Src)> Shown(IPage page)
    {
        var img = page.Locator("#viewer img.replay");
        return (long.Parse((await img.GetAttributeAsync("data-seq"))!, CultureInfo.InvariantCulture),
            double.Parse((await img.GetAttributeAsync("data-time"))!, CultureInfo.InvariantCulture),
            (await img.GetAttributeAsync("src"))!);
    }

    private static Task WaitForSeq(IPage page, long seq) =>
        Expect(page.Locator("#viewer img.replay")).ToHaveAttributeAsync("data-seq", seq.ToString(CultureInfo.InvariantCulture));

    [Fact]
    public async Task Grid_shows_both_cameras_online_and_live()
    {
        var page = await ui.NewPageAsync();
        await page.GotoAsync(Url());
        foreach (var cam in new[] { "garden", "driveway" })
        {
            await Expect(page.Locator($".tile[data-cam={cam}] .badge")).ToHaveAttributeAsync("data-status", "online");
            await Expect(page.Locator($".tile[data-cam={cam}] .badge")).ToContainTextAsync("fps");
            await WaitForImage(page, $".tile[data-cam={cam}] img.live");
        }
        await Expect(page.Locator("#summary")).ToHaveTextAsync("2/2 cameras online");
        await ui.ScreenshotAsync(page, "grid");

        await page.Locator(".tile[data-cam=garden]").ClickAsync();
        await Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("#/camera/garden$"));
        await Expect(page.Locator(".cam-head h1")).ToHaveTextAsync("Garden");
        await page.CloseAsync();
    }

    [Fact]
    public async Task Camera_page_replays_the_ring_by_mouse_wheel_and_keys()
    {
        var page = await ui.NewPageAsync();
        await page.GotoAsync(Url("#/camera/driveway"));
        await Expect(page.Locator("#viewer")).ToHaveAttributeAsync("data-mode", "live");
        await Expect(page.Locator("#pos")).ToContainTextAsync("frames");
        await WaitForImage(page, "#viewer img.live");
        // The diagnostics show the live-view URL for Home Assistant's MJPEG camera.
        await Expect(page.Locator("[data-field=mjpeg_url]")).ToContainTextAsync("/api/cameras/driveway/mjpeg");
        var ring = ui.App.Cameras.All.Single(c => c.Slug == "driveway").Ring;
        await UiFixture.WaitUntil(() => ring.Count >= 40, TimeSpan.FromSeconds(30), "8 s of driveway frames");

        await page.Locator("#viewer").HoverAsync();
        await page.Mouse.WheelAsync(0, -100);                       // one notch up: one frame back from live
        await Expect(page.Locator("#viewer")).ToHaveAttributeAsync("data-mode", "replay");
        await WaitForImage(page, "#viewer img.replay");
        var first = await Shown(page);
        var liveTime = ring.NewestTime!.Value.ToUnixTimeMilliseconds();
        Assert.True(first.Time < liveTime, $"replayed frame {first.Time} is not before live {liveTime}");
        Assert.StartsWith("blob:", first.Src);

        for (var i = 1; i <= 5; i++)                                // each notch is one frame further back
        {
            await page.Mouse.WheelAsync(0, -100);
            await WaitForSeq(page, first.Seq - i);
        }
        var back = await Shown(page);
        Assert.True(back.Time < first.Time, "wheeling up must go back in time");
        Assert.NotEqual(first.Src, back.Src);
        Assert.True(back.Time < liveTime);
        await Expect(page.Locator(".hud .pill")).ToHaveTextAsync("REPLAY");
        await ui.ScreenshotAsync(page, "camera-replay");

        for (var i = 1; i <= 3; i++)                                // wheel down: forward, toward live
        {
            await page.Mouse.WheelAsync(0, 100);
            await WaitForSeq(page, back.Seq + i);
        }
        var forward = await Shown(page);
        Assert.True(forward.Time > back.Time);
        Assert.NotEqual(back.Src, forward.Src);

        await page.Keyboard.PressAsync("ArrowLeft");
        await WaitForSeq(page, forward.Seq - 1);
        await page.Keyboard.PressAsync("ArrowRight");
        await page.Keyboard.PressAsync("ArrowRight");
        await WaitForSeq(page, forward.Seq + 1);

        // The scrubber: a click on its left end shows the oldest frame still in the ring.
        var box = (await page.Locator("#scrubber canvas").BoundingBoxAsync())!;
        long oldestSeq;
        using (var all = ring.Window(DateTimeOffset.MinValue, DateTimeOffset.MaxValue)) oldestSeq = all[0].Sequence;
        await page.Mouse.ClickAsync(box.X + 1, box.Y + box.Height / 2);
        // The page's frame list is at most one refresh (2 s, ~10 frames) old.
        await page.WaitForFunctionAsync("s => +document.querySelector('#viewer img.replay').dataset.seq <= s", (double)oldestSeq + 12);
        var oldest = await Shown(page);
        Assert.True(oldest.Seq < forward.Seq - 20, "the scrubber's left end is the ring's oldest frame");

        await page.Locator("#live").ClickAsync();
        await Expect(page.Locator("#viewer")).ToHaveAttributeAsync("data-mode", "live");
        await Expect(page.Locator(".hud .pill")).ToHaveTextAsync("LIVE");
        await page.CloseAsync();
    }

    [Fact]
    public async Task Wheel_down_past_the_newest_frame_returns_to_live()
    {
        var page = await ui.NewPageAsync();
        await page.GotoAsync(Url("#/camera/garden"));
        await Expect(page.Locator("#pos")).ToContainTextAsync("frames");
        await page.Locator("#viewer").HoverAsync();
        await page.Mouse.WheelAsync(0, -100);
        await Expect(page.Locator("#viewer")).ToHaveAttributeAsync("data-mode", "replay");
        // Forward notches until Lookback's newest frame is passed: the page goes live again.
        for (var i = 0; i < 40 && await page.Locator("#viewer").GetAttributeAsync("data-mode") == "replay"; i++)
        {
            var before = await page.Locator("#viewer img.replay").GetAttributeAsync("data-seq");
            await page.Mouse.WheelAsync(0, 100);
            await page.WaitForFunctionAsync("s => document.querySelector('#viewer').dataset.mode === 'live' || document.querySelector('#viewer img.replay').dataset.seq !== s", before);
        }
        await Expect(page.Locator("#viewer")).ToHaveAttributeAsync("data-mode", "live");
        await page.CloseAsync();
    }

    [Fact]
    public async Task Play_mode_advances_at_the_frames_pace()
    {
        var page = await ui.NewPageAsync();
        await page.GotoAsync(Url("#/camera/driveway"));
        await Expect(page.Locator("#pos")).ToContainTextAsync("frames");
        var wall = DateTime.UtcNow;                                 // playback cannot start before the click
        await page.Locator("#play").ClickAsync();                   // from live: plays the buffer from its oldest frame
        await Expect(page.Locator("#play")).ToHaveAttributeAsync("data-state", "playing");
        await Expect(page.Locator("#viewer")).ToHaveAttributeAsync("data-mode", "replay");
        await WaitForImage(page, "#viewer img.replay");
        var start = await Shown(page);
        // About a second of frame time later, a newer frame is shown (the demo camera buffers 5 frames a second).
        await page.WaitForFunctionAsync("t => +document.querySelector('#viewer img.replay').dataset.time >= t",
            start.Time + 1000, new() { Timeout = 15_000 });
        var later = await Shown(page);
        Assert.True(later.Seq > start.Seq);
        Assert.True((DateTime.UtcNow - wall).TotalMilliseconds >= 950, "1× playback must not run faster than the frames' own pace");
        await Expect(page.Locator(".hud .pill")).ToHaveTextAsync("PLAY 1×");
        await ui.ScreenshotAsync(page, "camera-play");

        await page.Locator("#play").ClickAsync();                   // pause: the frame stays put
        await Expect(page.Locator("#play")).ToHaveAttributeAsync("data-state", "paused");
        await page.CloseAsync();
    }

    [Fact]
    public async Task Gif_and_snapshot_buttons_show_their_result()
    {
        var page = await ui.NewPageAsync();
        await page.GotoAsync(Url("#/camera/garden"));
        await page.Locator("#gif-seconds").SelectOptionAsync("5");
        await page.Locator("#do-gif").ClickAsync();
        await WaitForImage(page, ".result[data-kind=gif] img", 90_000);
        var gif = page.Locator(".result[data-kind=gif]");
        await Expect(gif.Locator("[data-field=elapsed]")).ToContainTextAsync(" ms");
        await Expect(gif.Locator(".meta a")).ToHaveAttributeAsync("href", new System.Text.RegularExpressions.Regex(@"^media/garden/.+\.gif$"));
        await Expect(gif.Locator(".meta .head")).ToContainTextAsync("GIF · ");

        await page.Locator("#do-snapshot").ClickAsync();
        await WaitForImage(page, ".result[data-kind=snapshot] img");
        await Expect(page.Locator(".result[data-kind=snapshot] [data-field=elapsed]")).ToContainTextAsync(" ms");
        await ui.ScreenshotAsync(page, "camera-captures");
        await page.CloseAsync();
    }

    [Fact]
    public async Task Moment_button_shows_a_video()
    {
        var page = await ui.NewPageAsync();
        await page.GotoAsync(Url("#/camera/driveway"));
        await page.Locator("#moment-before").FillAsync("2");
        await page.Locator("#moment-after").FillAsync("1");
        await page.Locator("#do-moment").ClickAsync();
        await Expect(page.Locator(".result[data-kind=moment] video")).ToHaveAttributeAsync("src",
            new System.Text.RegularExpressions.Regex("^blob:"), new() { Timeout = 90_000 });
        await Expect(page.Locator(".result[data-kind=moment] .meta a")).ToHaveAttributeAsync("href",
            new System.Text.RegularExpressions.Regex(@"^media/driveway/.+\.mp4$"));
        await page.CloseAsync();
    }

    [Fact]
    public async Task Events_page_lists_a_stored_event_and_plays_it()
    {
        var sp = ui.App.Services;
        var media = sp.GetRequiredService<MediaStore>();
        var now = DateTimeOffset.UtcNow;
        byte[] jpeg;
        using (var latest = ui.App.Cameras.All.Single(c => c.Slug == "garden").Ring.Latest()!) jpeg = latest[0].Jpeg.ToArray();
        var snap = await media.WriteAsync("garden", now, "motion", "jpg", jpeg, CancellationToken.None);
        var gif = await sp.GetRequiredService<IRenderService>().SubmitAsync(
            new RenderRequest { Camera = "garden", Kind = global::Lookback.Config.RenderKind.Gif, Seconds = 3 }, CancellationToken.None);
        Assert.True(gif.Ok, gif.Error);
        var gifRel = Path.GetRelativePath(media.Root, gif.Path!).Replace('\\', '/');
        var id = "uitest-" + Guid.NewGuid().ToString("N")[..8];
        sp.GetRequiredService<EventStore>().Upsert(new StoredEvent
        {
            Id = id, Camera = "garden", Start = now.AddSeconds(-4), End = now, Score = 0.42, PeakAt = now.AddSeconds(-2),
            Zones = ["porch", "path"], Files = new Dictionary<string, string> { ["snapshot"] = snap.RelativePath, ["gif"] = gifRel },
        });

        var page = await ui.NewPageAsync();
        await page.GotoAsync(Url("#/events"));
        var card = page.Locator($".event[data-id={id}]");
        await Expect(card).ToBeVisibleAsync();
        await Expect(card).ToContainTextAsync("Garden");
        await Expect(card).ToContainTextAsync("score 0.42");
        await Expect(card).ToContainTextAsync("porch");
        await Expect(card.Locator(".dur")).ToHaveTextAsync("4.0 s");
        await WaitForImage(page, $".event[data-id={id}] .thumb img");
        await ui.ScreenshotAsync(page, "events");

        await card.ClickAsync();
        await Expect(page.Locator("#player")).ToBeVisibleAsync();
        await WaitForImage(page, "#player .stage img");
        Assert.EndsWith(".gif", await page.Locator("#player .stage img").GetAttributeAsync("src"));
        await ui.ScreenshotAsync(page, "event-player");
        await page.Keyboard.PressAsync("Escape");
        await Expect(page.Locator("#player")).ToHaveCountAsync(0);

        // The camera filter: the driveway's events do not include it.
        await page.Locator("#event-camera").SelectOptionAsync("driveway");
        await Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("#/events/driveway$"));
        await Expect(page.Locator("#events")).Not.ToContainTextAsync("porch");
        await Expect(page.Locator($".event[data-id={id}]")).ToHaveCountAsync(0);
        await page.CloseAsync();
    }

    [Fact]
    public async Task Event_player_steps_back_through_the_stored_frames_one_per_wheel_notch()
    {
        var sp = ui.App.Services;
        var media = sp.GetRequiredService<MediaStore>();
        var ring = ui.App.Cameras.All.Single(c => c.Slug == "garden").Ring;
        await UiFixture.WaitUntil(() => ring.Count >= 14, TimeSpan.FromSeconds(30), "14 garden frames");
        // the event's frames as the motion recorder stores them: ring frames through an EventFrameWriter
        var start = DateTimeOffset.UtcNow;
        var writer = new EventFrameWriter(media, "garden", start, new EventFrameLimits(Fps: 30));
        using (var w = ring.Window(DateTimeOffset.MinValue, DateTimeOffset.MaxValue))
        {
            start = w[0].Time;
            foreach (var f in w) writer.Append(f.Jpeg.Span, f.Time, $"frame at {f.Time:HH:mm:ss.fff}");
        }
        var count = writer.Count;
        Assert.True(count >= 12, $"{count} frames stored");
        var stored = (await writer.CompleteAsync(CancellationToken.None))!.Value;
        var id = "uiframes-" + Guid.NewGuid().ToString("N")[..8];
        sp.GetRequiredService<EventStore>().Upsert(new StoredEvent
        {
            Id = id, Camera = "garden", Start = start.AddYears(1), End = start.AddYears(1).AddSeconds(2), Score = 0.3, // newest on the page
            Files = new Dictionary<string, string> { [EventFrames.FramesKey] = stored.Frames, [EventFrames.IndexKey] = stored.Index },
        });
        var index = EventFrames.Index(media, sp.GetRequiredService<EventStore>().Get(id)!)!;

        var page = await ui.NewPageAsync();
        await page.GotoAsync(Url("#/events"));
        await page.Locator($".event[data-id={id}]").ClickAsync();
        var img = page.Locator("#player #frameview img.frame");
        var last = count - 1;
        await Expect(img).ToHaveAttributeAsync("data-n", last.ToString(CultureInfo.InvariantCulture));   // opens at the newest
        await page.Locator("#frameview").HoverAsync();
        for (var k = 1; k <= 10; k++)
        {
            await page.Mouse.WheelAsync(0, -100);                                          // one notch up: one frame back
            var n = last - k;
            await Expect(img).ToHaveAttributeAsync("data-n", n.ToString(CultureInfo.InvariantCulture));
            var shownTime = double.Parse((await img.GetAttributeAsync("data-time"))!, CultureInfo.InvariantCulture);
            Assert.Equal(index[n].Time.ToUnixTimeMilliseconds(), shownTime);
            var local = index[n].Time.ToLocalTime();
            await Expect(page.Locator("#frame-time")).ToContainTextAsync(local.ToString("HH:mm:ss", CultureInfo.InvariantCulture));
            await Expect(page.Locator("#frame-comment")).ToHaveTextAsync($"frame at {index[n].Time:HH:mm:ss.fff}");
        }
        await Expect(page.Locator("#frame-pos")).ToHaveTextAsync($"frame {last - 10 + 1}/{count}");
        await ui.ScreenshotAsync(page, "event-frames");

        // the scrubber jumps; play runs to the newest frame in real time
        await page.Locator("#frame-scrub").FillAsync("0");
        await Expect(img).ToHaveAttributeAsync("data-n", "0");
        await page.Locator("#frame-play").ClickAsync();
        await Expect(img).ToHaveAttributeAsync("data-n", last.ToString(CultureInfo.InvariantCulture), new() { Timeout = 60_000 });
        await page.CloseAsync();
    }

    [Fact]
    public async Task Rough_edges_unknown_camera_older_events_and_the_moment_limit()
    {
        var page = await ui.NewPageAsync();
        await page.GotoAsync(Url("#/camera/nosuchcam"));
        await Expect(page.Locator("#no-camera")).ToContainTextAsync("No such camera");
        await Expect(page.Locator("#viewer")).ToHaveCountAsync(0);          // no picture, no LIVE pill, no buttons
        await Expect(page.Locator(".pill.live")).ToHaveCountAsync(0);
        await Expect(page.Locator("#do-snapshot")).ToHaveCountAsync(0);

        // the moment's "before" limit is the API's, not a second number in the UI
        await page.GotoAsync(Url("#/camera/garden"));
        await Expect(page.Locator("#moment-before")).ToHaveAttributeAsync("max", RenderLimits.MaxBefore.ToString(CultureInfo.InvariantCulture));

        // fewer events than a page: no "Older events" button
        await page.GotoAsync(Url("#/events/garden"));
        await Expect(page.Locator("p.empty")).ToHaveTextAsync("No events yet. Motion events and captures appear here."); // loaded
        await Expect(page.Locator("#more")).ToBeHiddenAsync();
        await page.CloseAsync();
    }

    [Fact]
    public async Task Events_page_pages_back_with_before()
    {
        var store = ui.App.Services.GetRequiredService<EventStore>();
        var t0 = DateTimeOffset.UtcNow.AddDays(-1);
        for (var i = 0; i < 30; i++)
            store.Upsert(new StoredEvent { Id = $"page-{i:00}", Camera = "driveway", Start = t0.AddMinutes(i), End = t0.AddMinutes(i).AddSeconds(5), Score = i / 100.0 });
        var page = await ui.NewPageAsync();
        await page.GotoAsync(Url("#/events/driveway"));
        await Expect(page.Locator(".event[data-id=page-29]")).ToBeVisibleAsync();
        await Expect(page.Locator(".event[data-id=page-00]")).ToHaveCountAsync(0);
        await page.Locator("#more").ClickAsync();
        await Expect(page.Locator(".event[data-id=page-00]")).ToBeVisibleAsync();
        var ids = await page.Locator(".event").EvaluateAllAsync<string[]>("els => els.map(e => e.dataset.id)");
        var paged = ids.Where(i => i.StartsWith("page-", StringComparison.Ordinal)).ToArray();
        Assert.Equal(Enumerable.Range(0, 30).Reverse().Select(i => $"page-{i:00}"), paged);   // newest first, each once
        await page.CloseAsync();
    }

    [Fact]
    public async Task Status_page_shows_fps_and_the_render_queue()
    {
        var page = await ui.NewPageAsync();
        await page.GotoAsync(Url("#/status"));
        foreach (var cam in new[] { "garden", "driveway" })
        {
            var fps = page.Locator($"[data-cam={cam}] [data-field=fps]");
            await page.WaitForFunctionAsync("s => parseFloat(document.querySelector(s)?.textContent) > 0", $"[data-cam={cam}] [data-field=fps]");
            Assert.True(double.Parse(await fps.InnerTextAsync(), CultureInfo.InvariantCulture) > 0);
        }
        await Expect(page.Locator("#status-render [data-field=queued]")).ToHaveTextAsync(new System.Text.RegularExpressions.Regex(@"^\d+$"));
        await Expect(page.Locator("#status-meta")).ToContainTextAsync("Lookback");
        await ui.ScreenshotAsync(page, "status");
        await page.CloseAsync();
    }

    [Fact]
    public async Task Narrow_screen_layout()
    {
        var page = await ui.NewPageAsync(390, 844);
        await page.GotoAsync(Url());
        await Expect(page.Locator(".tile[data-cam=driveway] .badge")).ToHaveAttributeAsync("data-status", "online");
        await WaitForImage(page, ".tile[data-cam=driveway] img.live");
        var width = await page.EvaluateAsync<int>("document.documentElement.scrollWidth");
        Assert.True(width <= 390, $"the page scrolls sideways ({width} px)");
        await ui.ScreenshotAsync(page, "mobile-grid");
        await page.GotoAsync(Url("#/camera/garden"));
        await Expect(page.Locator("#pos")).ToContainTextAsync("frames");
        width = await page.EvaluateAsync<int>("document.documentElement.scrollWidth");
        Assert.True(width <= 390, $"the camera page scrolls sideways ({width} px)");
        await ui.ScreenshotAsync(page, "mobile-camera");
        await page.CloseAsync();
    }

    [Fact]
    public async Task Works_under_an_ingress_path_prefix()
    {
        var page = await ui.NewPageAsync();
        var baseUrl = new Uri(ui.ProxyAddress, UiFixture.IngressPrefix).ToString();
        var requests = new List<string>();
        var failures = new List<string>();
        page.Request += (_, r) => { lock (requests) requests.Add(r.Url); };
        page.Response += (_, r) => { if (r.Status >= 400) lock (failures) failures.Add($"{r.Status} {r.Url}"); };
        page.RequestFailed += (_, r) => { if (!r.Url.Contains("/mjpeg")) lock (failures) failures.Add($"failed {r.Url}: {r.Failure}"); };

        await page.GotoAsync(baseUrl);
        await Expect(page.Locator(".tile[data-cam=garden] .badge")).ToHaveAttributeAsync("data-status", "online");
        await WaitForImage(page, ".tile[data-cam=garden] img.live");
        await page.Locator(".tile[data-cam=driveway]").ClickAsync();
        await Expect(page.Locator("#pos")).ToContainTextAsync("frames");
        await page.Locator("#viewer").HoverAsync();
        await page.Mouse.WheelAsync(0, -100);
        await WaitForImage(page, "#viewer img.replay");
        await page.Locator("#do-snapshot").ClickAsync();
        await WaitForImage(page, ".result[data-kind=snapshot] img");
        await page.Locator("[data-nav=events]").ClickAsync();
        await Expect(page.Locator(".toolbar h1")).ToHaveTextAsync("Events");
        await page.Locator("[data-nav=status]").ClickAsync();
        await page.WaitForFunctionAsync("() => parseFloat(document.querySelector('[data-cam=garden] [data-field=fps]')?.textContent) > 0");
        await ui.ScreenshotAsync(page, "ingress-status");

        string[] seen;
        lock (requests) seen = [.. requests];
        var outside = seen.Where(u => !u.StartsWith("data:", StringComparison.Ordinal) && !u.StartsWith("blob:", StringComparison.Ordinal)
            && !u.StartsWith(baseUrl, StringComparison.Ordinal)).ToList();
        Assert.True(outside.Count == 0, "requests outside the ingress path: " + string.Join(", ", outside));
        Assert.Contains(seen, u => u.StartsWith(baseUrl + "api/cameras/driveway/frames/", StringComparison.Ordinal));
        lock (failures) Assert.True(failures.Count == 0, string.Join("\n", failures));
        lock (ui.ProxyRequests) Assert.All(ui.ProxyRequests, p => Assert.StartsWith(UiFixture.IngressPrefix, p));
        await page.CloseAsync();
    }
}
