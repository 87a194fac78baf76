using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;

namespace Lookback.Bench;

/// <summary>
/// Issue 18's RAM figure, measured from the outside as a user's host sees it: the built <c>lookback</c> (run as the
/// add-on runs it, with <c>DOTNET_GCgen0size=0x1000000</c>) with one default stream camera (motion on) on the PETS clip
/// at 1080p25, 4 Mbit/s (<see cref="StreamCostBench"/>'s footage), once with <c>buffer_seconds</c> = <c>--short S</c>
/// (default 20) and once with <c>--long S</c> (default 80). Each run waits for its ring to be full, makes
/// <c>--renders N</c> (default 4) rounds of moment + GIF + MP4 over HTTP, as a user would, then reads the process's
/// RSS (VmRSS) once a second for <c>--sample S</c> (default 15) seconds. RAM per buffered camera-minute is the RSS
/// difference of the two runs over the difference of their buffered minutes, against the stream's own bytes per
/// minute; a fixed cost per camera (runtime, web host, previews, JPEG frames, GIF and motion buffers) is the rest.
/// A measure across two processes leaves out what one process's start-up, JIT and renders add while it fills. Both are
/// measured at the same uptime; even so the GC heap's garbage (what waits for a full collection) differs by tens of MB
/// between two runs, so the RSS outside the GC heap (RSS − GC committed, from <c>/api/status</c> <c>memory</c>) is
/// shown too: the packet slabs and native frames, which is what a buffered minute costs.
/// </summary>
[Bench("streamram")]
public static class StreamRamBench
{
    public static async Task RunAsync(string[] args)
    {
        int Arg(string name, int dflt) => args.SkipWhile(a => a != name).Skip(1).Select(int.Parse).FirstOrDefault(dflt);
        int shortS = Arg("--short", 20), longS = Arg("--long", 80), renders = Arg("--renders", 4), sample = Arg("--sample", 15);
        var clip = await StreamCostBench.ClipAsync();
        var exe = FindLookback();
        var runs = new List<Run>();
        foreach (var buffer in new[] { shortS, longS })
        {
            // a server per run: each client gets the clip from its start, so both runs see the same footage
            await using var server = await StreamBench.Server.StartAsync("1920x1080", "--file", clip);
            // both runs measured at the same uptime (the longer ring's fill and 10 s more): the GC heap grows with uptime
            // (garbage that waits for a full collection), which is not RAM per buffered minute
            runs.Add(await MeasureAsync(exe, $"rtsp://127.0.0.1:{server.Port}/cam", buffer, renders, sample, TimeSpan.FromSeconds(longS + 10)));
            var r = runs[^1];
            Console.Error.WriteLine($"  buffer_seconds {buffer}: buffered {r.Buffered:0.0} s, ring {r.RingBytes / 1e6:0.00} MB " +
                $"(slabs {r.SlabBytes / 1e6:0.00} MB), RSS median {r.RssMedian / 1e6:0.0} MB (max {r.RssMax / 1e6:0.0}), its ffmpeg {r.FfmpegRss / 1e6:0.0} MB; " +
                $"GC heap {r.GcHeap / 1e6:0.0} MB (committed {r.GcCommitted / 1e6:0.0}), frames {r.FrameBytes / 1e6:0.0} MB");
        }
        var (a, b) = (runs[0], runs[1]);
        var minutes = (b.Buffered - a.Buffered) / 60;
        var streamPerMin = b.RingBytes / b.Buffered * 60;
        var rssPerMin = (b.RssMedian - a.RssMedian) / minutes;
        var ringPerMin = (b.SlabBytes - a.SlabBytes) / minutes;
        Console.WriteLine();
        Console.WriteLine("| measure (PETS 1080p25 H.264 4 Mbit/s, one default stream camera, motion on, renders over HTTP) | value |");
        Console.WriteLine("|---|---|");
        foreach (var r in runs)
            Console.WriteLine($"| buffer_seconds {r.Buffer}: buffered / ring bytes / slab bytes / .NET RSS median (max) / its ffmpeg's RSS | " +
                $"{r.Buffered:0.0} s / {r.RingBytes / 1e6:0.0} / {r.SlabBytes / 1e6:0.0} / {r.RssMedian / 1e6:0.0} ({r.RssMax / 1e6:0.0}) / {r.FfmpegRss / 1e6:0.0} MB |");
        Console.WriteLine($"| the stream itself per minute | {streamPerMin / 1e6:0.00} MB |");
        Console.WriteLine($"| per buffered camera-minute: ring slabs / process RSS (target: the stream + ≤ 10 %) | {ringPerMin / 1e6:0.00} / {rssPerMin / 1e6:0.00} MB " +
            $"({(rssPerMin / streamPerMin - 1) * 100:+0;-0} % over the stream) |");
        Console.WriteLine($"| per buffered camera-minute: GC heap / GC committed / frames (JPEG and preview rings) | {(b.GcHeap - a.GcHeap) / minutes / 1e6:0.00} / " +
            $"{(b.GcCommitted - a.GcCommitted) / minutes / 1e6:0.00} / {(b.FrameBytes - a.FrameBytes) / minutes / 1e6:0.00} MB |");
        var nativePerMin = ((b.RssMedian - b.GcCommitted) - (a.RssMedian - a.GcCommitted)) / minutes;
        Console.WriteLine($"| per buffered camera-minute: RSS outside the GC heap (RSS − GC committed: slabs, native frames) | {nativePerMin / 1e6:0.00} MB " +
            $"({(nativePerMin / streamPerMin - 1) * 100:+0;-0} % over the stream) |");
        Console.WriteLine($"| fixed RSS of the process besides its ring (buffer_seconds {a.Buffer} run minus its slabs) | {(a.RssMedian - a.SlabBytes) / 1e6:0.0} MB |");
    }

