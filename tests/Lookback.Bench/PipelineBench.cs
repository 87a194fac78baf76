using System.Diagnostics;
using Lookback.Cameras;
using Lookback.Config;
using Lookback.Events;
using Lookback.Media.Rendering;
using Lookback.Sources;
using Lookback.Media.Storage;
using Microsoft.Extensions.Logging.Abstractions;

namespace Lookback.Bench;

/// <summary>
/// CPU per camera-minute of the real camera path: 768x576 MJPEG at 5 fps over loopback (server in a child process)
/// → MjpegSource → JPEG validation → ring; then the same plus motion analysis at 5 fps (scaled gray decode + detector).
/// `pipeline [--cameras N] [--seconds S]`
/// </summary>
[Bench("pipeline")]
public static class PipelineBench
{
    public static async Task RunAsync(string[] args)
    {
        if (args.Contains("--profile")) { Profile(); return; }
        if (args.Contains("--dump")) { Dump(); return; }
        var cameras = Arg(args, "--cameras", 8);
        var seconds = Arg(args, "--seconds", 20);
        using var server = SourcesBench.StartServerProcess(out var port);
        try
        {
            var me = Process.GetCurrentProcess();
            await MeasureAsync(port, cameras, 10, motion: true, quiet: true, me); // warm-up (JIT tiers, pools), not reported
            await Task.Delay(TimeSpan.FromSeconds(3)); // let background JIT and GC settle before the idle baseline
            var idle = await CpuOverAsync(me, TimeSpan.FromSeconds(8));
            var idlePerSecond = idle.cpu / idle.wall;
            Console.WriteLine("| path | cameras | frames/s per camera | CPU s per camera-minute | % of one core per camera |");
            Console.WriteLine("|---|---:|---:|---:|---:|");
            // A quiet scene is what a camera shows most of the day; the changing one keeps every camera in an event
            // (its GIFs are rendered by ffmpeg children, whose CPU is not counted here).
            foreach (var (motion, quiet) in new[] { (false, true), (true, true), (true, false) })
            {
                var (cpu, wall, fps, analysed) = await MeasureAsync(port, cameras, seconds, motion, quiet, me);
                var perMinute = (cpu - idlePerSecond * wall) / cameras / (wall / 60);
                var scene = quiet ? "quiet scene" : "changing scene";
                var name = motion ? $"HTTP → ring + motion, {scene} ({analysed:0.0} analysed/s)" : $"HTTP → ring, {scene}";
                Console.WriteLine($"| {name} | {cameras} | {fps:0.00} | {perMinute:0.000} | {perMinute / 60 * 100:0.00} |");
            }
        }
        finally
        {
            try { server.Kill(); } catch (InvalidOperationException) { }
            server.WaitForExit(5000);
        }
    }

    private static async Task<(double cpu, double wall, double fps, double analysedPerSecond)> MeasureAsync(
        int port, int count, int seconds, bool motion, bool quiet, Process me)
    {
        var storage = Directory.CreateTempSubdirectory("lookback-bench-").FullName;
        var bus = new EventBus();
        var http = SourceFactory.CreateHttpClient();
        var cams = new List<Camera>();
        var monitors = new List<MotionMonitor>();
        var media = new MediaStore(new StorageOptions { Path = storage }, new HttpOptions());
        await using var render = RenderQueue.Create(new Dir(cams), media, bus);
        for (var i = 0; i < count; i++)
        {
            var o = new CameraOptions
            {
                Slug = $"cam{i}", Url = $"http://127.0.0.1:{port}/mjpeg?fps=5&seed={i}&static={(quiet ? 1 : 0)}", Kind = CameraKind.Mjpeg, Interval = 0.2,
                Store = 300, Motion = new MotionOptions { Enabled = motion, Fps = 5 },
            };
            var cam = new Camera(o, SourceFactory.Create(o, http), bus, CameraRegistry.CheckFrame);
            cams.Add(cam);
            cam.Start();
            if (motion)
            {
                var rec = new MotionEventRecorder(o.Slug, null, media, render, bus, TimeProvider.System, NullLogger.Instance);
                var m = new MotionMonitor(cam, rec, TimeProvider.System, NullLogger.Instance);
                monitors.Add(m);
                m.Start();
            }
        }
        var sw = Stopwatch.StartNew();
        while (cams.Any(c => c.Ring.Count < 3) && sw.Elapsed < TimeSpan.FromSeconds(30)) await Task.Delay(20);
        var framesBefore = cams.Sum(c => c.FramesTotal);
        var analysedBefore = monitors.Sum(m => m.FramesAnalysed);
        var run = await CpuOverAsync(me, TimeSpan.FromSeconds(seconds));
        var fps = (cams.Sum(c => c.FramesTotal) - framesBefore) / run.wall / count;
        var analysed = (monitors.Sum(m => m.FramesAnalysed) - analysedBefore) / run.wall / Math.Max(1, count);
        foreach (var m in monitors) await m.DisposeAsync();
        foreach (var c in cams) await c.DisposeAsync();
        http.Dispose();
        try { Directory.Delete(storage, true); } catch (IOException) { }
        return (run.cpu, run.wall, fps, analysed);
    }

