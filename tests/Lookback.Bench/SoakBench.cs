using System.Diagnostics;
using System.Net;
using System.Text;
using Lookback.Buffer;
using Lookback.Config;
using Lookback.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using MQTTnet;

namespace Lookback.Bench;

/// <summary>
/// Memory soak (`soak [--minutes 60] [--sample 60] [--junk 20] [--flip 30]`): the whole app in this process with four
/// 640x480 demo cameras (MJPEG 5 fps and snapshot 2/s, each twice) behind a fault switch that breaks two of them every
/// <c>--flip</c> seconds (503 for snapshots, a cut stream for MJPEG), a real mosquitto, <c>--junk</c> junk MQTT
/// messages per second (invalid UTF-8, lone surrogates, deep nesting, huge payloads, wrong types, unknown cameras,
/// long random topics, random response topics) and one valid GIF/snapshot command every 10 s.
/// Prints RSS, managed heap, native frame memory, fds and threads at every sample, then the RSS slope after the first
/// 10 minutes (or the first sixth of a shorter run) and the steady-state RSS per camera.
/// Run it as the add-on runs (Dockerfile): <c>DOTNET_GCgen0size=0x1000000 dotnet run -c Release --project tests/Lookback.Bench -- soak</c>;
/// without that variable the GC's default gen0 budget keeps growing committed memory for the first half hour.
/// </summary>
[Bench("soak")]
public static class SoakBench
{
    public static async Task RunAsync(string[] args)
    {
        var minutes = PipelineBench.Arg(args, "--minutes", 60);
        var sampleSeconds = PipelineBench.Arg(args, "--sample", 60);
        var junkPerSecond = PipelineBench.Arg(args, "--junk", 20);
        var flipSeconds = PipelineBench.Arg(args, "--flip", 30);
        var warmupMinutes = minutes >= 20 ? 10 : Math.Max(1, minutes / 6);

        var port = MqttLatencyBench.FreePort();
        var dir = Directory.CreateTempSubdirectory("lookback-soak-").FullName;
        File.WriteAllText(Path.Combine(dir, "m.conf"), $"listener {port} 127.0.0.1\nallow_anonymous true\nset_tcp_nodelay true\npersistence false\nlog_dest none\n");
        using var mosquitto = Process.Start(new ProcessStartInfo("/usr/sbin/mosquitto", ["-c", Path.Combine(dir, "m.conf")])
            { RedirectStandardError = true, RedirectStandardOutput = true })!;

        var baseline = Sample.Take(TimeSpan.Zero);
        await using var demo = new DemoCameraServer([("c1", "One", 640, 480), ("c2", "Two", 640, 480), ("c3", "Three", 640, 480), ("c4", "Four", 640, 480)]);
        var demoBase = await demo.StartAsync(CancellationToken.None);
        await using var faults = new FaultSwitch(demoBase);
        var faultBase = await faults.StartAsync();

        var options = new LookbackOptions
        {
            NodeId = "soak", LogLevel = "warning",
            Mqtt = new MqttOptions { Host = "127.0.0.1", Port = port, TopicPrefix = "soak" },
            Http = new HttpOptions { Listen = "127.0.0.1", Port = 0 },
            Storage = new StorageOptions { Path = Path.Combine(dir, "media") },
            Cameras =
            [
                Cam("c1", new Uri(demoBase, "cam/c1/mjpeg?fps=5"), CameraKind.Mjpeg, motion: true),
                Cam("c2", new Uri(demoBase, "cam/c2/snapshot.jpg"), CameraKind.Snapshot, motion: false),
                Cam("c3", new Uri(faultBase, "cam/c3/mjpeg?fps=5"), CameraKind.Mjpeg, motion: true),
                Cam("c4", new Uri(faultBase, "cam/c4/snapshot.jpg"), CameraKind.Snapshot, motion: false),
            ],
        };
        var logLines = new CountingWriter();
        await using var app = LookbackHost.Build(options, new HostSettings { LogWriter = logLines });
        await app.StartAsync();

        using var client = new MqttClientFactory().CreateMqttClient();
        await client.ConnectAsync(new MqttClientOptionsBuilder().WithTcpServer("127.0.0.1", port).WithClientId("soak-junk")
            .WithProtocolVersion(MQTTnet.Formatter.MqttProtocolVersion.V500).Build());
        long results = 0;
        client.ApplicationMessageReceivedAsync += _ => { Interlocked.Increment(ref results); return Task.CompletedTask; };
        await client.SubscribeAsync("soak/+/result");

        using var stop = new CancellationTokenSource(TimeSpan.FromMinutes(minutes));
        long junkSent = 0;
        var junk = Task.Run(async () =>
        {
            var rnd = new Random(42);
            var period = TimeSpan.FromSeconds(1.0 / Math.Max(1, junkPerSecond));
            using var timer = new PeriodicTimer(period);
            var n = 0L;
            try
            {
                while (await timer.WaitForNextTickAsync(stop.Token))
                {
                    var m = Junk(rnd, n++);
                    try { await client.PublishAsync(m, stop.Token); Interlocked.Increment(ref junkSent); }
                    catch (Exception ex) when (ex is not OperationCanceledException) { }
                }
            }
            catch (OperationCanceledException) { }
        });
        var flipper = Task.Run(async () =>
        {
            using var timer = new PeriodicTimer(TimeSpan.FromSeconds(flipSeconds));
            try { while (await timer.WaitForNextTickAsync(stop.Token)) faults.Broken = !faults.Broken; }
            catch (OperationCanceledException) { }
        });

        Console.WriteLine($"baseline before the app: RSS {Mb(baseline.Rss):0.0} MB, fds {baseline.Fds}, threads {baseline.Threads}");
        Console.WriteLine("| min | RSS MB | managed heap MB | GC committed MB | frame pool MB | ring frames | fds | threads | junk sent | results | log lines |");
        Console.WriteLine("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        var samples = new List<Sample>();
        var sw = Stopwatch.StartNew();
        using var sampler = new PeriodicTimer(TimeSpan.FromSeconds(sampleSeconds));
        try
        {
            while (await sampler.WaitForNextTickAsync(stop.Token))
            {
                var s = Sample.Take(sw.Elapsed);
                samples.Add(s);
                var frames = app.Cameras.All.Sum(c => c.Ring.Count);
                Console.WriteLine($"| {s.At.TotalMinutes:0.0} | {Mb(s.Rss):0.0} | {Mb(s.Managed):0.0} | {Mb(s.Committed):0.0} | {Mb(s.Native):0.0} | {frames} | {s.Fds} | {s.Threads} | {Interlocked.Read(ref junkSent)} | {Interlocked.Read(ref results)} | {logLines.Lines} |");
            }
        }
        catch (OperationCanceledException) { }
        await Task.WhenAll(junk, flipper);

        var steady = samples.Where(s => s.At.TotalMinutes > warmupMinutes).ToList();
        if (steady.Count >= 2)
        {
            var slope = Slope(steady.Select(s => (s.At.TotalMinutes, Mb(s.Rss))).ToList());
            var managedSlope = Slope(steady.Select(s => (s.At.TotalMinutes, Mb(s.Managed))).ToList());
            var rss = steady.Average(s => Mb(s.Rss));
            Console.WriteLine();
            Console.WriteLine($"after minute {warmupMinutes}: RSS slope {slope:+0.000;-0.000} MB/min, managed heap slope {managedSlope:+0.000;-0.000} MB/min, " +
                              $"fds {steady.Min(s => s.Fds)}..{steady.Max(s => s.Fds)}, threads {steady.Min(s => s.Threads)}..{steady.Max(s => s.Threads)}");
            Console.WriteLine($"steady-state RSS {rss:0.0} MB; over the baseline ({Mb(baseline.Rss):0.0} MB) per camera: {(rss - Mb(baseline.Rss)) / 4:0.0} MB");
        }
        await app.StopAsync();
        try { mosquitto.Kill(); } catch (InvalidOperationException) { }
        try { Directory.Delete(dir, true); } catch (IOException) { }
    }

    private static CameraOptions Cam(string slug, Uri url, CameraKind kind, bool motion) => new()
    {
        Slug = slug, Url = url.ToString(), Kind = kind, Interval = kind == CameraKind.Snapshot ? 0.5 : 0.2, Store = 300,
        BufferSeconds = 60, Timeout = 3, Motion = new MotionOptions { Enabled = motion },
        Gif = new GifOptions { Seconds = 5, Fps = 4, Width = 320 },
    };

    /// <summary>Junk of every sort; every 200th message is a valid command so that renders run too.</summary>
    private static MqttApplicationMessage Junk(Random rnd, long n)
    {
        var cams = new[] { "c1", "c2", "c3", "c4" };
        string RandomName(int len) => new(Enumerable.Range(0, len).Select(_ => (char)('a' + rnd.Next(26))).ToArray());
        var cam = cams[rnd.Next(cams.Length)];
        var b = new MqttApplicationMessageBuilder();
        if (n % 200 == 0)
            return b.WithTopic($"soak/{cam}/{(n % 400 == 0 ? "gif" : "snapshot")}/set")
                .WithPayload($"{{\"request_id\":\"ok-{n}\",\"seconds\":3}}").Build();
        switch (n % 10)
        {
            case 0: b.WithTopic($"soak/{cam}/gif/set").WithPayload(new byte[] { 0xff, 0xfe, 0x80, (byte)'{' }); break;
            case 1: b.WithTopic($"soak/{cam}/gif/set").WithPayload($"{{\"request_id\":\"\\ud800\",\"seconds\":2}}"); break;
            case 2: b.WithTopic($"soak/{cam}/snapshot/set").WithPayload(new string('[', 5000) + new string(']', 5000)); break;
            case 3: b.WithTopic($"soak/{cam}/gif/set").WithPayload(new byte[20_000]); break;
            case 4: b.WithTopic($"soak/{cam}/gif/set").WithPayload($"{{\"request_id\":{{\"x\":1}},\"seconds\":\"two\"}}"); break;
            case 5: b.WithTopic($"soak/{RandomName(12)}/gif/set").WithPayload($"{{\"request_id\":\"{RandomName(20)}\"}}"); break;
            case 6: b.WithTopic($"soak/{RandomName(5000)}/gif/set").WithPayload("{}"); break;
            case 7: b.WithTopic($"soak/{cam}/moment/set").WithPayload("{\"before\":-1}").WithResponseTopic($"junk/reply/{RandomName(16)}")
                .WithCorrelationData(Encoding.UTF8.GetBytes(RandomName(8))); break;
            case 8: b.WithTopic($"soak/{cam}/motion_threshold/set").WithPayload("banana"); break;
            default: b.WithTopic($"soak/{cam}/{RandomName(8)}/set").WithPayload("PRESS"); break;
        }
        return b.Build();
    }

    private static double Slope(List<(double X, double Y)> p)
    {
        var mx = p.Average(q => q.X); var my = p.Average(q => q.Y);
        var num = p.Sum(q => (q.X - mx) * (q.Y - my)); var den = p.Sum(q => (q.X - mx) * (q.X - mx));
        return den == 0 ? 0 : num / den;
    }

    private static double Mb(long bytes) => bytes / (1024.0 * 1024.0);

    /// <summary>Native: the frame pool's resident bytes (frames held, managed or native mappings, plus its free lists).</summary>
    private sealed record Sample(TimeSpan At, long Rss, long Managed, long Committed, long Native, int Fds, int Threads)
    {
        public static Sample Take(TimeSpan at)
        {
            long rss = 0; var threads = 0;
            foreach (var line in File.ReadLines("/proc/self/status"))
            {
                if (line.StartsWith("VmRSS:", StringComparison.Ordinal)) rss = long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) * 1024;
                else if (line.StartsWith("Threads:", StringComparison.Ordinal)) threads = int.Parse(line.Split('\t', ' ', StringSplitOptions.RemoveEmptyEntries)[1]);
            }
            var stats = FramePool.Shared.GetStats();
            var info = GC.GetGCMemoryInfo();
            return new Sample(at, rss, GC.GetTotalMemory(false), info.TotalCommittedBytes,
                stats.BytesRented + stats.FreeBytes, Directory.GetFiles("/proc/self/fd").Length, threads);
        }
    }

