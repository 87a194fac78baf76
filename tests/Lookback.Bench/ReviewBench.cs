using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Lookback.Config;
using Lookback.Hosting;
using Lookback.Imaging;
using Lookback.Media.Storage;
using Microsoft.Extensions.DependencyInjection;

namespace Lookback.Bench;

/// <summary>
/// Issue 12: with 1,000 stored events (each with its snapshot and 2 s of frames), what the events page costs over HTTP
/// — the page (index.html + events.js), its first list (api/events?limit=24), and the player's first frame (the
/// newest event's frame index + its last frame) — and the disk one stored event-minute takes (frames at
/// motion.frames_fps 10 of a 640×360 demo scene, JPEG q80, plus the index). Also the p50/p95 latency of the event list,
/// search (metadata text; zone + camera + day), timelines and frame serving (100 runs each), and in a headless Debian
/// chromium (when /usr/bin/chromium exists): the events page until 24 cards show (the browser's own clock from the
/// navigation's start), a click until the newest event's first frame is decoded, one wheel notch.
/// </summary>
[Bench("review")]
public static class ReviewBench
{
    public static async Task RunAsync(string[] args)
    {
        var storage = Directory.CreateTempSubdirectory("bench-review-").FullName;
        try
        {
            var media = new MediaStore(new StorageOptions { Path = storage }, new HttpOptions { Port = 0 });
            var events = new EventStore(Path.Combine(storage, ".state", "events.db"));
            using var scene = new DemoScene();
            // every event on yesterday from 08:00 local (10 s apart: 2.8 h), so that the timeline and day search have a full day
            var t0 = Days.Bounds(Days.Today(DateTimeOffset.UtcNow).AddDays(-1)).Start.AddHours(8);
            var jpegs = Enumerable.Range(0, 20).Select(i => scene.RenderJpeg(t0.AddMilliseconds(100 * i), 640, 360, "bench")).ToArray();

            // disk per stored event-minute: 60 s at 10 fps through the writer the recorders use
            var minute = new EventFrameWriter(media, "bench", t0, new EventFrameLimits(10));
            for (var i = 0; i < 600; i++) minute.Append(jpegs[i % jpegs.Length], t0.AddMilliseconds(100 * i));
            var m = (await minute.CompleteAsync(CancellationToken.None))!.Value;
            var minuteBytes = new FileInfo(media.FullPath(m.Frames)).Length + new FileInfo(media.FullPath(m.Index)).Length;

            var fill = Stopwatch.StartNew();
            for (var e = 0; e < 1000; e++)
            {
                var start = t0.AddSeconds(10 * e);
                var w = new EventFrameWriter(media, "bench", start, new EventFrameLimits(10));
                for (var i = 0; i < 20; i++) w.Append(jpegs[i], start.AddMilliseconds(100 * i));
                var f = (await w.CompleteAsync(CancellationToken.None))!.Value;
                var snap = await media.WriteAsync("bench", start, "motion", "jpg", jpegs[10], CancellationToken.None);
                events.Upsert(new StoredEvent
                {
                    Id = $"bench-{e:D4}", Camera = "bench", Start = start, End = start.AddSeconds(2), Score = 0.3, Zones = [e % 2 == 0 ? "porch" : "path"],
                    Metadata = new Dictionary<string, string> { ["comment"] = $"gate {e % 50} opened", ["file"] = $"cam_{e:D4}.jpg" },
                    Files = new Dictionary<string, string> { ["snapshot"] = snap.RelativePath, [EventFrames.FramesKey] = f.Frames, [EventFrames.IndexKey] = f.Index },
                });
            }
            fill.Stop();

            var options = new LookbackOptions
            {
                LogLevel = "warning", Http = new HttpOptions { Listen = "127.0.0.1", Port = 0 }, Storage = new StorageOptions { Path = storage },
                Cameras = [new CameraOptions { Slug = "bench", Url = "http://127.0.0.1:1/none.jpg", Kind = CameraKind.Snapshot, Interval = 60, Motion = new MotionOptions { Enabled = false } }],
            };
            await using var app = LookbackHost.Build(options, new HostSettings { RenderWorkers = 1 });
            await app.StartAsync();
            using var http = new HttpClient { BaseAddress = app.BaseAddress };
            const int runs = 100;
            var newest = JsonDocument.Parse(await http.GetStringAsync("/api/events?limit=1")).RootElement[0].GetProperty("id").GetString()!;
            var lastFrame = JsonDocument.Parse(await http.GetStringAsync($"/api/events/{newest}/frames")).RootElement.GetArrayLength() - 1;
            var mid = $"bench-{500:D4}";
            var measures = new (string Name, Func<Task> Call)[]
            {
                ("list: api/events?limit=24 (newest)", () => http.GetStringAsync("/api/events?limit=24")),
                ("list: page 20 (before=…)", () => http.GetStringAsync($"/api/events?limit=24&before={Uri.EscapeDataString(t0.AddSeconds(10 * 520).ToString("O"))}")),
                ("search: q=gate 7 (metadata text)", () => http.GetStringAsync("/api/events?q=gate%207&limit=50")),
                ("search: zone+camera+day (date=yesterday)", () => http.GetStringAsync("/api/events?camera=bench&zone=porch&date=yesterday&limit=50")),
                ("timeline: api/timeline?date=yesterday", () => http.GetStringAsync("/api/timeline?date=yesterday")),
                ("timeline: one camera's day", () => http.GetStringAsync("/api/cameras/bench/timeline?date=yesterday")),
                ("frames: api/events/{id}/frames (index)", () => http.GetStringAsync($"/api/events/{mid}/frames")),
                ("frames: one frame …/frames/{n}.jpg", () => http.GetByteArrayAsync($"/api/events/{mid}/frames/7.jpg")),
                ("page: html + js + first 24 events", async () =>
                {
                    await http.GetStringAsync("/");
                    await http.GetStringAsync("/ui/events.js");
                    await http.GetStringAsync("/api/events?limit=24");
                }),
                ("page + the newest event's first frame", async () =>
                {
                    await http.GetStringAsync("/");
                    await http.GetStringAsync("/ui/events.js");
                    await http.GetStringAsync("/api/events?limit=24");
                    await http.GetStringAsync($"/api/events/{newest}/frames");
                    await http.GetByteArrayAsync($"/api/events/{newest}/frames/{lastFrame.ToString(CultureInfo.InvariantCulture)}.jpg");
                }),
            };
            var results = new List<(string Name, double P50, double P95, int Count)>();
            foreach (var (name, call) in measures)
            {
                for (var w = 0; w < 3; w++) await call(); // warm-up (JIT, SQLite cache)
                var times = new List<double>(runs);
                for (var i = 0; i < runs; i++)
                {
                    var sw = Stopwatch.StartNew();
                    await call();
                    times.Add(sw.Elapsed.TotalMilliseconds);
                }
                times.Sort();
                results.Add((name, times[times.Count / 2], times[Math.Min(times.Count - 1, (int)Math.Ceiling(times.Count * 0.95) - 1)], runs));
            }
            var browser = File.Exists("/usr/bin/chromium") ? await BrowserAsync(app.BaseAddress, Math.Min(runs, 20)) : null;
            var searchHits = JsonDocument.Parse(await http.GetStringAsync("/api/events?q=gate%207&limit=1000")).RootElement.GetArrayLength();
            var timelineItems = JsonDocument.Parse(await http.GetStringAsync("/api/cameras/bench/timeline?date=yesterday")).RootElement.GetRawText().Length;
            await app.StopAsync();

            long eventBytes = 0;
            foreach (var f in Directory.EnumerateFiles(Path.Combine(storage, "bench"), "*", SearchOption.AllDirectories)) eventBytes += new FileInfo(f).Length;
            eventBytes -= minuteBytes;
            Console.WriteLine($"stored events: 1000 (filled in {fill.Elapsed.TotalSeconds:F1} s), 20 frames each, JPEG frame {jpegs[0].Length / 1024.0:F1} KB (640x360 demo scene); {runs} runs per line");
            Console.WriteLine($"search 'gate 7' matches {searchHits} events; one camera's timeline JSON {timelineItems / 1024.0:F0} KB");
            Console.WriteLine();
            Console.WriteLine($"| {"measure",-44} | {"p50 ms",8} | {"p95 ms",8} |");
            Console.WriteLine($"|{new string('-', 46)}|{new string('-', 10)}|{new string('-', 10)}|");
            foreach (var x in results) Console.WriteLine($"| {x.Name,-44} | {x.P50,8:F2} | {x.P95,8:F2} |");
            if (browser is { } b)
            {
                Console.WriteLine();
                Console.WriteLine($"chromium (headless, Playwright), {b.Runs} runs, a fresh page each; page and click timed by the page clock:");
                Console.WriteLine($"| {"browser",-44} | {"p50 ms",8} | {"p95 ms",8} |");
                Console.WriteLine($"|{new string('-', 46)}|{new string('-', 10)}|{new string('-', 10)}|");
                Console.WriteLine($"| {"events page: navigation to 24 cards shown",-44} | {b.Page.P50,8:F1} | {b.Page.P95,8:F1} |");
                Console.WriteLine($"| {"click the newest: first frame decoded",-44} | {b.Frame.P50,8:F1} | {b.Frame.P95,8:F1} |");
                Console.WriteLine($"| {"one wheel notch: previous frame shown",-44} | {b.Wheel.P50,8:F1} | {b.Wheel.P95,8:F1} |");
            }
            Console.WriteLine();
            Console.WriteLine($"| {"disk",-50} | {"bytes",12} |");
            Console.WriteLine($"|{new string('-', 52)}|{new string('-', 14)}|");
            Console.WriteLine($"| {"per stored event-minute (frames 10 fps + index)",-50} | {minuteBytes,12:N0} |");
            Console.WriteLine($"| {"per stored 2 s event (20 frames, index, snapshot)",-50} | {eventBytes / 1000,12:N0} |");
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            try { Directory.Delete(storage, true); } catch (IOException) { }
        }
    }

