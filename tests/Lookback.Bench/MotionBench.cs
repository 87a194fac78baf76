using System.Diagnostics;
using Lookback.Config;
using Lookback.Motion;
using Lookback.Tests.Motion;

namespace Lookback.Bench;

/// <summary>Motion detector: µs per analysis frame, allocations per frame, events per drawn scene.</summary>
[Bench("motion")]
public static class MotionBench
{
    public static Task RunAsync(string[] args)
    {
        if (args.Contains("--stages"))
        {
            foreach (var (w, h) in new[] { (192, 144), (320, 180), (640, 360) }) Stages(w, h, 2000);
            return Task.CompletedTask;
        }
        Console.WriteLine("| size | frames | median µs | p95 µs | mean µs | alloc B/frame | motion frames |");
        Console.WriteLine("|---|---|---|---|---|---|---|");
        foreach (var (w, h) in new[] { (160, 90), (320, 180), (480, 270), (640, 360) }) Speed(w, h, 1000);
        Console.WriteLine();
        Console.WriteLine("| scene (320x180, 5 fps) | events | expected |");
        Console.WriteLine("|---|---|---|");
        foreach (var s in MotionScenes.All(320, 180))
        {
            var (events, _) = MotionScenes.Run(s, 320, 180, seed: 1);
            Console.WriteLine($"| {s.Name} | {events} | {s.ExpectedEvents}{(events == s.ExpectedEvents ? "" : "  **MISMATCH**")} |");
        }
        return Task.CompletedTask;
    }

    static void Speed(int w, int h, int frames)
    {
        var (det, rendered) = Setup(w, h);
        var times = new double[frames];
        int motion = 0;
        long alloc = 0;
        for (int i = 0; i < frames; i++)
        {
            var buf = rendered[(i + 200) % rendered.Length];
            long a0 = GC.GetAllocatedBytesForCurrentThread();
            long t0 = Stopwatch.GetTimestamp();
            var r = det.Process(buf, w, (i + 200) * 200L);
            long t1 = Stopwatch.GetTimestamp();
            alloc += GC.GetAllocatedBytesForCurrentThread() - a0;
            times[i] = (t1 - t0) * 1e6 / Stopwatch.Frequency;
            if (r.Motion) motion++;
        }
        Array.Sort(times);
        Console.WriteLine($"| {w}x{h} | {frames} | {times[frames / 2]:F1} | {times[frames * 95 / 100]:F1} | {times.Average():F1} | {(double)alloc / frames:F1} | {motion} |");
    }

    /// <summary>Per-stage µs per frame (the detector's Stopwatch hook), min and median over rounds of 100 frames.</summary>
    static void Stages(int w, int h, int frames)
    {
        var (det, rendered) = Setup(w, h);
        const int per = 100;
        int rounds = frames / per;
        var names = MotionDetector.StageNames;
        var t = new double[names.Length + 1, rounds];
        for (int r = 0; r < rounds; r++)
        {
            var ticks = new long[names.Length];
            MotionDetector.StageTicks = ticks;
            long t0 = Stopwatch.GetTimestamp();
            for (int i = 0; i < per; i++) det.Process(rendered[(r * per + i) % rendered.Length], w, (r * per + i) * 200L);
            long total = Stopwatch.GetTimestamp() - t0;
            MotionDetector.StageTicks = null;
            for (int k = 0; k < names.Length; k++) t[k, r] = ticks[k] * 1e6 / Stopwatch.Frequency / per;
            t[names.Length, r] = total * 1e6 / Stopwatch.Frequency / per;
        }
        Console.WriteLine($"| {w}x{h} stage | min µs | median µs |");
        Console.WriteLine("|---|---:|---:|");
        for (int k = 0; k <= names.Length; k++)
        {
            var v = Enumerable.Range(0, rounds).Select(r => t[k, r]).Order().ToArray();
            Console.WriteLine($"| {(k < names.Length ? names[k] : "**total**")} | {v[0]:F1} | {v[rounds / 2]:F1} |");
        }
        Console.WriteLine();
    }

    static (MotionDetector det, byte[][] rendered) Setup(int w, int h)
    {
        // a moving scene: walkers crossing back and forth every 6 s, a zone and a mask, pre-rendered
        const int cycle = 60;
        var scene = new SyntheticScene(w, h, 7);
        var f = new SceneFrame();
        var rendered = new byte[cycle * 2][];
        for (int i = 0; i < rendered.Length; i++)
        {
            f.Clear();
            if (i % cycle < 40)
            {
                var o = MotionScenes.Walker(i % cycle, 0, 40, w, h);
                f.Objects.Add(i < cycle ? (o.X, o.Y, o.W, o.H, (byte)220) : (w - o.X - o.W, o.Y, o.W, o.H, (byte)30));
            }
            rendered[i] = new byte[w * h];
            scene.Render(f, rendered[i], w);
        }
        var settings = new MotionSettings
        {
            Zones = new Dictionary<string, Polygon> { ["door"] = MotionScenes.Rect(0, 0, 0.4, 1) },
            Mask = [MotionScenes.Rect(0.9, 0, 1, 0.1)],
        };
        var det = new MotionDetector(w, h, settings);
        // warm up until tiered JIT has promoted the kernels (background compilation needs a moment)
        for (int round = 0; round < 5; round++)
        {
            for (int i = 0; i < 200; i++) det.Process(rendered[i % rendered.Length], w, i * 200L);
            Thread.Sleep(50);
        }
        return (det, rendered);
    }
}