    /// <summary>Counts the lines the app logs (the junk log lines must stay rate-limited).</summary>
    private sealed class CountingWriter : TextWriter
    {
        private long _lines;
        public long Lines => Interlocked.Read(ref _lines);
        public override Encoding Encoding => Encoding.UTF8;
        public override void Write(char value) { if (value == '\n') Interlocked.Increment(ref _lines); }
        public override void Write(string? value) { if (value != null) foreach (var c in value) Write(c); }
    }

    /// <summary>Passes the demo cameras through, or breaks them while <see cref="Broken"/>: 503 for snapshots, cut MJPEG streams.</summary>
    private sealed class FaultSwitch(Uri upstream) : IAsyncDisposable
    {
        private readonly HttpClient _http = new() { BaseAddress = upstream, Timeout = TimeSpan.FromSeconds(10) };
        private WebApplication? _web;
        public volatile bool Broken;

        public async Task<Uri> StartAsync()
        {
            var b = WebApplication.CreateSlimBuilder();
            b.Logging.ClearProviders();
            b.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
            _web = b.Build();
            _web.MapGet("/cam/{name}/snapshot.jpg", async (string name, HttpContext ctx) =>
            {
                if (Broken) { ctx.Response.StatusCode = 503; return; }
                var bytes = await _http.GetByteArrayAsync($"cam/{name}/snapshot.jpg", ctx.RequestAborted);
                ctx.Response.ContentType = "image/jpeg";
                await ctx.Response.Body.WriteAsync(bytes, ctx.RequestAborted);
            });
            _web.MapGet("/cam/{name}/mjpeg", async (string name, HttpContext ctx) =>
            {
                if (Broken) { ctx.Response.StatusCode = 503; return; }
                using var up = await _http.GetAsync($"cam/{name}/mjpeg{ctx.Request.QueryString}", HttpCompletionOption.ResponseHeadersRead, ctx.RequestAborted);
                ctx.Response.ContentType = up.Content.Headers.ContentType?.ToString();
                await using var s = await up.Content.ReadAsStreamAsync(ctx.RequestAborted);
                var buf = new byte[16 * 1024];
                int n;
                while (!Broken && (n = await s.ReadAsync(buf, ctx.RequestAborted)) > 0) await ctx.Response.Body.WriteAsync(buf.AsMemory(0, n), ctx.RequestAborted);
                ctx.Abort();
            });
            await _web.StartAsync();
            var a = _web.Services.GetService(typeof(IServer)) as IServer;
            return new Uri(a!.Features.Get<IServerAddressesFeature>()!.Addresses.First());
        }

        public async ValueTask DisposeAsync()
        {
            if (_web != null) { await _web.StopAsync(); await _web.DisposeAsync(); }
            _http.Dispose();
        }
    }
}
