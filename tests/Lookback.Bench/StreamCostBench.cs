using System.Diagnostics;
using System.Globalization;
using Lookback.Buffer;
using Lookback.Cameras;
using Lookback.Config;
using Lookback.Hosting;
using Lookback.Media.Rendering;
using Microsoft.Extensions.DependencyInjection;

namespace Lookback.Bench;

/// <summary>
/// Issue 18's figures on real footage: the PETS 2006 clip from Debian's opencv-doc, scaled to 1920x1080 and played at
/// 25 fps (every frame a different picture), H.264 4 Mbit/s, GOP 2 s, no B-frames, served stream-copied by
/// tests/Lookback.Tests/Streams/rtsp_server.py <c>--file</c> (each client gets the clip from its start, so every round
/// sees the same footage; the server encodes nothing). A default stream camera (no record, motion on at 5 fps) in a
/// whole Lookback host:
/// <list type="bullet">
/// <item>CPU per camera-minute of the whole process (this .NET process above its idle rate + every ffmpeg child, the
/// reaped ones included) against bare <c>ffmpeg -rtsp_transport tcp -i URL -f null -</c>, rounds alternating in the same
/// run (<c>--rounds N</c>, default 2, each <c>--seconds N</c>, default 60, long enough for the motion events of the busy scene and
/// their GIFs; medians; each measured <c>--settle S</c>, default 20, after its first frames, the bare decode too, so that the
/// camera's start and its first motion event are left out), after a <c>--warmup S</c> (default 60) run of the same host that JITs the pipeline; the RTSP
/// server, a child of this process too, is left out; <c>--concurrent</c> runs each round's bare decode at the same time as
/// the host (its own client of the server; its CPU left out of the host's), so that both see the same minutes of a
/// shared machine;</item>
/// <item>RAM per buffered camera-minute (ring bytes, managed heap after a full GC, RSS growth from 10 s to 40 s
/// buffered, or <c>--ram-from S --ram-to S</c>; a later window leaves start-up and tiered JIT out) against the stream's own bytes;</item>
/// <item>trigger → moment result (before 10, after 0, with its GIF), trigger → mp4?seconds=10 (the remux alone), trigger
/// → GIF (10 s, 4 fps, 480 px), snapshot (HTTP GET → bytes): p50/p95 over <c>--moments N</c> (default 8).</item>
/// </list>
/// <c>--cpu-only</c> skips the RAM and render figures. <c>--legacy</c> measures the previous behaviour in the same harness: ffmpeg remuxes (no in-process MP4 muxer) and
/// full-size JPEG frames at <c>interval</c> (1 s) while the packet ring serves.
/// </summary>
[Bench("streamcost")]
public static class StreamCostBench
{
    private static TimeSpan Settle = TimeSpan.FromSeconds(20);

