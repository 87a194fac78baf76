using Lookback.Tests.Motion;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using Lookback.Cameras;
using Lookback.Config;
using Lookback.Events;
using Lookback.Imaging;
using Lookback.Motion;
using Lookback.Media.Rendering;
using Lookback.Sources;
using Lookback.Media.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Lookback.Bench;

/// <summary>
/// The practice scenes of <c>../shared/motion-bench</c> (real PETS pedestrians over distractors, with ground truth)
/// played through the real path: each scene is an MJPEG camera served over loopback at 5 fps by a child process
/// (frames paced like a camera's, stamped on arrival like every MJPEG frame) → MjpegSource → ring → MotionMonitor
/// (scaled gray decode, detector, event tracker) → MotionEventRecorder → MotionChanged on the bus. The ON/OFF times
/// are written in the scorer's point format and scored by <c>score_motion.py</c>; then CPU-s per camera-minute.
/// <para>`motionbench [--data DIR] [--only s1_basic,...] [--offline] [--stages]`. Build the scenes first, outside
/// the repository: <c>bash ../shared/motion-bench/build.sh /work/motion-data --no-mp4</c>.
/// <c>--offline</c> feeds the frame files straight into the detector + tracker (no HTTP, no clock: seconds, not
/// minutes) with the same scoring; <c>--stages</c> adds the per-stage cost (decode, model, labelling).</para>
/// </summary>
[Bench("motionbench")]
public static class MotionSceneBench
{
    const double Fps = 5;
    static bool Trace;
    static int MinHeight = MotionMonitor.AnalysisMinHeight;
    static double? MinArea;
    static int? Shake, Confirm, SmallFrames, Coherent;
    static double? DarkExp, CoherentMin, QuietAfter, QuietInterval;
    static double? SmallArea;
    static bool WithRender, NoMotion;
    static readonly string BenchDir = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "../../../../../../shared/motion-bench"));

    public static async Task RunAsync(string[] args)
    {
        var data = Opt(args, "--data") ?? "/work/motion-data";
        if (args.Contains("--serve")) { await ServeAsync(data); return; }
        var only = Opt(args, "--only")?.Split(',');
        var scenes = Directory.Exists(data)
            ? Directory.GetDirectories(data).Where(d => File.Exists(Path.Combine(d, "scene.json")))
                .Where(d => only is null || only.Contains(Path.GetFileName(d))).Order().ToArray()
            : [];
        if (scenes.Length == 0)
        {
            Console.WriteLine($"no scenes under {data}: bash {BenchDir}/build.sh {data} --no-mp4");
            return;
        }
        var scorer = Opt(args, "--scorer") ?? Path.Combine(FindBenchDir(), "score_motion.py");
        var outDir = Directory.CreateTempSubdirectory("lookback-motionbench-").FullName;
        Console.WriteLine($"scenes: {data}; events: {outDir}");
        var pairs = new List<string>();
        Trace = args.Contains("--trace");
        WithRender = args.Contains("--render");
        NoMotion = args.Contains("--no-motion"); // live: the ring alone (what receiving costs without motion)
        // experiments (offline only): analysis size and min_area other than the defaults
        if (Opt(args, "--min-height") is { } mh) MinHeight = int.Parse(mh, CultureInfo.InvariantCulture);
        if (Opt(args, "--min-area") is { } mar) MinArea = double.Parse(mar, CultureInfo.InvariantCulture);
        if (Opt(args, "--shake") is { } sh) Shake = int.Parse(sh, CultureInfo.InvariantCulture);
        if (Opt(args, "--confirm") is { } cf) Confirm = int.Parse(cf, CultureInfo.InvariantCulture);
        if (Opt(args, "--small-frames") is { } sf) SmallFrames = int.Parse(sf, CultureInfo.InvariantCulture);
        if (Opt(args, "--quiet-after") is { } qa) QuietAfter = double.Parse(qa, CultureInfo.InvariantCulture);
        if (Opt(args, "--quiet-interval") is { } qi) QuietInterval = double.Parse(qi, CultureInfo.InvariantCulture);
        if (Opt(args, "--dark-exp") is { } de) DarkExp = double.Parse(de, CultureInfo.InvariantCulture);
        if (Opt(args, "--coherent-min") is { } cm) CoherentMin = double.Parse(cm, CultureInfo.InvariantCulture);
        if (Opt(args, "--coherent") is { } co) Coherent = int.Parse(co, CultureInfo.InvariantCulture);
        if (Opt(args, "--small-area") is { } sa) SmallArea = double.Parse(sa, CultureInfo.InvariantCulture);
        if (args.Contains("--cost"))
        {
            Cost(scenes, int.Parse(Opt(args, "--repeat") ?? "3", CultureInfo.InvariantCulture));
            return;
        }
        if (args.Contains("--offline"))
        {
            var stages = args.Contains("--stages");
            foreach (var s in scenes)
            {
                var ev = Path.Combine(outDir, Path.GetFileName(s) + ".jsonl");
                Offline(s, ev, stages);
                pairs.Add(Path.Combine(s, "scene.json")); pairs.Add(ev);
            }
            Score(scorer, pairs, "--end-offset", "0");
        }
        else
        {
            var cpu = await LiveAsync(scenes, outDir);
            foreach (var s in scenes) { pairs.Add(Path.Combine(s, "scene.json")); pairs.Add(Path.Combine(outDir, Path.GetFileName(s) + ".jsonl")); }
            Score(scorer, pairs, "--end-offset", new MotionOptions().OffDelay.ToString(CultureInfo.InvariantCulture));
            Console.WriteLine();
            Console.WriteLine(cpu);
        }
    }

    static string FindBenchDir()
    {
        foreach (var d in new[] { BenchDir, "/work/shared/motion-bench" })
            if (File.Exists(Path.Combine(d, "score_motion.py"))) return d;
        return BenchDir;
    }

    /// <summary>The mask a user would draw: the scene's ignore regions (foliage), normalised.</summary>
    static MotionOptions OptionsFor(string sceneDir)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(sceneDir, "scene.json")));
        var root = doc.RootElement;
        double w = root.GetProperty("width").GetDouble(), h = root.GetProperty("height").GetDouble();
        var mask = new List<Polygon>();
        if (root.TryGetProperty("ignore_regions", out var ig))
            foreach (var r in ig.EnumerateArray())
            {
                var a = r.GetProperty("rect").EnumerateArray().Select(e => e.GetDouble()).ToArray();
                mask.Add(MotionScenes.Rect(a[0] / w, a[1] / h, (a[0] + a[2]) / w, (a[1] + a[3]) / h));
            }
        return new MotionOptions { Mask = mask };
    }

    static string[] Frames(string sceneDir) => Directory.GetFiles(Path.Combine(sceneDir, "frames"), "*.jpg").Order(StringComparer.Ordinal).ToArray();

    // ------------------------------------------------------------------ offline: frame files → detector → tracker
    static void Offline(string sceneDir, string eventsPath, bool stages)
    {
        var opts = OptionsFor(sceneDir);
        if (MinArea is { } ma) opts = opts with { MinArea = ma };
        var tracker = new MotionEventTracker("bench", MotionTrackerSettings.FromOptions(opts));
        var settings = MotionSettings.FromOptions(opts);
        if (Shake is { } sh) settings = settings with { ShakeRadius = sh };
        if (Confirm is { } cf) settings = settings with { ConfirmFrames = cf };
        if (SmallFrames is { } sf) settings = settings with { SmallConfirmFrames = sf };
        if (SmallArea is { } sa) settings = settings with { SmallAreaFraction = sa };
        if (Coherent is { } co) settings = settings with { CoherentConfirmFrames = co };
        if (DarkExp is { } de) settings = settings with { DarkExponent = de };
        if (CoherentMin is { } cm) settings = settings with { CoherentMinBlobPercent = cm };
        var analyser = new MotionAnalyser(settings)
        {
            QuietAfter = TimeSpan.FromSeconds(QuietAfter ?? 1),
            QuietInterval = TimeSpan.FromSeconds(QuietInterval ?? 0.55),
        };
        var jpegs = new JpegMotionAnalyser(analyser, MinHeight);
        var t0 = DateTimeOffset.FromUnixTimeSeconds(1_700_000_000);
        var lines = new StringBuilder();
        GrayImage? gray = null;
        var files = Frames(sceneDir);
        long decodeTicks = 0;
        var ticks = new long[MotionDetector.StageNames.Length];
        if (stages) MotionDetector.StageTicks = ticks;
        int analysed = 0;
        void Emit(IReadOnlyList<MotionEventNotice> ns)
        {
            foreach (var n in ns)
                if (n is MotionEventStarted) lines.Append(CultureInfo.InvariantCulture, $"{{\"start\": {(n.Event.Start - t0).TotalSeconds:0.###}, ");
                else if (n is MotionEventEnded) lines.Append(CultureInfo.InvariantCulture, $"\"end\": {(n.Event.End - t0).TotalSeconds + 1 / Fps:0.###}}}\n");
        }
        for (int i = 0; i < files.Length; i++)
        {
            var at = t0 + TimeSpan.FromSeconds(i / Fps);
            Emit(tracker.Tick(at));
            var jpeg = File.ReadAllBytes(files[i]);
            long d0 = Stopwatch.GetTimestamp();
            long det0 = ticks.Sum();
            var r = jpegs.Offer(jpeg, at);
            if (r is null)
            {
                if (analyser.SkippedInMotion && tracker.Active && analyser.Last is { } held) Emit(tracker.Update(held, at)); // as MotionMonitor
                continue;
            }
            gray = jpegs.Gray;
            decodeTicks += Stopwatch.GetTimestamp() - d0 - (ticks.Sum() - det0);
            analysed++;
            if (Trace) Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  {i / Fps,6:0.0} m={(r.Motion ? 1 : 0)} score={r.Score:0.000} raw={r.RawChangedPercent:0.00} scene={r.SceneChangedPercent:0.0} gain={r.GlobalGain:0.000} off={r.GlobalOffset:0.0} thr={r.EffectiveThreshold} noise={r.Noise:0.0} coh={r.CoherentFrames}/{r.CoherentBlob} recal={(r.Recalibrated ? 1 : 0)} warm={(r.WarmingUp ? 1 : 0)} boxes={string.Join(";", r.Boxes.Take(3).Select(b => $"{b.X},{b.Y},{b.Width}x{b.Height}:{b.Area}"))}"));
            Emit(tracker.Update(r, at));
        }
        Emit(tracker.Tick(t0 + TimeSpan.FromSeconds(files.Length / Fps + 3600)));
        MotionDetector.StageTicks = null;
        File.WriteAllText(eventsPath, lines.ToString());
        Console.WriteLine($"{Path.GetFileName(sceneDir)}: {files.Length} frames, {analysed} analysed at {gray?.Width}x{gray?.Height}, {jpegs.LookBacks} look-backs");
        if (stages)
        {
            double us(long t) => t * 1e6 / Stopwatch.Frequency / Math.Max(1, analysed);
            var names = MotionDetector.StageNames;
            double Sum(params string[] n) => n.Sum(x => us(ticks[Array.IndexOf(names, x)]));
            Console.WriteLine($"  µs per analysed frame: decode {us(decodeTicks):0}, model {Sum("blur", "brightness fit", "apply gain", "bg→bytes", "min/max + difference", "scene change", "flicker", "bg update", "start over"):0}, " +
                $"labelling {Sum("opening", "label", "boxes/zones"):0}  ({string.Join(", ", names.Select((n, k) => $"{n} {us(ticks[k]):0.0}"))})");
        }
    }

    // ------------------------------------------------------------------ cost: process CPU time of isolated passes
    /// <summary>Per-stage cost as process CPU time (not wall time: the machine is shared): every frame of every scene
    /// decoded (pass 1), then the detector over the decoded frames (pass 2), each repeated and the least taken; the
    /// split of pass 2 into model and labelling follows the stage stopwatches of the fastest run.</summary>
    static void Cost(string[] scenes, int repeat)
    {
        var jpegs = scenes.SelectMany(s => Frames(s).Select(File.ReadAllBytes)).ToArray();
        var me = Process.GetCurrentProcess();
        double Cpu() { me.Refresh(); return me.TotalProcessorTime.TotalSeconds; }
        double bytes = jpegs.Average(j => j.Length);
        Console.WriteLine($"{jpegs.Length} frames of {scenes.Length} scenes, {bytes / 1000:0} KB average; CPU µs per frame, least of {repeat} runs (process CPU time)");
        Console.WriteLine("| analysis size | decode | model | labelling | detector total | decode + detector |");
        Console.WriteLine("|---|---:|---:|---:|---:|---:|");
        foreach (var minHeight in new[] { 120, 240 }) // 192x144 (before issue 14) and 384x288 for a 768x576 camera
        {
            GrayImage? g = null;
            double dec = double.MaxValue, det = double.MaxValue;
            var grays = new List<byte[]>();
            int w = 0, h = 0;
            var bestTicks = new long[MotionDetector.StageNames.Length];
            for (int k = 0; k < repeat; k++)
            {
                double c0 = Cpu();
                foreach (var j in jpegs) g = Jpeg.DecodeGray(j, minHeight, g);
                dec = Math.Min(dec, (Cpu() - c0) / jpegs.Length);
            }
            foreach (var j in jpegs) { g = Jpeg.DecodeGray(j, minHeight, g); w = g.Width; h = g.Height; grays.Add(g.Pixels.AsSpan(0, g.Stride * h).ToArray()); }
            int stride = g!.Stride;
            for (int k = 0; k < repeat; k++)
            {
                var ticks = new long[MotionDetector.StageNames.Length];
                MotionDetector.StageTicks = ticks;
                var d = new MotionDetector(w, h, new MotionSettings());
                double c0 = Cpu();
                for (int i = 0; i < grays.Count; i++) d.Process(grays[i], stride, i * 200L);
                double c = (Cpu() - c0) / grays.Count;
                if (c < det) { det = c; bestTicks = ticks; }
            }
            MotionDetector.StageTicks = null;
            var names = MotionDetector.StageNames;
            double Part(params string[] n) => n.Sum(x => (double)bestTicks[Array.IndexOf(names, x)]);
            double all = bestTicks.Sum(), lab = Part("opening", "label", "boxes/zones") / Math.Max(1, all);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {w}x{h} | {dec * 1e6:0} | {det * (1 - lab) * 1e6:0} | {det * lab * 1e6:0} | {det * 1e6:0} | {(dec + det) * 1e6:0} |"));
        }
    }

    // ------------------------------------------------------------------ live: MJPEG over loopback → the real monitor
    static async Task<string> LiveAsync(string[] scenes, string outDir)
    {
        using var server = StartServer(scenes, out var port, out var t0Lines);
        var storage = Directory.CreateTempSubdirectory("lookback-motionbench-media-").FullName;
        var bus = new EventBus();
        var lines = scenes.ToDictionary(s => Path.GetFileName(s), _ => new List<string>());
        using var sub = bus.Subscribe<MotionChanged>(m =>
        {
            lock (lines)
                lines[m.Camera].Add(string.Create(CultureInfo.InvariantCulture,
                    $"{{\"ts\": {m.At.ToUnixTimeMilliseconds() / 1000.0:0.000}, \"type\": \"{(m.Active ? "start" : "end")}\"}}"));
        });
        var http = SourceFactory.CreateHttpClient();
        var cams = new List<Camera>();
        var monitors = new List<MotionMonitor>();
        var media = new MediaStore(new StorageOptions { Path = storage }, new HttpOptions());
        var me = Process.GetCurrentProcess();
        var idle = await PipelineBench.CpuOverAsync(me, TimeSpan.FromSeconds(3));
        // the event GIFs are rendered in this process too; their cost is not motion's (--render counts it)
        await using var queue = RenderQueue.Create(new Dir(cams), media, bus);
        IRenderService render = WithRender ? queue : new NoRender();
        {
            me.Refresh();
            var cpu0 = me.TotalProcessorTime;
            var sw = Stopwatch.StartNew();
            foreach (var s in scenes)
            {
                var name = Path.GetFileName(s);
                var o = new CameraOptions
                {
                    Slug = name, Url = $"http://127.0.0.1:{port}/{name}", Kind = CameraKind.Mjpeg, Interval = 0,
                    Store = 120, Motion = OptionsFor(s),
                };
                var cam = new Camera(o, SourceFactory.Create(o, http), bus, CameraRegistry.CheckFrame);
                cams.Add(cam);
                cam.Start();
                var rec = new MotionEventRecorder(name, null, media, render, bus, TimeProvider.System, NullLogger.Instance);
                var m = new MotionMonitor(cam, rec, TimeProvider.System, NullLogger.Instance);
                monitors.Add(m);
                if (!NoMotion) m.Start();
            }
            // every scene plays once; the server says when it sent each scene's first and last frame
            var t0 = new Dictionary<string, double>();
            var done = new HashSet<string>();
            while (done.Count < scenes.Length && sw.Elapsed < TimeSpan.FromMinutes(5))
            {
                var line = await t0Lines.ReadLineAsync().WaitAsync(TimeSpan.FromMinutes(3)) ?? throw new InvalidOperationException("scene server ended");
                var p = line.Split(' ');
                if (p[0] == "t0") t0[p[1]] = double.Parse(p[2], CultureInfo.InvariantCulture);
                else if (p[0] == "done") done.Add(p[1]);
            }
            // let the last events end (off_delay), then stop
            var off = new MotionOptions().OffDelay;
            await Task.Delay(TimeSpan.FromSeconds(off + 1.5));
            var wall = sw.Elapsed.TotalSeconds;
            me.Refresh();
            var cpu = (me.TotalProcessorTime - cpu0).TotalSeconds - idle.cpu / idle.wall * wall;
            long analysed = monitors.Sum(m => m.FramesAnalysed), frames = cams.Sum(c => c.FramesTotal);
            foreach (var m in monitors) await m.DisposeAsync();
            foreach (var m in monitors) await m.Recorder.Pending.WaitAsync(TimeSpan.FromSeconds(30));
            foreach (var c in cams) await c.DisposeAsync();
            http.Dispose();
            lock (lines)
                foreach (var (name, ls) in lines)
                {
                    // the scorer wants scene seconds: shift epochs by the time frame 0 was sent
                    var rel = ls.Select(l =>
                    {
                        using var d = JsonDocument.Parse(l);
                        var ts = d.RootElement.GetProperty("ts").GetDouble() - t0[name];
                        return string.Create(CultureInfo.InvariantCulture, $"{{\"ts\": {1_000_000_000 + ts:0.000}, \"type\": \"{d.RootElement.GetProperty("type").GetString()}\"}}");
                    });
                    File.WriteAllLines(Path.Combine(outDir, name + ".jsonl"), rel);
                }
            try { Directory.Delete(storage, true); } catch (IOException) { }
            var minutes = scenes.Length * (wall / 60);
            return $"| live run | cameras | wall s | frames received | frames analysed | CPU s per camera-minute (idle subtracted) |\n" +
                   $"|---|---:|---:|---:|---:|---:|\n" +
                   $"| 768x576 MJPEG 5 fps → ring{(NoMotion ? " only" : " + motion")}{(WithRender ? " + event GIFs" : "")} | {scenes.Length} | {wall:0} | {frames} | {analysed} ({100.0 * analysed / Math.Max(1, frames):0} %) | {cpu / minutes:0.000} |\n" +
                   "(CPU of this process only, the scene server is a child process; the machine is shared, so the figure is pessimistic)";
        }
    }

    static void Score(string scorer, List<string> pairs, params string[] extra)
    {
        var psi = new ProcessStartInfo("/usr/bin/python3") { UseShellExecute = false, RedirectStandardOutput = true };
        psi.ArgumentList.Add(scorer);
        foreach (var p in pairs) psi.ArgumentList.Add(p);
        if (pairs[1].Length > 0 && File.ReadLines(pairs[1]).FirstOrDefault()?.Contains("\"ts\"") == true) { psi.ArgumentList.Add("--t0"); psi.ArgumentList.Add("1000000000"); }
        foreach (var e in extra) psi.ArgumentList.Add(e);
        using var p2 = Process.Start(psi)!;
        Console.Write(p2.StandardOutput.ReadToEnd());
        p2.WaitForExit();
    }

    // ------------------------------------------------------------------ child process: the scene cameras
    static Process StartServer(string[] scenes, out int port, out StreamReader lines)
    {
        var exe = Environment.ProcessPath!;
        var psi = new ProcessStartInfo(exe) { RedirectStandardOutput = true, RedirectStandardInput = true, UseShellExecute = false };
        if (Path.GetFileNameWithoutExtension(exe) == "dotnet") psi.ArgumentList.Add(typeof(MotionSceneBench).Assembly.Location);
        psi.ArgumentList.Add("motionbench");
        psi.ArgumentList.Add("--serve");
        psi.ArgumentList.Add("--data");
        psi.ArgumentList.Add(Path.GetDirectoryName(scenes[0])!);
        var p = Process.Start(psi)!;
        while (true)
        {
            var line = p.StandardOutput.ReadLine() ?? throw new InvalidOperationException("scene server ended");
            if (line.StartsWith("listening ")) { port = int.Parse(line["listening ".Length..]); lines = p.StandardOutput; return p; }
        }
    }

    /// <summary>Serves every scene under <paramref name="data"/> at /NAME as MJPEG at 5 fps, once, from the first
    /// request; prints "t0 NAME EPOCH" when frame 0 goes out and "done NAME" after the last.</summary>
    static async Task ServeAsync(string data)
    {
        var scenes = Directory.GetDirectories(data).Where(d => File.Exists(Path.Combine(d, "scene.json")))
            .ToDictionary(d => Path.GetFileName(d), d => Frames(d).Select(File.ReadAllBytes).ToArray());
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(o => o.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        var started = new HashSet<string>();
        app.Run(async ctx =>
        {
            var name = ctx.Request.Path.Value!.Trim('/');
            if (!scenes.TryGetValue(name, out var frames)) { ctx.Response.StatusCode = 404; return; }
            lock (started) if (!started.Add(name)) { ctx.Response.StatusCode = 410; return; } // plays once
            ctx.Response.ContentType = "multipart/x-mixed-replace; boundary=lookbackframe";
            // a camera's pacing: frame i leaves at t0 + i/fps (no drift), whatever the writes cost
            var sw = Stopwatch.StartNew();
            try
            {
                for (var i = 0; i < frames.Length; i++)
                {
                    var due = TimeSpan.FromSeconds(i / Fps) - sw.Elapsed;
                    if (due > TimeSpan.Zero) await Task.Delay(due, ctx.RequestAborted);
                    if (i == 0) Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"t0 {name} {DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0:0.000}"));
                    var jpeg = frames[i];
                    await ctx.Response.Body.WriteAsync(Encoding.ASCII.GetBytes($"--lookbackframe\r\nContent-Type: image/jpeg\r\nContent-Length: {jpeg.Length}\r\n\r\n"), ctx.RequestAborted);
                    await ctx.Response.Body.WriteAsync(jpeg, ctx.RequestAborted);
                    await ctx.Response.Body.WriteAsync("\r\n"u8.ToArray(), ctx.RequestAborted);
                    await ctx.Response.Body.FlushAsync(ctx.RequestAborted);
                }
                Console.WriteLine($"done {name}");
                // keep the connection open without frames (a camera that froze), so the client does not reconnect
                await Task.Delay(Timeout.Infinite, ctx.RequestAborted);
            }
            catch (OperationCanceledException) { }
        });
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        Console.WriteLine($"listening {new Uri(address).Port}");
        await Console.In.ReadToEndAsync();
        await app.StopAsync();
    }

    static string? Opt(string[] args, string name) => Array.IndexOf(args, name) is var i and >= 0 && i + 1 < args.Length ? args[i + 1] : null;

    private sealed class NoRender : IRenderService
    {
        public Task<RenderResult> SubmitAsync(RenderRequest request, CancellationToken ct) =>
            Task.FromResult(RenderResult.Failed(request, "not rendered (motionbench without --render)"));
        public int Queued => 0;
    }

    private sealed class Dir(List<Camera> cams) : ICameraDirectory
    {
        public IReadOnlyList<ICamera> All => cams;
        public ICamera? Find(string slug) => cams.FirstOrDefault(c => c.Slug == slug);
    }
}
