using System.Diagnostics;
using Lookback.Config;
using Lookback.Hosting;
using MQTTnet;

namespace Lookback.Bench;

/// <summary>
/// One whole node (<see cref="LookbackHost"/>, MQTT to a real mosquitto) with 8/16/32/64 MJPEG cameras, 768x576 at
/// 5 fps, motion on, read from an MJPEG server in a child process (its CPU is not counted): CPU s per camera-minute,
/// RSS per camera, frames dropped (expected 5 × seconds per camera minus received), the slowest camera's rate, MQTT
/// messages and bytes per camera-minute the node publishes, and the largest count held at ≥ 95 % of 5 fps.
/// The scene is quiet (no motion events, so no renders: analysis runs on every frame). Store 30 (the default).
/// `scale [--counts 8,16,32,64] [--seconds 15]`
/// </summary>
[Bench("scale")]
public static class ScaleBench
{
    public const double Fps = 5;

    public static async Task RunAsync(string[] args)
    {
        var seconds = PipelineBench.Arg(args, "--seconds", 15);
        var counts = Array.IndexOf(args, "--counts") is var ci and >= 0 && ci + 1 < args.Length
            ? args[ci + 1].Split(',').Select(int.Parse).ToArray() : [8, 16, 32, 64];
        using var broker = BenchBroker.Start();
        using var server = SourcesBench.StartServerProcess(out var port);
        try
        {
            var me = Process.GetCurrentProcess();
            await MeasureAsync(broker.Port, port, 4, 5, me); // warm-up (JIT tiers, pools), not reported
            Console.WriteLine($"Shared, loaded 2-core machine (other sessions running); {seconds} s per size after a 5 s settle; figures are indicative.");
            Console.WriteLine("| cameras | CPU s per camera-minute | % of one core per camera | RSS per camera (MB) | dropped frames | slowest camera fps | cameras at >= 95 % | MQTT msgs per camera-minute | MQTT KB per camera-minute |");
            Console.WriteLine("|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
            int held = 0, most = 0;
            foreach (var n in counts)
            {
                var r = await MeasureAsync(broker.Port, port, n, seconds, me);
                var perMinute = r.Cpu / n / (r.Wall / 60);
                Console.WriteLine($"| {n} | {perMinute:0.00} | {perMinute / 60 * 100:0.0} | {r.RssBytes / (double)n / 1e6:0.0} | {r.Dropped} ({r.Dropped * 100.0 / (Fps * r.Wall * n):0.0} %) | {r.SlowestFps:0.00} | {r.Held} of {n} | {r.Messages / (double)n / (r.Wall / 60):0.0} | {r.Bytes / 1024.0 / n / (r.Wall / 60):0} |");
                if (r.Held == n) held = Math.Max(held, n);
                most = Math.Max(most, r.Held);
            }
            Console.WriteLine($"Largest number of cameras held at >= 95 % of {Fps} fps: {most} (largest size with every camera there: {(held == 0 ? "none of the sizes tried" : held.ToString())})");
        }
        finally
        {
            try { server.Kill(); } catch (InvalidOperationException) { }
            server.WaitForExit(5000);
        }
    }

    private sealed record Run(double Cpu, double Wall, long RssBytes, long Dropped, double SlowestFps, int Held, long Messages, long Bytes);

    private static async Task<Run> MeasureAsync(int brokerPort, int camPort, int n, int seconds, Process me)
    {
        GC.Collect(); GC.WaitForPendingFinalizers(); GC.Collect();
        me.Refresh();
        var rss0 = me.WorkingSet64;
        var dir = Directory.CreateTempSubdirectory("lookback-scale-").FullName;
        var prefix = $"scale{n}";
        var options = new LookbackOptions
        {
            NodeId = prefix, LogLevel = "warning",
            Mqtt = new MqttOptions { Host = "127.0.0.1", Port = brokerPort, TopicPrefix = prefix },
            Http = new HttpOptions { Listen = "127.0.0.1", Port = 0 },
            Storage = new StorageOptions { Path = Path.Combine(dir, "media") },
            Cameras = [.. Enumerable.Range(0, n).Select(i => new CameraOptions
            {
                Slug = $"cam{i}", Url = $"http://127.0.0.1:{camPort}/mjpeg?fps={Fps}&seed={i}&static=1", Kind = CameraKind.Mjpeg,
                Interval = 1 / Fps, Store = 30, Motion = new MotionOptions { Enabled = true, Fps = (int)Fps },
            })],
        };
        using var counter = await MessageCounter.StartAsync(brokerPort, $"{prefix}/#");
        await using var app = LookbackHost.Build(options, new HostSettings());
        await app.StartAsync();
        var cams = app.Cameras.All;
        var sw = Stopwatch.StartNew();
        while (cams.Any(c => c.Ring.Count < 3) && sw.Elapsed < TimeSpan.FromSeconds(30)) await Task.Delay(50);
        await Task.Delay(TimeSpan.FromSeconds(5)); // settle: the first state/snapshot/discovery burst is not steady state
        var before = cams.Select(c => ((Cameras.Camera)c).FramesTotal).ToArray();
        var (m0, b0) = counter.Totals;
        var (cpu, wall) = await PipelineBench.CpuOverAsync(me, TimeSpan.FromSeconds(seconds));
        var (m1, b1) = counter.Totals;
        var got = cams.Select((c, i) => ((Cameras.Camera)c).FramesTotal - before[i]).ToArray();
        me.Refresh();
        var rss = me.WorkingSet64 - rss0;
        await app.StopAsync();
        try { Directory.Delete(dir, true); } catch (IOException) { }
        var expected = (long)Math.Round(Fps * wall);
        return new Run(cpu, wall, rss, got.Sum(g => Math.Max(0, expected - g)), got.Min() / wall,
            got.Count(g => g / wall >= 0.95 * Fps), m1 - m0, b1 - b0);
    }
}

/// <summary>A mosquitto on a free loopback port for benchmarks ($SYS every second), killed on dispose.</summary>
public sealed class BenchBroker : IDisposable
{
    private readonly Process _p;
    private readonly string _dir;
    private BenchBroker(Process p, int port, string dir) { _p = p; Port = port; _dir = dir; }
    public int Port { get; }
    public int Pid => _p.Id;