    private static (double P50, double P95) Percentiles(List<double> v)
    {
        v.Sort();
        return (v[v.Count / 2], v[Math.Min(v.Count - 1, (int)Math.Ceiling(v.Count * 0.95) - 1)]);
    }

    /// <summary>The events page in a real chromium: navigation until 24 cards show, a click until the newest event's
    /// first frame is decoded, one wheel notch until the previous frame shows. One warm-up run.</summary>
    private static async Task<((double P50, double P95) Page, (double P50, double P95) Frame, (double P50, double P95) Wheel, int Runs)?> BrowserAsync(Uri baseAddress, int runs)
    {
        using var pw = await Microsoft.Playwright.Playwright.CreateAsync();
        await using var browser = await pw.Chromium.LaunchAsync(new()
        {
            ExecutablePath = "/usr/bin/chromium", Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
        });
        var page = new List<double>(); var frame = new List<double>(); var wheel = new List<double>();
        for (var run = 0; run <= runs; run++)
        {
            var ctx = await browser.NewContextAsync(new() { ViewportSize = new() { Width = 1280, Height = 800 } });
            ctx.SetDefaultTimeout(30_000);
            var p = await ctx.NewPageAsync();
            var sw = Stopwatch.StartNew();
            // from the navigation's commit on (not its load event, which waits for the 24 thumbnails)
            await p.GotoAsync(baseAddress + "#/events", new() { WaitUntil = Microsoft.Playwright.WaitUntilState.Commit });
            // polled every 5 ms; performance.now() counts from the navigation's start (the browser's own clock)
            var pageMs = (await (await p.WaitForFunctionAsync("() => document.querySelectorAll('#events .event').length >= 24 && performance.now()",
                null, new() { PollingInterval = 5 })).JsonValueAsync<double>());
            if (run == 1 && Environment.GetEnvironmentVariable("REVIEW_BENCH_RESOURCES") is not null)
                Console.Error.WriteLine(string.Join("\n", await p.EvaluateAsync<string[]>(
                    "() => performance.getEntriesByType('resource').filter(e => !e.name.includes('/media/')).map(e => `${e.name.replace(location.origin, '')} ${e.startTime.toFixed(0)}-${e.responseEnd.toFixed(0)} ms`)")));
            // the click dispatched in the page and timed by its clock: the app's own time to the decoded frame
            var frameMs = await (await p.WaitForFunctionAsync(
                "() => { if (!window.__t0) { window.__t0 = performance.now(); document.querySelector('#events .event').click(); return false; } " +
                "const i = document.querySelector('#player #frameview img.frame'); return !!i && i.complete && i.naturalWidth > 0 && i.dataset.n && performance.now() - window.__t0; }",
                null, new() { PollingInterval = 5 })).JsonValueAsync<double>();
            var n = await p.Locator("#player #frameview img.frame").GetAttributeAsync("data-n");
            await p.Locator("#frameview").HoverAsync();
            sw.Restart();
            await p.Mouse.WheelAsync(0, -100);
            await p.WaitForFunctionAsync("n => { const i = document.querySelector('#player #frameview img.frame'); return i.dataset.n !== n && i.complete && i.naturalWidth > 0; }",
                n, new() { PollingInterval = 5 });
            var wheelMs = sw.Elapsed.TotalMilliseconds;
            await ctx.CloseAsync();
            if (run == 0) continue;
            page.Add(pageMs); frame.Add(frameMs); wheel.Add(wheelMs);
        }
        return (Percentiles(page), Percentiles(frame), Percentiles(wheel), runs);
    }
}