    public static async Task RunAsync(string[] args)
    {
        int Arg(string name, int dflt) => args.SkipWhile(a => a != name).Skip(1).Select(int.Parse).FirstOrDefault(dflt);
        var seconds = Arg("--seconds", 60);
        var rounds = Arg("--rounds", 2);
        var warmup = Arg("--warmup", 60);
        Settle = TimeSpan.FromSeconds(Arg("--settle", 20));
        var n = Arg("--moments", 8);
        var legacy = args.Contains("--legacy");
        var concurrent = args.Contains("--concurrent");
        Motion = !args.Contains("--no-motion");
        Preview = !args.Contains("--no-preview");
        PacketRender.InProcessMux = !legacy;
        var clip = await ClipAsync();
        await using var server = await StreamBench.Server.StartAsync("1920x1080", "--file", clip);
        ServerPid = server.Pid;
        var url = $"rtsp://127.0.0.1:{server.Port}/cam";
        var me = Process.GetCurrentProcess();
        await Task.Delay(TimeSpan.FromSeconds(2));
        var idle = await PipelineBench.CpuOverAsync(me, TimeSpan.FromSeconds(5));
        var idlePerSecond = idle.cpu / idle.wall;
        Console.WriteLine($"footage: {clip} ({(legacy ? "legacy: ffmpeg remux, JPEG frames at interval" : "this branch")}); idle baseline {idlePerSecond * 60:0.000} CPU s/min (subtracted)");

        // a first host in this process JITs the whole pipeline (tier 0, then tier 1 after ~30 calls, the motion events'
        // GIF code only once events end): a camera-minute is measured in the steady state, after one untimed warm-up run
        // of the same host (--warmup s, default 60, so that it sees several events)
        var warm = await LookbackCpuAsync(url, warmup, idlePerSecond, legacy);
        Console.Error.WriteLine($"  warm-up (not counted): lookback {warm.Total:0.00} (.NET {warm.Net:0.00} + ffmpeg {warm.Children:0.00})");
        var bare = new List<double>();
        var ours = new List<(double Total, double Net, double Children, double Jpeg, double Gray, int Gifs)>();
        for (var r = 0; r < rounds; r++)
        {
            // --concurrent: the same minutes of the same machine, so that a shared machine's drift (the bare decode alone
            // moved by 20 % between rounds) cancels out of the ratio. The bare decode then measures 20 s longer, so that it
            // is still alive at both ends of the host's window (killed and reaped inside it, its CPU would count as the host's)
            var b = BareAsync(url, concurrent ? seconds + 20 : seconds);
            if (!concurrent) await b;
            var o = LookbackCpuAsync(url, seconds, idlePerSecond, legacy);
            await Task.WhenAll(b, o);
            bare.Add(b.Result);
            ours.Add(o.Result);
            Console.Error.WriteLine($"  round {r + 1}: bare {bare[^1]:0.00} CPU s/min; lookback {ours[^1].Total:0.00} (.NET {ours[^1].Net:0.00} + ffmpeg {ours[^1].Children:0.00}), " +
                $"{ours[^1].Jpeg:0.00} JPEG/s, {ours[^1].Gray:0.00} gray/s, {ours[^1].Gifs} motion-event GIFs");
        }
        var total = Median(ours.Select(o => o.Total));
        var bareCpu = Median(bare);

        var (ram, times) = args.Contains("--cpu-only") ? ([], []) : await RendersAsync(url, n, legacy, Arg("--ram-from", 10), Arg("--ram-to", 40));
        Console.WriteLine();
        Console.WriteLine($"| measure (PETS 1080p25 H.264 4 Mbit/s, one default stream camera, motion {(Motion ? "on" : "off")}) | value |");
        Console.WriteLine("|---|---|");
        Console.WriteLine($"| CPU per camera-minute: whole Lookback process (.NET + ffmpeg children) | {total:0.00} s (.NET {Median(ours.Select(o => o.Net)):0.00} + ffmpeg {Median(ours.Select(o => o.Children)):0.00}) |");
        Console.WriteLine($"| CPU per camera-minute: bare ffmpeg -i URL -f null - | {bareCpu:0.00} s |");
        Console.WriteLine($"| CPU ratio (target ≤ 1.10) | {total / bareCpu:0.00} |");
        Console.WriteLine($"| JPEG / gray frames per second of the camera | {Median(ours.Select(o => o.Jpeg)):0.00} / {Median(ours.Select(o => o.Gray)):0.00} |");
        Console.WriteLine($"| motion-event GIFs per camera-minute (each event's GIF, made as it ends) | {Median(ours.Select(o => o.Gifs * 60.0 / seconds)):0.0} |");
        foreach (var (name, v) in times)
            Console.WriteLine($"| {name} p50 / p95 | {P(v, 50):0.#} / {P(v, 95):0.#} ms |");
        foreach (var line in ram) Console.WriteLine(line);
    }

    /// <summary>The PETS clip at 1080p25 (cached in the temp folder): 4 loops of the 795 frames, ~127 s.</summary>
    internal static async Task<string> ClipAsync()
    {
        const string source = "/usr/share/doc/opencv-doc/examples/data/vtest.avi";
        if (!File.Exists(source)) throw new FileNotFoundException($"{source} missing: apt-get install opencv-doc");
        var clip = Path.Combine(Path.GetTempPath(), "lookback-pets-1080p25-4m.mp4");
        if (File.Exists(clip)) return clip;
        var one = clip + ".one.mp4";
        await FfmpegAsync("-i", source, "-vf", "setpts=N/25/TB,scale=1920:1080:flags=bicubic,format=yuv420p", "-r", "25", "-c:v", "libx264",
            "-preset", "veryfast", "-b:v", "4M", "-maxrate", "4M", "-bufsize", "8M", "-bf", "0", "-x264-params", "keyint=50:min-keyint=50:scenecut=0",
            "-an", "-y", one);
        await FfmpegAsync("-stream_loop", "3", "-i", one, "-c", "copy", "-movflags", "+faststart", "-y", clip + ".tmp.mp4");
        File.Move(clip + ".tmp.mp4", clip, true);
        File.Delete(one);
        return clip;
    }

