using System.Diagnostics;
using System.Runtime;
using Lookback.Buffer;

namespace Lookback.Bench;

/// <summary>Ring insert and window cost; memory for 16 cameras x 60 s of 1080p JPEGs against the bytes held.</summary>
[Bench("ring")]
public static class RingBench
{
    public static Task RunAsync(string[] args)
    {
        // --managed: frame buffers in managed arrays only (the fallback, and how it was before page mappings).
        if (args.Contains("--managed")) FramePool.NativeBuffersEnabled = false;
        var native = FramePool.NativeBuffersEnabled && FramePool.NativeBuffersSupported;
        var options = new FramePoolOptions { Prefault = !args.Contains("--no-prefault") };
        Console.WriteLine($"frame buffers: {(native ? $"page mappings for >= 64 KB (mmap, prefault {options.Prefault}), managed below" : "managed arrays")}");
        var src = new byte[512 * 1024];
        new Random(1).NextBytes(src);
        var t0 = DateTimeOffset.UnixEpoch;

        // Insert: a 60 s ring at 5 fps (300 frames) in steady state, so every insert also evicts one frame.
        foreach (var size in new[] { 1024, 64 * 1024, 300 * 1024 })
        {
            var pool = new FramePool(options);
            using var ring = new FrameRing(new RingLimits(int.MaxValue, TimeSpan.FromSeconds(60), long.MaxValue), pool);
            var i = 0;
            for (; i < 600; i++) ring.Append(src.AsSpan(0, size), t0.AddMilliseconds(i * 200));
            var n = size > 100_000 ? 20_000 : 200_000;
            var sw = Stopwatch.StartNew();
            for (var k = 0; k < n; k++, i++) ring.Append(src.AsSpan(0, size), t0.AddMilliseconds(i * 200));
            var ns = sw.Elapsed.TotalNanoseconds / n;
            var s = pool.GetStats();
            Console.WriteLine($"insert {size / 1024,4} KB frame (evicting, 300 frames held): {ns,9:F0} ns/op  (copy included; pool hits {100.0 * s.Hits / Math.Max(1, s.Rents - s.Unpooled):F0}%)");
        }

        // Window: 10 s out of 60 s at 5 fps = 50 of 300 frames, then dispose.
        {
            using var ring = new FrameRing(new RingLimits(int.MaxValue, TimeSpan.FromSeconds(60), long.MaxValue), new FramePool(options));
            for (var i = 0; i < 300; i++) ring.Append(src.AsSpan(0, 1024), t0.AddMilliseconds(i * 200));
            const int n = 500_000;
            var from = t0.AddSeconds(30);
            long count = 0;
            var sw = Stopwatch.StartNew();
            for (var k = 0; k < n; k++)
            {
                using var w = ring.Window(from, from.AddSeconds(10));
                count += w.Count;
            }
            Console.WriteLine($"window 10 s of 60 s @5 fps ({count / n} frames) + dispose: {sw.Elapsed.TotalNanoseconds / n,9:F0} ns/op");
            sw.Restart();
            for (var k = 0; k < n; k++) { using var w = ring.Latest(); }
            Console.WriteLine($"latest + dispose:                                  {sw.Elapsed.TotalNanoseconds / n,9:F0} ns/op");
        }

        // Memory: 16 cameras x 60 s x 1 fps of 250..400 KB JPEGs, run for 5 minutes of camera time (4 ring turnovers).
        {
            FullGc();
            var rss0 = Rss(); var heap0 = GC.GetTotalMemory(true);
            var pool = new FramePool(options);
            var rings = Enumerable.Range(0, 16).Select(_ => new FrameRing(new RingLimits(int.MaxValue, TimeSpan.FromSeconds(59.5), long.MaxValue), pool)).ToArray();
            var rnd = new Random(5);
            for (var sec = 0; sec < 300; sec++)
                foreach (var ring in rings)
                    ring.Append(src.AsSpan(0, rnd.Next(250 * 1024, 400 * 1024 + 1)), t0.AddSeconds(sec));
            var held = rings.Sum(r => r.Bytes);
            var frames = rings.Sum(r => r.Count);
            var s = pool.GetStats();
            FullGc();
            var rss1 = Rss(); var heap1 = GC.GetTotalMemory(true);
            Console.WriteLine($"16 cameras x 60 s x 1 fps: {frames} frames, bytes held {held / 1048576.0:F1} MiB (avg {held / frames / 1024} KB)");
            Console.WriteLine($"  pool accounting: rounding {s.RoundingBytes / 1048576.0:F2} MiB, free lists {s.FreeBytes / 1048576.0:F2} MiB, objects {s.ObjectBytes / 1048576.0:F2} MiB => {s.OverheadRatio:P2}; hits {100.0 * s.Hits / s.Rents:F0}%");
            Console.WriteLine($"  GC heap delta {(heap1 - heap0) / 1048576.0:F1} MiB => overhead {(double)(heap1 - heap0 - held) / held:P2}");
            Console.WriteLine($"  native: {s.NativeInUse} in use, {s.Mappings} mappings ({s.Mapped} mapped, {s.Unmapped} unmapped), {s.MappedBytes / 1048576.0:F1} MiB mapped, quarantine {s.QuarantinedMappings} ({s.QuarantinedBytes / 1048576.0:F1} MiB, not resident)");
            Console.WriteLine($"  RSS delta     {(rss1 - rss0) / 1048576.0:F1} MiB => overhead {(double)(rss1 - rss0 - held) / held:P2}  (RSS {rss0 / 1048576.0:F0} -> {rss1 / 1048576.0:F0} MiB)");
            // The GC hands freed regions back to the OS in steps after a collection: look again a little later.
            foreach (var wait in new[] { 1000, 3000 })
            {
                Thread.Sleep(wait);
                var rss = Rss();
                Console.WriteLine($"  +{wait / 1000} s: RSS delta {(rss - rss0) / 1048576.0:F1} MiB => overhead {(double)(rss - rss0 - held) / held:P2}");
            }
            GC.KeepAlive(rings);
            foreach (var r in rings) r.Dispose();
        }
        return Task.CompletedTask;
    }

    private static void FullGc()
    {
        GCSettings.LargeObjectHeapCompactionMode = GCLargeObjectHeapCompactionMode.CompactOnce;
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
    }

    private static long Rss()
    {
        // Environment.WorkingSet reads /proc/self/statm's resident pages on Linux.
        return Environment.WorkingSet;
    }
}