    public static BenchBroker Start()
    {
        var port = MqttLatencyBench.FreePort();
        var dir = Directory.CreateTempSubdirectory("lookback-benchbroker-").FullName;
        File.WriteAllText(Path.Combine(dir, "m.conf"),
            $"listener {port} 127.0.0.1\nallow_anonymous true\nset_tcp_nodelay true\npersistence false\nlog_dest none\nsys_interval 1\nmax_queued_messages 100000\n");
        var p = Process.Start(new ProcessStartInfo("/usr/sbin/mosquitto", ["-c", Path.Combine(dir, "m.conf")])
            { RedirectStandardError = true, RedirectStandardOutput = true })!;
        var sw = Stopwatch.StartNew();
        while (sw.Elapsed < TimeSpan.FromSeconds(10))
        {
            try { using var c = new System.Net.Sockets.TcpClient("127.0.0.1", port); break; }
            catch (System.Net.Sockets.SocketException) { Thread.Sleep(50); }
        }
        return new BenchBroker(p, port, dir);
    }

    /// <summary>CPU seconds the broker process used so far (/proc/PID/stat utime + stime).</summary>
    public double CpuSeconds()
    {
        var f = File.ReadAllText($"/proc/{_p.Id}/stat");
        var rest = f[(f.LastIndexOf(')') + 2)..].Split(' ');
        return (long.Parse(rest[11]) + long.Parse(rest[12])) / 100.0; // USER_HZ
    }

    public void Dispose()
    {
        try { if (!_p.HasExited) _p.Kill(); } catch (InvalidOperationException) { }
        _p.WaitForExit(5000);
        _p.Dispose();
        try { Directory.Delete(_dir, true); } catch (IOException) { }
    }
}

/// <summary>Counts the messages (and payload bytes) on a topic filter.</summary>
public sealed class MessageCounter : IDisposable
{
    private readonly IMqttClient _c = new MqttClientFactory().CreateMqttClient();
    private long _messages, _bytes;

    public static async Task<MessageCounter> StartAsync(int port, string filter)
    {
        var m = new MessageCounter();
        m._c.ApplicationMessageReceivedAsync += e =>
        {
            Interlocked.Increment(ref m._messages);
            Interlocked.Add(ref m._bytes, e.ApplicationMessage.Payload.Length);
            return Task.CompletedTask;
        };
        await m._c.ConnectAsync(new MqttClientOptionsBuilder().WithTcpServer("127.0.0.1", port).WithClientId("counter-" + Guid.NewGuid().ToString("N")[..8]).Build());
        await m._c.SubscribeAsync(filter);
        return m;
    }

    public (long Messages, long Bytes) Totals => (Interlocked.Read(ref _messages), Interlocked.Read(ref _bytes));

    public void Dispose() => _c.Dispose();
}