    private static async Task FfmpegAsync(params string[] args)
    {
        var psi = new ProcessStartInfo("ffmpeg") { UseShellExecute = false, RedirectStandardError = true };
        foreach (var a in new[] { "-hide_banner", "-loglevel", "error" }.Concat(args)) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var err = await p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync();
        if (p.ExitCode != 0) throw new InvalidOperationException("ffmpeg: " + err);
    }

    private static bool Motion = true;
    /// <summary>The RTSP server is this process's child too: its CPU (~0.5 s per minute) is not Lookback's.</summary>
    private static int ServerPid;
    private static bool Preview = true;


    private static LookbackOptions Options(string url, string root, bool legacy) => new()
    {
        Http = new HttpOptions { Listen = "127.0.0.1", Port = 0 },
        Storage = new StorageOptions { Path = root },
        Cameras = [new CameraOptions { Slug = "cam", Url = url, Kind = CameraKind.Rtsp, MaxBufferBytes = 256L * 1024 * 1024, PacketJpegInterval = legacy ? 1 : new CameraOptions { Slug = "d", Url = url }.PacketJpegInterval,
            Motion = new MotionOptions { Enabled = Motion }, PreviewSeconds = Preview ? new CameraOptions { Slug = "d", Url = url }.PreviewSeconds : 0 }],
    };

    /// <summary>CPU s per minute of the whole process over the window: this process above idle, and its ffmpeg children.</summary>
    private static async Task<(double Total, double Net, double Children, double Jpeg, double Gray, int Gifs)> LookbackCpuAsync(string url, int seconds,
        double idlePerSecond, bool legacy)
    {
        var root = Path.Combine(Path.GetTempPath(), "lookback-costbench-" + Guid.NewGuid().ToString("N")[..8]);
        var app = LookbackHost.Build(Options(url, root, legacy), new HostSettings());
        await app.StartAsync();
        try
        {
            var cam = (Camera)app.Cameras.Find("cam")!;
            var sw = Stopwatch.StartNew();
            while (!(cam.Packets is { Count: > 50 } && cam.Ring.Count >= 1) && sw.Elapsed < TimeSpan.FromSeconds(60)) await Task.Delay(200);
            await Task.Delay(Settle); // start-up settles: the first motion event, from the camera's first frames, is left out
            var source = (Sources.Streaming.StreamSource)cam.Source;
            var (f0, g0) = (source.FramesDelivered, source.GrayFramesDelivered);
            int Gifs() => Directory.Exists(root) ? Directory.EnumerateFiles(root, "*-gif.gif", SearchOption.AllDirectories).Count() : 0;
            var gifs0 = Gifs();
            var (self0, kids0, cam0) = Cpu();
            var w = Stopwatch.StartNew();
            await Task.Delay(TimeSpan.FromSeconds(seconds));
            var (self1, kids1, cam1) = Cpu();
            var wall = w.Elapsed.TotalSeconds;
            var (f1, g1) = (source.FramesDelivered, source.GrayFramesDelivered);
            var net = (self1 - self0 - idlePerSecond * wall) * 60 / wall;
            var children = (kids1 - kids0) * 60 / wall;
            // the camera's own ffmpeg (live at both ends; an ffmpeg restart inside the window shows as render CPU)
            Console.Error.WriteLine($"    camera ffmpeg {(cam1 - cam0) * 60 / wall:0.00}, other ffmpeg (renders) {(kids1 - kids0 - (cam1 - cam0)) * 60 / wall:0.00} CPU s/min");
            return (net + children, net, children, (f1 - f0) / wall, (g1 - g0) / wall, Gifs() - gifs0);
        }
        finally
        {
            await app.StopAsync();
            await app.DisposeAsync();
            try { Directory.Delete(root, true); } catch (IOException) { }
        }
    }