    /// <summary>Per-frame cost of the motion path on the bench camera's frames: scaled gray decode, then detect.</summary>
    private static void Profile()
    {
        var frames = Enumerable.Range(0, 8).Select(i => SourcesBench.MakeJpeg(768, 576, 7, 80, i)).ToArray();
        Console.WriteLine($"frame size {frames.Average(f => f.Length) / 1024:0} KB");
        Lookback.Imaging.GrayImage? gray = null;
        Lookback.Motion.MotionDetector? det = null;
        var dec = new List<double>();
        var dtc = new List<double>();
        for (var round = 0; round < 6; round++)
        {
            var decode = Stopwatch.StartNew();
            for (var i = 0; i < 400; i++) gray = Lookback.Imaging.Jpeg.DecodeGray(frames[i % 8], MotionMonitor.AnalysisMinHeight, gray);
            decode.Stop();
            det ??= new Lookback.Motion.MotionDetector(gray!.Width, gray.Height, new Lookback.Motion.MotionSettings());
            var detect = Stopwatch.StartNew();
            for (var i = 0; i < 400; i++) det.Process(gray!.Pixels, gray.Stride, i * 200);
            detect.Stop();
            Console.WriteLine($"gray {gray!.Width}x{gray.Height}: decode {decode.Elapsed.TotalMilliseconds / 400:0.000} ms, detect {detect.Elapsed.TotalMilliseconds / 400:0.000} ms per frame");
            if (round > 0) { dec.Add(decode.Elapsed.TotalMilliseconds / 400); dtc.Add(detect.Elapsed.TotalMilliseconds / 400); }
        }
        dec.Sort(); dtc.Sort();
        // the real path: every frame differs from the last (8 bench frames in turn), decode and detect interleaved
        var inter = new List<double>();
        for (var round = 0; round < 5; round++)
        {
            long dt = 0;
            for (var i = 0; i < 400; i++)
            {
                gray = Lookback.Imaging.Jpeg.DecodeGray(frames[i % 8], MotionMonitor.AnalysisMinHeight, gray);
                long t0 = Stopwatch.GetTimestamp();
                det!.Process(gray.Pixels, gray.Stride, i * 200);
                dt += Stopwatch.GetTimestamp() - t0;
            }
            inter.Add(dt * 1000.0 / Stopwatch.Frequency / 400);
        }
        inter.Sort();
        Console.WriteLine($"interleaved with decode, changing frames: detect min {inter[0]:0.000} median {inter[2]:0.000} ms");
        Console.WriteLine($"rounds 2..6: decode min {dec[0]:0.000} median {dec[dec.Count / 2]:0.000} ms, detect min {dtc[0]:0.000} median {dtc[dtc.Count / 2]:0.000} ms");
        // where the detector's time goes on these frames (each frame is a different scene: the recalibration path)
        var names = Lookback.Motion.MotionDetector.StageNames;
        var ticks = new long[names.Length];
        Lookback.Motion.MotionDetector.StageTicks = ticks;
        int recal = 0;
        for (var i = 0; i < 400; i++)
        {
            gray = Lookback.Imaging.Jpeg.DecodeGray(frames[i % 8], MotionMonitor.AnalysisMinHeight, gray);
            if (det!.Process(gray.Pixels, gray.Stride, i * 200).Recalibrated) recal++;
        }
        Lookback.Motion.MotionDetector.StageTicks = null;
        Console.WriteLine($"detector stages ({recal} of 400 frames recalibrated): " +
            string.Join(", ", names.Select((n, k) => $"{n} {ticks[k] * 1e6 / Stopwatch.Frequency / 400:0.0}").Where(s => !s.EndsWith(" 0.0"))) + " µs");
    }

