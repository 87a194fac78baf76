using System.Diagnostics;
using System.Globalization;
using Lookback.Config;
using Lookback.Hosting;
using Lookback.Sources;
using Lookback.Sources.Streaming;

namespace Lookback.Bench;

/// <summary>
/// Stream cameras: CPU per camera-minute of Lookback's ffmpeg source (the ffmpeg child, read from /proc/&lt;pid&gt;/stat,
/// plus this process's share) against a bare <c>ffmpeg -i URL -f null -</c> on the same RTSP stream, for a 1080p and a
/// 640x360 H.264 stream at 15 fps (a clip served in a loop by tests/Lookback.Tests/Streams/rtsp_server.py, no
/// re-encoding in the server); and the latency of a moment (request → URL) with before=10, after=0 from a recording
/// camera. <c>--seconds N</c> sets the measuring window (default 20).
/// </summary>
[Bench("stream")]
public static class StreamBench
{
    public static async Task RunAsync(string[] args)
    {
        var seconds = args.SkipWhile(a => a != "--seconds").Skip(1).Select(int.Parse).FirstOrDefault(20);
        var dir = Path.Combine(Path.GetTempPath(), "lookback-streambench");
        Directory.CreateDirectory(dir);
        Console.WriteLine($"| stream | Lookback source CPU s/min (ffmpeg + .NET) | bare ffmpeg CPU s/min | ratio |");
        Console.WriteLine("|---|---|---|---|");
        foreach (var (size, name) in new[] { ("1920x1080", "1080p"), ("640x360", "640x360") })
        {
            var clip = await ClipAsync(dir, size);
            var server = await ServerAsync(clip);
            try
            {
                var url = $"rtsp://127.0.0.1:{server.Port}/cam";
                var bare = await BareAsync(url, seconds);
                var (child, ours) = await LookbackAsync(url, seconds);
                Console.WriteLine($"| {name} H.264 15 fps | {(child + ours) * 60 / seconds:0.00} ({child * 60 / seconds:0.00} + {ours * 60 / seconds:0.00}) | {bare * 60 / seconds:0.00} | {(child + ours) / bare:0.00} |");
            }
            finally { server.Process.Kill(true); server.Process.WaitForExit(); }
        }

        var small = await ClipAsync(dir, "640x360");
        var srv = await ServerAsync(small);
        try { await MomentLatencyAsync($"rtsp://127.0.0.1:{srv.Port}/cam"); }
        finally { srv.Process.Kill(true); srv.Process.WaitForExit(); }
    }

    private sealed class NullSink : IFrameSink, IGrayFrameSink
    {
        public long Frames, Gray;
        public void OnFrame(ReadOnlySpan<byte> jpeg, DateTimeOffset capturedAt) => Interlocked.Increment(ref Frames);
        public void OnError(string error) => Console.Error.WriteLine("  source: " + error);
        public void OnGrayFrame(ReadOnlySpan<byte> gray, int width, int height, DateTimeOffset at) => Interlocked.Increment(ref Gray);
    }

    private static async Task<(double Child, double Ours)> LookbackAsync(string url, int seconds)
    {
        var o = new CameraOptions { Slug = "bench", Url = url, Kind = CameraKind.Rtsp, Interval = 1, Motion = new MotionOptions { Fps = 5 } };
        var source = new StreamSource(o, StreamInputKind.Rtsp);
        var sink = new NullSink();
        using var cts = new CancellationTokenSource();
        var run = Task.Run(() => source.RunAsync(sink, cts.Token));
        var sw = Stopwatch.StartNew();
        while (Interlocked.Read(ref sink.Frames) < 2 && sw.Elapsed < TimeSpan.FromSeconds(30)) await Task.Delay(100);
        var pid = source.ProcessId;
        var c0 = ProcCpu(pid);
        var us0 = Process.GetCurrentProcess().TotalProcessorTime;
        await Task.Delay(TimeSpan.FromSeconds(seconds));
        var c1 = ProcCpu(pid);
        var us1 = Process.GetCurrentProcess().TotalProcessorTime;
        cts.Cancel();
        try { await run; } catch (OperationCanceledException) { }
        Console.Error.WriteLine($"  lookback: {sink.Frames} JPEG frames, {sink.Gray} gray frames");
        return (c1 - c0, (us1 - us0).TotalSeconds);
    }