    /// <summary>(this process's own CPU s, its children's: reaped (cutime+cstime) + live ones (utime+stime)).</summary>
    private static (double Self, double Children, double Camera) Cpu()
    {
        double camera = 0;
        var self = StreamBenchKit.StatFields(File.ReadAllText("/proc/self/stat"));
        var me = Environment.ProcessId.ToString(CultureInfo.InvariantCulture);
        double kids = (StreamBenchKit.Ticks(self[13]) + StreamBenchKit.Ticks(self[14]));
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out _)) continue;
            try
            {
                var f = StreamBenchKit.StatFields(File.ReadAllText(Path.Combine(dir, "stat")));
                if (f[1] != me || Path.GetFileName(dir) == ServerPid.ToString(CultureInfo.InvariantCulture)) continue;
                var cmdline = File.ReadAllText(Path.Combine(dir, "cmdline"));
                if (cmdline.Contains("-progress", StringComparison.Ordinal)) continue; // the bare decode (--concurrent)
                var cpu = StreamBenchKit.Ticks(f[11]) + StreamBenchKit.Ticks(f[12]) + StreamBenchKit.Ticks(f[13]) + StreamBenchKit.Ticks(f[14]);
                kids += cpu;
                if (cmdline.Contains("rtsp_transport", StringComparison.Ordinal)) camera += cpu;
            }
            catch (IOException) { }
        }
        return (StreamBenchKit.Ticks(self[11]) + StreamBenchKit.Ticks(self[12]), kids, camera);
    }

    /// <summary>Bare ffmpeg's CPU seconds per minute of the stream.</summary>
    private static async Task<double> BareAsync(string url, int seconds)
    {
        var (cpu, wall, _) = await StreamBenchKit.BareDecodeAsync(url, seconds, 50, Settle, TimeSpan.FromSeconds(60));
        return cpu * 60 / wall;
    }

    private static async Task<(List<string> Ram, List<(string Name, List<double> Ms)> Times)> RendersAsync(string url, int n, bool legacy,
        int ramFrom, int ramTo)
    {
        var root = Path.Combine(Path.GetTempPath(), "lookback-costbench-" + Guid.NewGuid().ToString("N")[..8]);
        var me = Process.GetCurrentProcess();
        var app = LookbackHost.Build(Options(url, root, legacy), new HostSettings { RenderWorkers = 1 });
        await app.StartAsync();
        try
        {
            var cam = (Camera)app.Cameras.Find("cam")!;
            var render = app.Services.GetRequiredService<IRenderService>();
            var sw = Stopwatch.StartNew();
            Task<(double Span, long Rss, long Managed, long Ring)> BufferedAsync(double s) =>
                StreamBenchKit.BufferedAsync(cam, s, sw, TimeSpan.FromSeconds(120), TimeSpan.FromMilliseconds(250));
            using var allocations = new LargeAllocations();
            var early = await BufferedAsync(ramFrom);
            allocations.Start();
            var late = await BufferedAsync(ramTo);
            allocations.Stop();
            double PerMin(long a, long b) => (b - a) / (late.Span - early.Span) * 60 / 1e6;
            var ring = cam.Packets!;
            var gc = GC.GetGCMemoryInfo(GCKind.Any);
            var streamMb = ring.Bytes / ((ring.NewestTime!.Value - ring.OldestTime!.Value).TotalSeconds) * 60 / 1e6;
            var jpegMb = cam.Ring.Count > 0 ? $"{cam.Ring.Count} JPEG frames kept" : "no JPEG frames";
            Console.WriteLine($"allocations while the ring filled ({ramFrom} s → {ramTo} s buffered):");
            foreach (var line in allocations.Table(late.Span - early.Span)) Console.WriteLine(line);
            var ram = new List<string>
            {
                $"| stream itself per minute (ring bytes / buffered span) | {streamMb:0.00} MB |",
                $"| ring storage: packet bytes / slab bytes held ({ring.Slabs} slabs of {PacketSlabPool.Shared.SlabBytes / 1024} KiB; pool: {PacketSlabPool.Shared.Allocated} made, {PacketSlabPool.Shared.Reused} reused) | {ring.Bytes / 1e6:0.00} / {ring.SlabBytes / 1e6:0.00} MB |",
                $"| GC: heap size / fragmentation / committed (GC.GetGCMemoryInfo, after the full GC) | {gc.HeapSizeBytes / 1e6:0.0} / {gc.FragmentedBytes / 1e6:0.0} / {gc.TotalCommittedBytes / 1e6:0.0} MB; POH {gc.GenerationInfo[4].SizeAfterBytes / 1e6:0.0} MB, LOH {gc.GenerationInfo[3].SizeAfterBytes / 1e6:0.0} MB; {(System.Runtime.GCSettings.IsServerGC ? "server" : "workstation")} GC, latency mode {System.Runtime.GCSettings.LatencyMode} |",
                $"| per buffered camera-minute, {ramFrom} s → {ramTo} s: ring / managed heap after full GC / process RSS | {PerMin(early.Ring, late.Ring):0.00} / {PerMin(early.Managed, late.Managed):0.00} / {PerMin(early.Rss, late.Rss):0.00} MB (RSS {(PerMin(early.Rss, late.Rss) / streamMb - 1) * 100:+0;-0} % over the stream; {jpegMb}) |",
            };

            using var http = new HttpClient { BaseAddress = app.BaseAddress, Timeout = TimeSpan.FromSeconds(60) };
            var snap = new List<double>();
            for (var i = 0; i < Math.Max(20, n); i++)
            {
                var t0 = Stopwatch.StartNew();
                var bytes = await http.GetByteArrayAsync("/api/cameras/cam/snapshot.jpg");
                snap.Add(t0.Elapsed.TotalMilliseconds);
                if (bytes.Length < 1000) throw new InvalidOperationException("no snapshot");
            }
            var moment = new List<double>();
            var gif = new List<double>();
            var mp4 = new List<double>();
            string? desc = null, gifDesc = null;
            for (var i = 0; i < n; i++)
            {
                var t = Stopwatch.StartNew();
                var r = await render.SubmitAsync(new RenderRequest { Camera = "cam", Kind = RenderKind.Moment, Before = 10, After = 0 }, CancellationToken.None);
                moment.Add(t.Elapsed.TotalMilliseconds);
                if (!r.Ok) throw new InvalidOperationException(r.Error);
                desc ??= $"{r.Frames} frames {r.Width}x{r.Height}, source {r.Source}, lead {r.LeadMs} ms";
                t.Restart();
                var m = await render.SubmitAsync(new RenderRequest { Camera = "cam", Kind = RenderKind.Mp4, Seconds = 10 }, CancellationToken.None);
                mp4.Add(t.Elapsed.TotalMilliseconds);
                if (!m.Ok) throw new InvalidOperationException(m.Error);
                t.Restart();
                var g = await render.SubmitAsync(new RenderRequest { Camera = "cam", Kind = RenderKind.Gif, Seconds = 10, Fps = 4, Width = 480 }, CancellationToken.None);
                gif.Add(t.Elapsed.TotalMilliseconds);
                if (!g.Ok) throw new InvalidOperationException(g.Error);
                gifDesc ??= $"{g.Frames} frames {g.Width}x{g.Height}, source {g.Source}";
                await Task.Delay(250 + 97 * i);
            }
            Console.WriteLine("moment: " + desc);
            Console.WriteLine("gif: " + gifDesc);
            return (ram,
            [
                ("trigger → moment result (before 10, after 0, MP4 + its GIF)", moment),
                ("trigger → mp4?seconds=10 result (the MP4 alone)", mp4),
                (Preview ? "trigger → GIF result (10 s, 4 fps, 480 px, from the preview frames)" : "trigger → GIF result (10 s, 4 fps, 480 px, decoded from the packets)", gif),
                ("snapshot: HTTP GET snapshot.jpg → bytes", snap),
            ]);
        }
        finally
        {
            await app.StopAsync();
            await app.DisposeAsync();
            try { Directory.Delete(root, true); } catch (IOException) { }
        }
    }

    private static double Median(IEnumerable<double> values)
    {
        var v = values.Order().ToArray();
        return v.Length == 0 ? double.NaN : v.Length % 2 == 1 ? v[v.Length / 2] : (v[v.Length / 2 - 1] + v[v.Length / 2]) / 2;
    }

    private static double P(List<double> v, int p)
    {
        var s = v.Order().ToList();
        return s[Math.Clamp((int)Math.Ceiling(p / 100.0 * s.Count) - 1, 0, s.Count - 1)];
    }
}