    /// <summary>Every detector result on the bench frames and the drawn scenes, one line per frame (to diff two builds).</summary>
    private static void Dump()
    {
        var frames = Enumerable.Range(0, 8).Select(i => SourcesBench.MakeJpeg(768, 576, 7, 80, i)).ToArray();
        Lookback.Imaging.GrayImage? gray = null;
        Lookback.Motion.MotionDetector? det = null;
        static string Line(Lookback.Motion.MotionFrameResult r) =>
            $"{r.Motion} {r.Score:R} {r.Recalibrated} {r.WarmingUp} {r.GlobalGain:R} {r.GlobalOffset:R} {r.RawChangedPercent:R} {r.SceneChangedPercent:R} " +
            string.Join(";", r.Boxes.Select(b => $"{b.X},{b.Y},{b.Width},{b.Height},{b.Area}")) + " " + string.Join(";", r.Zones);
        var rnd = new Random(3);
        for (var i = 0; i < 3000; i++)
        {
            // the bench frames, now and then a repeat or a slightly shifted pair, so that every path runs
            var f = frames[rnd.Next(10) < 3 ? 0 : i % 8];
            gray = Lookback.Imaging.Jpeg.DecodeGray(f, MotionMonitor.AnalysisMinHeight, gray);
            det ??= new Lookback.Motion.MotionDetector(gray.Width, gray.Height, new Lookback.Motion.MotionSettings
            {
                Zones = new Dictionary<string, Polygon> { ["left"] = Lookback.Tests.Motion.MotionScenes.Rect(0, 0, 0.4, 1) },
                Mask = [Lookback.Tests.Motion.MotionScenes.Rect(0.9, 0, 1, 0.1)],
            });
            Console.WriteLine($"bench {i} {Line(det.Process(gray.Pixels, gray.Stride, i * 200))}");
        }
        foreach (var (w, h) in new[] { (192, 144), (320, 180), (243, 137) })
            foreach (var s in Lookback.Tests.Motion.MotionScenes.All(w, h))
                foreach (var seed in new[] { 1, 2 })
                {
                    var (events, results) = Lookback.Tests.Motion.MotionScenes.Run(s, w, h, seed);
                    Console.WriteLine($"scene {w}x{h} {s.Name} {seed} events {events}");
                    for (var i = 0; i < results.Count; i++) Console.WriteLine($"  {i} {Line(results[i])}");
                }
    }

    private sealed class Dir(List<Camera> cams) : ICameraDirectory
    {
        public IReadOnlyList<ICamera> All => cams;
        public ICamera? Find(string slug) => cams.FirstOrDefault(c => c.Slug == slug);
    }

    internal static async Task<(double cpu, double wall)> CpuOverAsync(Process me, TimeSpan span)
    {
        me.Refresh();
        var cpu0 = me.TotalProcessorTime;
        var sw = Stopwatch.StartNew();
        await Task.Delay(span); // the measurement window
        me.Refresh();
        return ((me.TotalProcessorTime - cpu0).TotalSeconds, sw.Elapsed.TotalSeconds);
    }

    internal static int Arg(string[] args, string name, int dflt) =>
        Array.IndexOf(args, name) is var i and >= 0 && i + 1 < args.Length && int.TryParse(args[i + 1], out var v) ? v : dflt;
}
