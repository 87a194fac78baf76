using System.Diagnostics;
using System.Globalization;
using Lookback.Config;
using Lookback.Hosting;
using Lookback.Sources;
using Lookback.Sources.Streaming;

namespace Lookback.Bench;

/// <summary>
/// Stream cameras: CPU per camera-minute of Lookback's ffmpeg source against a bare <c>ffmpeg -i URL -f null -</c> on
/// the same RTSP stream, for a 1080p and a 640x360 H.264 stream at 15 fps; and the latency of a moment (request → URL)
/// with before=10, after=0 from a recording camera.
/// <para>The stream: tests/Lookback.Tests/Streams/rtsp_server.py encoding a live test pattern (videotestsrc is-live,
/// x264enc ultrafast zerolatency, keyframe every 30 frames, no B-frames), one shared media that runs for as long as the
/// server does, so every window sees a continuous 15 fps stream (the measured frame rates are printed to prove it).
/// The server is a separate process (python3 + GStreamer) whose CPU is never read.</para>
/// <para>Lookback's cost = the ffmpeg child's utime+stime (/proc/&lt;pid&gt;/stat) + this process's CPU over the window
/// minus this process's idle rate (measured before anything runs) × the window. Bare and Lookback windows alternate
/// (<c>--rounds N</c>, default 3, each <c>--seconds N</c> long, default 15) so that load from other processes on the
/// machine hits both alike; the table shows medians.</para>
/// </summary>
[Bench("stream")]
public static class StreamBench
{
    public static async Task RunAsync(string[] args)
    {
        var seconds = args.SkipWhile(a => a != "--seconds").Skip(1).Select(int.Parse).FirstOrDefault(15);
        var rounds = args.SkipWhile(a => a != "--rounds").Skip(1).Select(int.Parse).FirstOrDefault(3);
        var moments = args.SkipWhile(a => a != "--moments").Skip(1).Select(int.Parse).FirstOrDefault(10);
        var me = Process.GetCurrentProcess();
        await Task.Delay(TimeSpan.FromSeconds(2)); // JIT and startup settle before the idle baseline
        var idle = await PipelineBench.CpuOverAsync(me, TimeSpan.FromSeconds(5));
        var idlePerSecond = idle.cpu / idle.wall;
        Console.WriteLine($"idle baseline of this process: {idlePerSecond * 60:0.000} CPU s/min (subtracted)");
        Console.WriteLine();
        Console.WriteLine("| stream | Lookback source CPU s/min (ffmpeg + .NET) | frames/s seen (JPEG / gray) | bare ffmpeg CPU s/min | frames/s (bare, from -progress: ±0.5 s of frames) | ratio |");
        Console.WriteLine("|---|---|---|---|---|---|");
        foreach (var (size, name) in new[] { ("1920x1080", "1080p"), ("640x360", "640x360") })
        {
            await using var server = await Server.StartAsync(size);
            var url = $"rtsp://127.0.0.1:{server.Port}/cam";
            var bare = new List<(double Cpu, double Fps)>();
            var ours = new List<(double Child, double Net, double Jpeg, double Gray)>();
            await LookbackAsync(url, 3, idlePerSecond); // warm-up, not counted: JIT of the read paths at this frame size
            for (var r = 0; r < rounds; r++)
            {
                bare.Add(await BareAsync(url, seconds));
                ours.Add(await LookbackAsync(url, seconds, idlePerSecond));
                Console.Error.WriteLine($"  {name} round {r + 1}: bare {bare[^1].Cpu * 60 / seconds:0.00} s/min at {bare[^1].Fps:0.0} fps; " +
                    $"lookback {ours[^1].Child * 60 / seconds:0.00} + {ours[^1].Net * 60 / seconds:0.00} s/min, {ours[^1].Jpeg:0.00} JPEG/s, {ours[^1].Gray:0.00} gray/s");
            }
            var child = Median(ours.Select(o => o.Child));
            var net = Median(ours.Select(o => o.Net));
            var total = Median(ours.Select(o => o.Child + o.Net));
            var bareCpu = Median(bare.Select(b => b.Cpu));
            double M(double cpu) => cpu * 60 / seconds;
            Console.WriteLine($"| {name} H.264 15 fps | {M(total):0.00} ({M(child):0.00} + {M(net):0.00}) | {Median(ours.Select(o => o.Jpeg)):0.00} / {Median(ours.Select(o => o.Gray)):0.00} " +
                $"| {M(bareCpu):0.00} | {Median(bare.Select(b => b.Fps)):0.0} | {total / bareCpu:0.00} |");
        }

        await using var srv = await Server.StartAsync("640x360");
        await MomentLatencyAsync($"rtsp://127.0.0.1:{srv.Port}/cam", moments);
    }

    private static double Median(IEnumerable<double> values)
    {
        var v = values.Order().ToArray();
        return v.Length == 0 ? double.NaN : v.Length % 2 == 1 ? v[v.Length / 2] : (v[v.Length / 2 - 1] + v[v.Length / 2]) / 2;
    }

    /// <summary>Counts JPEG and gray frames; keeps the stream's packets in a real ring (the packet output and its intake are part of the cost).</summary>
    private sealed class NullSink : IFrameSink, IGrayFrameSink, IPacketSink
    {
        public long Frames, Gray;
        public Lookback.Buffer.PacketRing? Packets { get; } = new(TimeSpan.FromSeconds(60), 256L * 1024 * 1024);
        public void OnFrame(ReadOnlySpan<byte> jpeg, DateTimeOffset capturedAt) => Interlocked.Increment(ref Frames);
        public void OnError(string error) => Console.Error.WriteLine("  source: " + error);
        public void OnGrayFrame(ReadOnlySpan<byte> gray, int width, int height, DateTimeOffset at) => Interlocked.Increment(ref Gray);
    }

