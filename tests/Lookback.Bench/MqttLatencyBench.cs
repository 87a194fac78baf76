using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Lookback.Config;
using Lookback.Hosting;
using MQTTnet;

namespace Lookback.Bench;

/// <summary>
/// Trigger message → result published, through a real mosquitto, for snapshot, GIF (10 s, 4 fps, 480 px) and a
/// moment (before 5 s, after 0: MP4 + GIF): median and p95 over N runs (`mqtt [--runs N]`).
/// The camera is a drawn 768x576 MJPEG demo camera at 5 fps read through the real source.
/// </summary>
[Bench("mqtt")]
public static class MqttLatencyBench
{
    public static async Task RunAsync(string[] args)
    {
        var runs = PipelineBench.Arg(args, "--runs", 50);
        var port = FreePort();
        var dir = Directory.CreateTempSubdirectory("lookback-mqttbench-").FullName;
        File.WriteAllText(Path.Combine(dir, "m.conf"), $"listener {port} 127.0.0.1\nallow_anonymous true\nset_tcp_nodelay true\npersistence false\n");
        using var mosquitto = Process.Start(new ProcessStartInfo("/usr/sbin/mosquitto", ["-c", Path.Combine(dir, "m.conf")])
            { RedirectStandardError = true, RedirectStandardOutput = true })!;
        await using var cams = new DemoCameraServer([("front", "Front", 768, 576)]);
        var camBase = await cams.StartAsync(CancellationToken.None);
        var triggers = new[] { RenderKind.Snapshot, RenderKind.Gif, RenderKind.Moment }
            .Select(k => new TriggerOptions { Topic = $"bench/doorbell/{k.ToString().ToLowerInvariant()}", Cameras = ["front"], Action = k })
            .ToList();
        var options = new LookbackOptions
        {
            NodeId = "bench", LogLevel = "warning",
            Mqtt = new MqttOptions { Host = "127.0.0.1", Port = port, TopicPrefix = "bench" },
            Http = new HttpOptions { Listen = "127.0.0.1", Port = 0 },
            Storage = new StorageOptions { Path = Path.Combine(dir, "media") },
            Cameras = [new CameraOptions { Slug = "front", Url = new Uri(camBase, "cam/front/mjpeg?fps=5").ToString(), Kind = CameraKind.Mjpeg,
                Interval = 0.2, Store = 400, BufferSeconds = 60, Motion = new MotionOptions { Enabled = false },
                Gif = new GifOptions { Seconds = 10, Fps = 4, Width = 480 } }],
            Triggers = triggers,
        };
        await using var app = LookbackHost.Build(options, new HostSettings());
        await app.StartAsync();
        var cam = app.Cameras.Find("front")!;
        var sw = Stopwatch.StartNew();
        while (cam.Ring.Count < 60 && sw.Elapsed < TimeSpan.FromSeconds(60)) await Task.Delay(100); // 12 s of frames

        using var client = new MqttClientFactory().CreateMqttClient();
        await client.ConnectAsync(new MqttClientOptionsBuilder().WithTcpServer("127.0.0.1", port).WithClientId("bench-obs").Build());
        var results = System.Threading.Channels.Channel.CreateUnbounded<(long At, JsonElement Json)>();
        client.ApplicationMessageReceivedAsync += e =>
        {
            var json = JsonDocument.Parse(Encoding.UTF8.GetString(e.ApplicationMessage.Payload)).RootElement.Clone();
            results.Writer.TryWrite((Stopwatch.GetTimestamp(), json));
            return Task.CompletedTask;
        };
        await client.SubscribeAsync("bench/front/result");

        Console.WriteLine($"| action | runs | median ms | p95 ms | max ms | errors |");
        Console.WriteLine("|---|---:|---:|---:|---:|---:|");
        foreach (var t in triggers)
        {
            var times = new List<double>();
            var errors = 0;
            for (var i = 0; i < runs + 3; i++)
            {
                var t0 = Stopwatch.GetTimestamp();
                // The moment goes through its command topic, the only door that sets before/after (5 s before, nothing after).
                var (topic, payload) = t.Action == RenderKind.Moment
                    ? ("bench/front/moment/set", "{\"before\":5,\"after\":0}")
                    : (t.Topic, "{\"action\":\"single\"}");
                await client.PublishAsync(new MqttApplicationMessageBuilder().WithTopic(topic).WithPayload(payload).Build());
                using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
                var (at, json) = await results.Reader.ReadAsync(cts.Token);
                if (json.GetProperty("status").GetString() != "ok") errors++;
                if (i >= 3) times.Add(Stopwatch.GetElapsedTime(t0, at).TotalMilliseconds); // first 3: warm-up
            }
            times.Sort();
            Console.WriteLine($"| {t.Action.ToString().ToLowerInvariant()} | {times.Count} | {times[times.Count / 2]:0} | {times[(int)Math.Ceiling(times.Count * 0.95) - 1]:0} | {times[^1]:0} | {errors} |");
        }
        await app.StopAsync();
        mosquitto.Kill();
        try { Directory.Delete(dir, true); } catch (IOException) { }
    }

    internal static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }
}