    private sealed record Run(int Buffer, double Buffered, long RingBytes, long SlabBytes, long RssMedian, long RssMax, long FfmpegRss,
        long GcHeap = 0, long GcCommitted = 0, long FrameBytes = 0);

    private static async Task<Run> MeasureAsync(string exe, string url, int buffer, int renders, int sample, TimeSpan uptime)
    {
        var root = Path.Combine(Path.GetTempPath(), "lookback-rambench-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(root);
        var port = FreePort();
        var config = Path.Combine(root, "lookback.yaml");
        await File.WriteAllTextAsync(config, $"""
            node_id: rambench
            http:
              listen: 127.0.0.1
              port: {port}
            storage:
              path: {Path.Combine(root, "media")}
            cameras:
              cam:
                url: {url}
                buffer_seconds: {buffer}
            """);
        var psi = new ProcessStartInfo(exe) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var x in new[] { "run", "--config", config }) psi.ArgumentList.Add(x);
        psi.Environment["DOTNET_GCgen0size"] = "0x1000000"; // as the add-on image runs it
        using var p = Process.Start(psi)!;
        _ = p.StandardOutput.ReadToEndAsync();
        _ = p.StandardError.ReadToEndAsync();
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(30) };
        try
        {
            var sw = Stopwatch.StartNew();
            JsonElement packets = default;
            while (true)
            {
                if (p.HasExited) throw new InvalidOperationException($"lookback exited with {p.ExitCode}");
                if (sw.Elapsed > TimeSpan.FromSeconds(buffer + 60)) throw new TimeoutException($"the ring did not fill to {buffer} s");
                try
                {
                    using var doc = JsonDocument.Parse(await http.GetStringAsync("/api/cameras/cam"));
                    if (doc.RootElement.TryGetProperty("packets", out var pk) && pk.GetProperty("buffered_seconds").GetDouble() >= buffer - 2.5)
                    {
                        packets = pk.Clone();
                        break;
                    }
                }
                catch (HttpRequestException) { } // not listening yet
                await Task.Delay(500);
            }
            while (sw.Elapsed < uptime) await Task.Delay(500);
            for (var i = 0; i < renders; i++)
                foreach (var path in new[] { "/api/cameras/cam/moment.mp4?before=10&after=0", "/api/cameras/cam/gif?seconds=10", "/api/cameras/cam/mp4?seconds=10" })
                    for (var attempt = 0; ; attempt++)
                    {
                        using var res = await http.GetAsync(path);
                        if (res.IsSuccessStatusCode) break;
                        // 429: the render rate limit; wait as a well-behaved client does
                        if ((int)res.StatusCode != 429 || attempt >= 30) throw new InvalidOperationException($"{path}: {(int)res.StatusCode}");
                        await Task.Delay(1000);
                    }
            var rss = new List<long>();
            for (var i = 0; i < sample; i++)
            {
                rss.Add(Rss(p.Id));
                await Task.Delay(1000);
            }
            using var last = JsonDocument.Parse(await http.GetStringAsync("/api/cameras/cam"));
            packets = last.RootElement.GetProperty("packets").Clone();
            var ffmpeg = Children(p.Id).Select(Rss).DefaultIfEmpty(0).Max();
            rss.Sort();
            using var status = JsonDocument.Parse(await http.GetStringAsync("/api/status"));
            var mem = status.RootElement.GetProperty("memory");
            return new Run(buffer, packets.GetProperty("buffered_seconds").GetDouble(), packets.GetProperty("bytes").GetInt64(),
                packets.GetProperty("memory_bytes").GetInt64(), rss[rss.Count / 2], rss[^1], ffmpeg,
                mem.GetProperty("gc_heap_bytes").GetInt64(), mem.GetProperty("gc_committed_bytes").GetInt64(), mem.GetProperty("frame_bytes").GetInt64());
        }
        finally
        {
            if (!p.HasExited) p.Kill(true);
            await p.WaitForExitAsync();
            try { Directory.Delete(root, true); } catch (IOException) { }
        }
    }

    /// <summary>VmRSS of a process in bytes (0 once it is gone).</summary>
    private static long Rss(int pid)
    {
        try
        {
            var line = File.ReadLines($"/proc/{pid}/status").FirstOrDefault(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
            return line is null ? 0 : long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;
        }
        catch (IOException) { return 0; }
    }

    private static IEnumerable<int> Children(int pid)
    {
        var me = pid.ToString(CultureInfo.InvariantCulture);
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var child)) continue;
            string stat;
            try { stat = File.ReadAllText(Path.Combine(dir, "stat")); }
            catch (IOException) { continue; }
            if (StreamBenchKit.StatFields(stat)[1] == me) yield return child;
        }
    }

    private static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    /// <summary>The built lookback next to the sources (src/Lookback/bin/Release/net10.0/lookback; the bench's build makes it).</summary>
    private static string FindLookback()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
        {
            var f = Path.Combine(d.FullName, "src", "Lookback", "bin", "Release", "net10.0", "lookback");
            if (File.Exists(f)) return f;
        }
        throw new FileNotFoundException("src/Lookback/bin/Release/net10.0/lookback: dotnet build -c Release src/Lookback");
    }
}
