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
            while (!(cam.Packets is { OldestTime: { } o, NewestTime: { } nt } && (nt - o).TotalSeconds >= 40))
            {
                if (sw.Elapsed > TimeSpan.FromSeconds(120)) throw new TimeoutException($"ring did not fill: {cam.Status} {cam.LastError} {cam.Packets?.Unusable}");
                await Task.Delay(500);
            }
            me.Refresh();
            var ring = cam.Packets!;
            var span = (ring.NewestTime!.Value - ring.OldestTime!.Value).TotalSeconds;
            var perMinute = ring.Bytes / span * 60;
            var streamMbit = ring.Bytes * 8 / span / 1e6;

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
            Console.WriteLine($"| stream bitrate (ring bytes / buffered s) | {streamMbit:0.00} Mbit/s |");
            Console.WriteLine($"| ring bytes per camera-minute | {perMinute / 1e6:0.00} MB (stream itself: {streamMbit * 60 / 8:0.00} MB) |");
            Console.WriteLine($"| process RSS growth, camera started → {span:0} s buffered | {(me.WorkingSet64 - rssBefore) / 1e6:0.0} MB |");
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
