using System.Diagnostics;
using Lookback.Cameras;
using Lookback.Config;
using Lookback.Hosting;
using Lookback.Media.Rendering;
using Microsoft.Extensions.DependencyInjection;

namespace Lookback.Bench;

/// <summary>
/// The packet ring of stream cameras on a 1080p25 H.264 RTSP stream (rtsp_server.py, x264 at --bitrate, GOP 2 s, default
/// camera config, no record): trigger → moment result (before=10, after=0: a remux of the stream's packets) p50/p95,
/// trigger → GIF result (10 s, 4 fps, 480 px: decoded from the packets) p50, and RAM: the ring's bytes per buffered
/// minute against the stream's bitrate, and the process RSS growth while the ring fills. Requests go through the
/// render service (what HTTP, MQTT and triggers call). Runs: <c>--moments N</c> (default 10).
/// </summary>
[Bench("packets")]
public static class PacketRingBench
{
    public static async Task RunAsync(string[] args)
    {
        var n = args.SkipWhile(a => a != "--moments").Skip(1).Select(int.Parse).FirstOrDefault(10);
        var kbits = args.SkipWhile(a => a != "--bitrate").Skip(1).Select(int.Parse).FirstOrDefault(4000);
        await using var server = await StreamBench.Server.StartAsync("1920x1080", "--fps", "25", "--gop", "50", "--bitrate", kbits.ToString(),
            "--no-overlay", "--pattern", "smpte");
        var root = Path.Combine(Path.GetTempPath(), "lookback-pktbench-" + Guid.NewGuid().ToString("N")[..8]);
        var options = new LookbackOptions
        {
            Http = new HttpOptions { Listen = "127.0.0.1", Port = 0 },
            Storage = new StorageOptions { Path = root },
            Cameras = [new CameraOptions { Slug = "cam", Url = $"rtsp://127.0.0.1:{server.Port}/cam", Kind = CameraKind.Rtsp, MaxBufferBytes = 256L * 1024 * 1024 }],
        };
        var me = Process.GetCurrentProcess();
        me.Refresh();
        var rssBefore = me.WorkingSet64;
        var app = LookbackHost.Build(options, new HostSettings { RenderWorkers = 1 });
        await app.StartAsync();
        try
        {
            var cam = (Camera)app.Cameras.Find("cam")!;
            var render = app.Services.GetRequiredService<IRenderService>();
            var sw = Stopwatch.StartNew();
            Task<(double Span, long Rss, long Managed, long Ring)> BufferedAsync(double seconds) =>
                StreamBenchKit.BufferedAsync(cam, seconds, sw, TimeSpan.FromSeconds(150), TimeSpan.FromMilliseconds(500));
            // RAM per buffered minute: the growth from 10 s to 40 s buffered (start-up, JIT and the host are in both)
            var early = await BufferedAsync(10);
            var late = await BufferedAsync(40);
            var perMinuteRss = (late.Rss - early.Rss) / (late.Span - early.Span) * 60;
            var perMinuteManaged = (late.Managed - early.Managed) / (late.Span - early.Span) * 60;
            var perMinuteRing = (late.Ring - early.Ring) / (late.Span - early.Span) * 60;
            me.Refresh();
            var ring = cam.Packets!;
            var span = (ring.NewestTime!.Value - ring.OldestTime!.Value).TotalSeconds;
            var perMinute = ring.Bytes / span * 60;
            var streamMbit = ring.Bytes * 8 / span / 1e6;

            var waitNewest = new List<double>();
            for (var i = 0; i < n; i++)
            {
                // after=0: how long until the packet of the request time is in the ring (ffmpeg, socket, demuxer delay)
                var at = DateTimeOffset.UtcNow;
                var t0 = Stopwatch.StartNew();
                await ring.WaitForAsync(at, TimeSpan.FromSeconds(10), CancellationToken.None);
                waitNewest.Add(t0.Elapsed.TotalMilliseconds);
                await Task.Delay(300);
            }
            var http = new HttpClient { BaseAddress = app.BaseAddress };
            var snapHttp = new List<double>();
            var snapRender = new List<double>();
            for (var i = 0; i < Math.Max(20, n); i++)
            {
                var t0 = Stopwatch.StartNew();
                var bytes = await http.GetByteArrayAsync("/api/cameras/cam/snapshot.jpg");
                snapHttp.Add(t0.Elapsed.TotalMilliseconds);
                if (bytes.Length < 1000) throw new InvalidOperationException("no snapshot");
                t0.Restart();
                var sr = await render.SubmitAsync(new RenderRequest { Camera = "cam", Kind = RenderKind.Snapshot }, CancellationToken.None);
                snapRender.Add(t0.Elapsed.TotalMilliseconds);
                if (!sr.Ok) throw new InvalidOperationException(sr.Error);
            }
            var spawn = new List<double>();
            for (var i = 0; i < 5; i++)
            {
                var t0 = Stopwatch.StartNew();
                using var p = Process.Start(new ProcessStartInfo("ffmpeg", "-hide_banner -version") { RedirectStandardOutput = true, UseShellExecute = false })!;
                await p.StandardOutput.ReadToEndAsync();
                await p.WaitForExitAsync();
                spawn.Add(t0.Elapsed.TotalMilliseconds);
            }

            var moment = new List<double>();
            var gif = new List<double>();
            var mp4 = new List<double>();
            string? frames = null;
            for (var i = 0; i < n; i++)
            {
                var t = Stopwatch.StartNew();
                var r = await render.SubmitAsync(new RenderRequest { Camera = "cam", Kind = RenderKind.Moment, Before = 10, After = 0 }, CancellationToken.None);
                moment.Add(t.Elapsed.TotalMilliseconds);
                if (!r.Ok) throw new InvalidOperationException(r.Error);
                frames ??= $"{r.Frames} frames {r.Width}x{r.Height}, source {r.Source}, lead {r.LeadMs} ms";
                t.Restart();
                var g = await render.SubmitAsync(new RenderRequest { Camera = "cam", Kind = RenderKind.Gif, Seconds = 10, Fps = 4, Width = 480 }, CancellationToken.None);
                gif.Add(t.Elapsed.TotalMilliseconds);
                if (!g.Ok) throw new InvalidOperationException(g.Error);
                t.Restart();
                var m = await render.SubmitAsync(new RenderRequest { Camera = "cam", Kind = RenderKind.Mp4, Seconds = 10 }, CancellationToken.None);
                mp4.Add(t.Elapsed.TotalMilliseconds);
                if (!m.Ok) throw new InvalidOperationException(m.Error);
            }
            Console.WriteLine($"moment: {frames}");
            Console.WriteLine();
            Console.WriteLine("| measure | value |");
            Console.WriteLine("|---|---|");
            Console.WriteLine($"| trigger → moment result (before 10, after 0, 1080p25 remux, incl. the GIF beside it) p50 / p95 | {P(moment, 50):0} / {P(moment, 95):0} ms |");
            Console.WriteLine($"| trigger → mp4?seconds=10 result (the remux alone, no GIF) p50 / p95 | {P(mp4, 50):0} / {P(mp4, 95):0} ms |");
            Console.WriteLine($"| trigger → GIF result (10 s, 4 fps, 480 px, decoded from packets) p50 / p95 | {P(gif, 50):0} / {P(gif, 95):0} ms |");
            Console.WriteLine($"| request → packet of the request time in the ring (the wait of after=0) p50 / p95 | {P(waitNewest, 50):0} / {P(waitNewest, 95):0} ms |");
            Console.WriteLine($"| snapshot: HTTP GET snapshot.jpg → bytes (newest JPEG frame) p50 / p95 | {P(snapHttp, 50):0.0} / {P(snapHttp, 95):0.0} ms |");
            Console.WriteLine($"| snapshot: render service (queue + file) → result p50 / p95 | {P(snapRender, 50):0.0} / {P(snapRender, 95):0.0} ms |");
            Console.WriteLine($"| machine load reference: ffmpeg -version start → exit p50 | {P(spawn, 50):0} ms |");
            Console.WriteLine($"| stream bitrate (ring bytes / buffered s) | {streamMbit:0.00} Mbit/s |");
            Console.WriteLine($"| ring bytes per camera-minute | {perMinute / 1e6:0.00} MB (stream itself: {streamMbit * 60 / 8:0.00} MB) |");
            Console.WriteLine($"| process RSS growth, camera started → {span:0} s buffered (host start-up included) | {(me.WorkingSet64 - rssBefore) / 1e6:0.0} MB |");
            Console.WriteLine($"| per buffered camera-minute, 10 s → 40 s buffered: ring / managed heap after a full GC / RSS | {perMinuteRing / 1e6:0.00} / {perMinuteManaged / 1e6:0.00} / {perMinuteRss / 1e6:0.00} MB |");
        }
        finally
        {
            await app.StopAsync();
            await app.DisposeAsync();
            try { Directory.Delete(root, true); } catch (IOException) { }
        }
    }

    private static double P(List<double> v, int p)
    {
        var s = v.Order().ToList();
        return s[Math.Clamp((int)Math.Ceiling(p / 100.0 * s.Count) - 1, 0, s.Count - 1)];
    }
}