    /// <summary>CPU seconds over the window: the ffmpeg child, and this process above its idle rate; JPEG and gray frames per second.</summary>
    private static async Task<(double Child, double Net, double Jpeg, double Gray)> LookbackAsync(string url, int seconds, double idlePerSecond)
    {
        var o = new CameraOptions { Slug = "bench", Url = url, Kind = CameraKind.Rtsp, Interval = 1, Motion = new MotionOptions { Fps = 5 } };
        var source = new StreamSource(o, StreamInputKind.Rtsp);
        var sink = new NullSink();
        using var cts = new CancellationTokenSource();
        var run = Task.Run(() => source.RunAsync(sink, cts.Token));
        var sw = Stopwatch.StartNew();
        while ((Interlocked.Read(ref sink.Frames) < 2 || Interlocked.Read(ref sink.Gray) < 5) && sw.Elapsed < TimeSpan.FromSeconds(30)) await Task.Delay(100);
        var pid = source.ProcessId;
        if (pid == 0) throw new InvalidOperationException("Lookback's ffmpeg did not start");
        var me = Process.GetCurrentProcess();
        var (f0, g0) = (Interlocked.Read(ref sink.Frames), Interlocked.Read(ref sink.Gray));
        var c0 = StreamBenchKit.ProcessCpu(pid);
        me.Refresh();
        var us0 = me.TotalProcessorTime;
        var w = Stopwatch.StartNew();
        await Task.Delay(TimeSpan.FromSeconds(seconds));
        var c1 = StreamBenchKit.ProcessCpu(pid);
        me.Refresh();
        var us1 = me.TotalProcessorTime;
        var wall = w.Elapsed.TotalSeconds;
        var (f1, g1) = (Interlocked.Read(ref sink.Frames), Interlocked.Read(ref sink.Gray));
        if (source.ProcessId != pid) throw new InvalidOperationException("Lookback's ffmpeg restarted during the window");
        cts.Cancel();
        try { await run; } catch (OperationCanceledException) { }
        var scale = seconds / wall; // normalise to the nominal window
        return ((c1 - c0) * scale, ((us1 - us0).TotalSeconds - idlePerSecond * wall) * scale, (f1 - f0) / wall, (g1 - g0) / wall);
    }

    /// <summary>Bare <c>ffmpeg -i URL -f null -</c>: CPU seconds over the window and the frames per second it decoded (from <c>-progress</c>).</summary>
    private static async Task<(double Cpu, double Fps)> BareAsync(string url, int seconds)
    {
        // connected and decoding, then measured once frames flow (as for Lookback)
        var (cpu, wall, frames) = await StreamBenchKit.BareDecodeAsync(url, seconds, 2, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(30));
        return (cpu * seconds / wall, frames / wall);
    }

    private static async Task MomentLatencyAsync(string url, int count)
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
            await Task.Delay(TimeSpan.FromSeconds(13)); // > 10 s recorded before the first request
            var times = new List<double>();
            for (var i = 0; i < count; i++)
            {
                var sw = Stopwatch.StartNew();
                using var r = await http.GetAsync("/api/cameras/bench/moment.mp4?before=10&after=0");
                var ms = sw.Elapsed.TotalMilliseconds;
                r.EnsureSuccessStatusCode();
                times.Add(ms);
                await Task.Delay(TimeSpan.FromMilliseconds(700 + 137 * i)); // requests land at different points of a segment
            }
            Console.WriteLine();
            Console.WriteLine("| moment before=10 after=0 (640x360 H.264 recording, 2 s segments; MP4 + GIF) | median | min | max | runs |");
            Console.WriteLine("|---|---:|---:|---:|---:|");
            Console.WriteLine($"| request → answer with URL | {Median(times):0} ms | {times.Min():0} ms | {times.Max():0} ms | {times.Count} |");
            Console.Error.WriteLine("  moment latencies: " + string.Join(", ", times.Select(t => $"{t:0}")));
        }
        finally
        {
            await app.StopAsync();
            await app.DisposeAsync();
            try { Directory.Delete(root, true); } catch (IOException) { }
        }
    }

    /// <summary>rtsp_server.py with a live H.264 test pattern at 15 fps, keyframe every 30 frames, no B-frames.</summary>
    /// <summary>rtsp_server.py; <c>extra</c> arguments override the defaults (argparse: the last one wins).</summary>
    internal sealed class Server : IAsyncDisposable
    {
        private readonly Process _p;
        public int Port { get; }
        /// <summary>The server's process id: a cost bench leaves its CPU out of the children it counts.</summary>
        public int Pid => _p.Id;
        private Server(Process p, int port) { _p = p; Port = port; }

        public static async Task<Server> StartAsync(string size, params string[] extra)
        {
            var psi = new ProcessStartInfo("/usr/bin/python3") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var a in new[] { FindScript(), "--port", "0", "--size", size, "--fps", "15", "--gop", "30", "--bframes", "0" }.Concat(extra)) psi.ArgumentList.Add(a);
            var p = Process.Start(psi)!;
            _ = p.StandardError.ReadToEndAsync();
            while (await p.StandardOutput.ReadLineAsync() is { } line)
                if (line.StartsWith("READY ", StringComparison.Ordinal)) return new Server(p, int.Parse(line[6..], CultureInfo.InvariantCulture));
            throw new InvalidOperationException("rtsp_server.py did not start");
        }

        public async ValueTask DisposeAsync()
        {
            _p.Kill(true);
            await _p.WaitForExitAsync();
            _p.Dispose();
        }
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