    private static async Task<double> BareAsync(string url, int seconds)
    {
        var psi = new ProcessStartInfo("ffmpeg") { UseShellExecute = false, RedirectStandardError = true, RedirectStandardInput = true };
        foreach (var a in new[] { "-hide_banner", "-nostdin", "-loglevel", "error", "-rtsp_transport", "tcp", "-i", url, "-f", "null", "-" })
            psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        _ = p.StandardError.ReadToEndAsync();
        await Task.Delay(TimeSpan.FromSeconds(3)); // connect + probe, as for Lookback (measured after its first frames)
        var c0 = ProcCpu(p.Id);
        await Task.Delay(TimeSpan.FromSeconds(seconds));
        var c1 = ProcCpu(p.Id);
        p.Kill(true);
        await p.WaitForExitAsync();
        return c1 - c0;
    }

    private static async Task MomentLatencyAsync(string url)
    {
        var root = Path.Combine(Path.GetTempPath(), "lookback-streambench-media-" + Guid.NewGuid().ToString("N")[..6]);
        var options = new LookbackOptions
        {
            Http = new HttpOptions { Listen = "127.0.0.1", Port = 0 },
            Storage = new StorageOptions { Path = root },
            Cameras = [new CameraOptions { Slug = "bench", Url = url, Kind = CameraKind.Rtsp, Interval = 1, Record = true }],
        };
        var app = LookbackHost.Build(options, new HostSettings());
        await app.StartAsync();
        try
        {
            using var http = new HttpClient { BaseAddress = app.BaseAddress, Timeout = TimeSpan.FromSeconds(60) };
            await Task.Delay(TimeSpan.FromSeconds(14)); // 10 s of recording before the first request
            var times = new List<double>();
            for (var i = 0; i < 3; i++)
            {
                var sw = Stopwatch.StartNew();
                using var r = await http.GetAsync("/api/cameras/bench/moment.mp4?before=10&after=0");
                var ms = sw.Elapsed.TotalMilliseconds;
                r.EnsureSuccessStatusCode();
                times.Add(ms);
                await Task.Delay(1000);
            }
            Console.WriteLine();
            Console.WriteLine($"| moment before=10 after=0 (640x360 recording, MP4 + GIF) | request → answer: {string.Join(", ", times.Select(t => $"{t:0} ms"))} |");
        }
        finally
        {
            await app.StopAsync();
            await app.DisposeAsync();
            try { Directory.Delete(root, true); } catch (IOException) { }
        }
    }

    /// <summary>utime + stime of a process in seconds (/proc/&lt;pid&gt;/stat, clock ticks of 100 Hz).</summary>
    private static double ProcCpu(int pid)
    {
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        var f = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return (long.Parse(f[11], CultureInfo.InvariantCulture) + long.Parse(f[12], CultureInfo.InvariantCulture)) / 100.0;
    }

    private static async Task<string> ClipAsync(string dir, string size)
    {
        var clip = Path.Combine(dir, $"clip-{size}-nobf.mp4"); // no B-frames, like most IP cameras
        if (File.Exists(clip)) return clip;
        var psi = new ProcessStartInfo("ffmpeg") { UseShellExecute = false, RedirectStandardError = true };
        foreach (var a in new[] { "-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i", $"testsrc2=size={size}:rate=15", "-t", "20",
                     "-c:v", "libx264", "-preset", "veryfast", "-g", "15", "-bf", "0", "-pix_fmt", "yuv420p", "-y", clip })
            psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var err = await p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync();
        if (p.ExitCode != 0) throw new InvalidOperationException("clip: " + err);
        return clip;
    }

    private static async Task<(Process Process, int Port)> ServerAsync(string clip)
    {
        var script = FindScript();
        var psi = new ProcessStartInfo("/usr/bin/python3") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { script, "--port", "0", "--clip", clip }) psi.ArgumentList.Add(a);
        var p = Process.Start(psi)!;
        _ = p.StandardError.ReadToEndAsync();
        while (await p.StandardOutput.ReadLineAsync() is { } line)
            if (line.StartsWith("READY ")) return (p, int.Parse(line[6..], CultureInfo.InvariantCulture));
        throw new InvalidOperationException("rtsp_server.py did not start");
    }

    private static string FindScript()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
        {
            var f = Path.Combine(d.FullName, "tests", "Lookback.Tests", "Streams", "rtsp_server.py");
            if (File.Exists(f)) return f;
        }
        throw new FileNotFoundException("tests/Lookback.Tests/Streams/rtsp_server.py");
    }
}
