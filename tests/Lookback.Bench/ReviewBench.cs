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
/// motion.frames_fps 10 of a 640×360 demo scene, JPEG q80, plus the index).
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
            var t0 = DateTimeOffset.UtcNow.AddHours(-5);
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
                    Id = $"bench-{e:D4}", Camera = "bench", Start = start, End = start.AddSeconds(2), Score = 0.3, Zones = ["porch"],
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
            var page = new List<double>();
            var first = new List<double>();
            for (var run = 0; run < 21; run++)
            {
                var sw = Stopwatch.StartNew();
                await http.GetStringAsync("/");
                await http.GetStringAsync("/ui/events.js");
                var list = JsonDocument.Parse(await http.GetStringAsync("/api/events?limit=24"));
                var pageMs = sw.Elapsed.TotalMilliseconds;
                var id = list.RootElement[0].GetProperty("id").GetString();
                var frames = JsonDocument.Parse(await http.GetStringAsync($"/api/events/{id}/frames"));
                var last = frames.RootElement.GetArrayLength() - 1;
                await http.GetByteArrayAsync($"/api/events/{id}/frames/{last.ToString(CultureInfo.InvariantCulture)}.jpg");
                var firstMs = sw.Elapsed.TotalMilliseconds;
                if (run == 0) continue; // warm-up (JIT, SQLite cache)
                page.Add(pageMs); first.Add(firstMs);
            }
            await app.StopAsync();
            static double Median(List<double> v) { v.Sort(); return v[v.Count / 2]; }
            static double P90(List<double> v) { v.Sort(); return v[(int)(v.Count * 0.9)]; }
            Console.WriteLine($"stored events: 1000 (filled in {fill.Elapsed.TotalSeconds:F1} s), JPEG frame {jpegs[0].Length / 1024.0:F1} KB");
            Console.WriteLine($"{"measure",-44} {"median",10} {"p90",10}");
            Console.WriteLine($"{"events page: html + js + first 24 events",-44} {Median(page),8:F1}ms {P90(page),8:F1}ms");
            Console.WriteLine($"{"... + the newest event's first frame shown",-44} {Median(first),8:F1}ms {P90(first),8:F1}ms");
            Console.WriteLine($"{"disk per stored event-minute (10 fps)",-44} {minuteBytes / 1048576.0,8:F1}MB");
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            try { Directory.Delete(storage, true); } catch (IOException) { }
        }
    }
}
