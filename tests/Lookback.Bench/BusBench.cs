using System.Buffers;
using System.Diagnostics;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Lookback.Config;
using Lookback.Hosting;
using Lookback.Mqtt.Nodes;
using MQTTnet;
using MQTTnet.Protocol;

namespace Lookback.Bench;

/// <summary>
/// The bus: `bus [--nodes 20] [--cameras 32] [--seconds 20] [--requests 200]` simulated nodes against one real mosquitto,
/// each one MQTT client speaking the real topics as a node does: retained online/last will and announcement, per camera
/// availability, <c>P/&lt;cam&gt;/state</c> every 5 s and a 640 px retained snapshot every 10 s (the rates a node
/// publishes, see `scale`), the subscriptions of a real node (commands, node topics, the bus view's state and
/// availability), and a result (plus the MQTT 5 response) for every command at once (no render: bus latency only).
/// One real Lookback node ("viewer", bus view on) asks snapshots of random cameras of every node through its
/// <c>POST /api/bus/{node}/{cam}/snapshot</c>; a plain MQTT 5 client asks the same directly (response topic).
/// Prints messages/s and bytes/s at the broker ($SYS counters), the broker's CPU, and command → result p50/p95.
/// </summary>
[Bench("bus")]
public static class BusBench
{
    private const string P = "lookback";

    public static async Task RunAsync(string[] args)
    {
        var nodes = PipelineBench.Arg(args, "--nodes", 20);
        var perNode = PipelineBench.Arg(args, "--cameras", 32);
        var seconds = PipelineBench.Arg(args, "--seconds", 20);
        var requests = PipelineBench.Arg(args, "--requests", 200);
        using var broker = BenchBroker.Start();
        // what a node publishes: a drawn 768x576 demo frame fitted for MQTT (640 px wide)
        using var scene = new Lookback.Imaging.DemoScene();
        var snapshot = Lookback.Imaging.Jpeg.FitForMqtt(scene.RenderJpeg(DateTimeOffset.UtcNow, 768, 576, "bench"));

        var sims = new List<SimNode>();
        for (var n = 0; n < nodes; n++) sims.Add(await SimNode.StartAsync(broker.Port, $"sim{n:00}", perNode, snapshot));
        var dir = Directory.CreateTempSubdirectory("lookback-busbench-").FullName;
        await using var viewer = LookbackHost.Build(new LookbackOptions
        {
            NodeId = "viewer", LogLevel = "warning", Cameras = [],
            Mqtt = new MqttOptions { Host = "127.0.0.1", Port = broker.Port },
            Http = new HttpOptions { Listen = "127.0.0.1", Port = 0 },
            Storage = new StorageOptions { Path = Path.Combine(dir, "media") },
        }, new HostSettings());
        await viewer.StartAsync();
        using var http = new HttpClient { BaseAddress = viewer.BaseAddress, Timeout = TimeSpan.FromSeconds(60) };
        var view = (BusView)viewer.Services.GetService(typeof(BusView))!;
        var sw = Stopwatch.StartNew();
        while (view.State.Nodes.Nodes.Count(x => x.Online && x.Announcement != null) < nodes + 1 && sw.Elapsed < TimeSpan.FromSeconds(60)) await Task.Delay(100);
        await Task.Delay(TimeSpan.FromSeconds(6)); // every camera's first state, snapshots spread out

        using var sys = await SysCounters.StartAsync(broker.Port);
        await Task.Delay(TimeSpan.FromSeconds(2));
        var s0 = sys.Snapshot(); var c0 = broker.CpuSeconds(); var p0 = SimNode.Published; var t0 = Stopwatch.StartNew();
        await Task.Delay(TimeSpan.FromSeconds(seconds));
        var s1 = sys.Snapshot(); var c1 = broker.CpuSeconds(); var p1 = SimNode.Published; var wall = t0.Elapsed.TotalSeconds;

        var cams = nodes * perNode;
        var rnd = new Random(7);
        var targets = Enumerable.Range(0, requests).Select(_ => (Node: rnd.Next(nodes), Cam: rnd.Next(perNode))).ToArray();
        var viaHttp = await TimeAllAsync(targets, 4, async t =>
        {
            using var r = await http.PostAsync($"/api/bus/sim{t.Node:00}/sim{t.Node:00}_c{t.Cam:00}/snapshot", null);
            var j = await r.Content.ReadFromJsonAsync<JsonObject>();
            if (!r.IsSuccessStatusCode || (string?)j?["status"] != "ok") throw new InvalidOperationException($"bus command failed: {(int)r.StatusCode} {j}");
        });
        using var direct = await DirectRequester.StartAsync(broker.Port);
        var viaMqtt = await TimeAllAsync(targets, 4, t => direct.AskAsync($"sim{t.Node:00}_c{t.Cam:00}"));

        Console.WriteLine($"Shared, loaded 2-core machine (other sessions running); {seconds} s window; figures are indicative.");
        Console.WriteLine($"| {nodes} simulated nodes x {perNode} cameras = {cams} cameras, 1 real viewer node, 1 mosquitto 2.0 | value |");
        Console.WriteLine("|---|---:|");
        Console.WriteLine($"| PUBLISH messages/s into the broker (counted at the simulated nodes) | {(p1 - p0) / wall:0} |");
        Console.WriteLine($"| PUBLISH messages/s out of the broker (fan-out to {nodes + 1} nodes' subscriptions) | {(s1.Sent - s0.Sent) / wall:0} |");
        Console.WriteLine($"| MQTT packets/s in / out (PUBLISH, PUBACK, ...) | {(s1.PacketsIn - s0.PacketsIn) / wall:0} / {(s1.PacketsOut - s0.PacketsOut) / wall:0} |");
        Console.WriteLine($"| retained snapshot size (bytes) | {snapshot.Length} |");
        Console.WriteLine($"| KB/s into / out of the broker | {(s1.BytesIn - s0.BytesIn) / 1024.0 / wall:0} / {(s1.BytesOut - s0.BytesOut) / 1024.0 / wall:0} |");
        Console.WriteLine($"| PUBLISH messages into the broker per camera-minute | {(p1 - p0) / wall * 60 / cams:0.0} |");
        Console.WriteLine($"| broker CPU (% of one core) | {(c1 - c0) / wall * 100:0.0} |");
        Console.WriteLine($"| command → result via the viewer's HTTP endpoint, p50 / p95 (ms, {requests} requests, 4 at once) | {viaHttp.P50:0.0} / {viaHttp.P95:0.0} |");
        Console.WriteLine($"| command → result over MQTT 5 directly (response topic), p50 / p95 (ms) | {viaMqtt.P50:0.0} / {viaMqtt.P95:0.0} |");
        Console.WriteLine($"| viewer's bus view: nodes / camera states kept | {view.State.Nodes.Nodes.Count} / {view.State.CameraStateCount} |");
        Console.WriteLine($"| simulated nodes' publishes that timed out (whole run) | {SimNode.Failed} |");

        await viewer.StopAsync();
        foreach (var s in sims) s.Dispose();
        try { Directory.Delete(dir, true); } catch (IOException) { }
    }

    private static async Task<(double P50, double P95)> TimeAllAsync<T>(IReadOnlyList<T> items, int parallel, Func<T, Task> run)
    {
        var times = new System.Collections.Concurrent.ConcurrentBag<double>();
        await Parallel.ForEachAsync(items, new ParallelOptions { MaxDegreeOfParallelism = parallel }, async (item, _) =>
        {
            var sw = Stopwatch.StartNew();
            await run(item);
            times.Add(sw.Elapsed.TotalMilliseconds);
        });
        var sorted = times.Order().ToArray();
        return (sorted[sorted.Length / 2], sorted[(int)(sorted.Length * 0.95)]);
    }

    /// <summary>One simulated node: one MQTT client, the real topics, a result for every command at once.</summary>
    private sealed class SimNode : IDisposable
    {
        private readonly IMqttClient _c = new MqttClientFactory().CreateMqttClient();
        private readonly string _node;
        private readonly string[] _cams;
        private readonly byte[] _snapshot;
        private readonly CancellationTokenSource _cts = new();
        private static long _published;
        public static long Published => Interlocked.Read(ref _published);

        private SimNode(string node, int cameras, byte[] snapshot)
        {
            _node = node; _snapshot = snapshot;
            _cams = [.. Enumerable.Range(0, cameras).Select(i => $"{node}_c{i:00}")];
        }

        public static async Task<SimNode> StartAsync(int port, string node, int cameras, byte[] snapshot)
        {
            var s = new SimNode(node, cameras, snapshot);
            s._c.ApplicationMessageReceivedAsync += s.OnMessageAsync;
            await s._c.ConnectAsync(new MqttClientOptionsBuilder().WithTcpServer("127.0.0.1", port).WithClientId("lookback-" + node)
                .WithProtocolVersion(MQTTnet.Formatter.MqttProtocolVersion.V500).WithKeepAlivePeriod(TimeSpan.FromSeconds(30))
                .WithWillTopic($"{P}/nodes/{node}").WithWillPayload("offline").WithWillRetain(true)
                .WithWillQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).Build());
            var sub = new MqttClientSubscribeOptionsBuilder();
            foreach (var f in new[] { $"{P}/nodes/+", $"{P}/nodes/+/cameras", $"{P}/+/snapshot/set", $"{P}/+/gif/set", $"{P}/+/moment/set",
                         $"{P}/+/motion/set", $"{P}/+/motion_threshold/set", "homeassistant/status", $"{P}/+/state", $"{P}/+/availability", $"{P}/nodes/{node}/responses" })
                sub = sub.WithTopicFilter(f, MqttQualityOfServiceLevel.AtLeastOnce);
            await s._c.SubscribeAsync(sub.Build());
            await s.PublishAsync($"{P}/nodes/{node}", Encoding.UTF8.GetBytes("online"), true);
            var a = new NodeAnnouncement
            {
                Node = node, Version = "bench", Nonce = NodeAnnouncement.NewNonce(), Started = DateTimeOffset.UtcNow, PublicUrl = $"http://{node}:8099",
                Cameras = [.. s._cams.Select(c => new AnnouncedCamera(c, c, "mjpeg"))],
            };
            await s.PublishAsync($"{P}/nodes/{node}/cameras", Encoding.UTF8.GetBytes(a.ToJson()), true);
            foreach (var c in s._cams) await s.PublishAsync($"{P}/{c}/availability", "online"u8.ToArray(), true);
            _ = s.LoopAsync();
            return s;
        }

        /// <summary>Every 100 ms: the cameras whose state (5 s) or snapshot (10 s) is due, spread evenly.</summary>
        private async Task LoopAsync()
        {
            using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(100));
            var tick = Random.Shared.Next(100);
            try
            {
                while (await timer.WaitForNextTickAsync(_cts.Token))
                {
                    tick++;
                    for (var i = 0; i < _cams.Length; i++)
                    {
                        if ((tick + i * 50 / _cams.Length) % 50 == 0) await PublishAsync($"{P}/{_cams[i]}/state", State(), true);
                        if ((tick + i * 100 / _cams.Length) % 100 == 0) await PublishAsync($"{P}/{_cams[i]}/snapshot", _snapshot, true);
                    }
                }
            }
            catch (OperationCanceledException) { }
            catch (Exception ex) { Console.Error.WriteLine($"{_node}: {ex.Message}"); }
        }

        private static byte[] State() => JsonSerializer.SerializeToUtf8Bytes(new JsonObject
        {
            ["status"] = "online", ["fps"] = 5.0, ["buffered_seconds"] = 6.0, ["buffered_frames"] = 30,
            ["last_frame_at"] = DateTimeOffset.UtcNow.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'"), ["last_error"] = null,
            ["last_error_at"] = null,
            ["motion"] = new JsonObject { ["enabled"] = true, ["threshold"] = 25, ["min_area"] = 0.1, ["fps"] = 5, ["off_delay"] = 10 },
        });

        private async Task PublishAsync(string topic, byte[] payload, bool retain, string? responseTopic = null, byte[]? correlation = null)
        {
            var b = new MqttApplicationMessageBuilder().WithTopic(topic).WithPayload(payload).WithRetainFlag(retain)
                .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce);
            if (responseTopic != null) b = b.WithCorrelationData(correlation);
            try
            {
                await _c.PublishAsync(b.Build(), _cts.Token);
                Interlocked.Increment(ref _published);
            }
            catch (Exception ex) when (ex is not OperationCanceledException) { Interlocked.Increment(ref _failed); }
        }

        private static long _failed;
        public static long Failed => Interlocked.Read(ref _failed);

        private Task OnMessageAsync(MqttApplicationMessageReceivedEventArgs e)
        {
            var m = e.ApplicationMessage;
            if (!m.Topic.EndsWith("/set", StringComparison.Ordinal)) return Task.CompletedTask;
            var parts = m.Topic.Split('/');
            if (parts.Length != 4 || Array.IndexOf(_cams, parts[1]) < 0) return Task.CompletedTask;
            var rid = (string?)(JsonNode.Parse(m.Payload.IsEmpty ? "{}"u8.ToArray() : m.Payload.ToArray()) as JsonObject)?["request_id"];
            var result = JsonSerializer.SerializeToUtf8Bytes(new JsonObject
            {
                ["request_id"] = rid, ["camera"] = parts[1], ["kind"] = parts[2], ["status"] = "ok", ["node"] = _node,
                ["url"] = $"http://{_node}:8099/media/{parts[1]}/2026-12-03/000000.000-snapshot.jpg", ["elapsed_ms"] = 0,
            });
            _ = Task.Run(async () =>
            {
                await PublishAsync($"{P}/{parts[1]}/result", result, false);
                if (!string.IsNullOrEmpty(m.ResponseTopic)) await PublishAsync(m.ResponseTopic, result, false, m.ResponseTopic, m.CorrelationData);
            });
            return Task.CompletedTask;
        }

        public void Dispose()
        {
            _cts.Cancel();
            _c.Dispose(); // no DISCONNECT: the broker publishes each node's last will, as after a crash
        }
    }

    /// <summary>A plain MQTT 5 client asking snapshots with a response topic and correlation data.</summary>
    private sealed class DirectRequester : IDisposable
    {
        private readonly IMqttClient _c = new MqttClientFactory().CreateMqttClient();
        private readonly System.Collections.Concurrent.ConcurrentDictionary<string, TaskCompletionSource> _pending = new();
        private const string Reply = "bench/direct/reply";

        public static async Task<DirectRequester> StartAsync(int port)
        {
            var d = new DirectRequester();
            d._c.ApplicationMessageReceivedAsync += e =>
            {
                var id = e.ApplicationMessage.CorrelationData is { } c ? Encoding.UTF8.GetString(c) : "";
                if (d._pending.TryRemove(id, out var t)) t.TrySetResult();
                return Task.CompletedTask;
            };
            await d._c.ConnectAsync(new MqttClientOptionsBuilder().WithTcpServer("127.0.0.1", port).WithClientId("bench-direct")
                .WithProtocolVersion(MQTTnet.Formatter.MqttProtocolVersion.V500).Build());
            await d._c.SubscribeAsync(Reply);
            return d;
        }

        public async Task AskAsync(string cam)
        {
            var id = Guid.NewGuid().ToString("N")[..12];
            var tcs = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _pending[id] = tcs;
            await _c.PublishAsync(new MqttApplicationMessageBuilder().WithTopic($"{P}/{cam}/snapshot/set")
                .WithPayload($"{{\"request_id\":\"{id}\"}}").WithResponseTopic(Reply).WithCorrelationData(Encoding.UTF8.GetBytes(id))
                .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).Build());
            await tcs.Task.WaitAsync(TimeSpan.FromSeconds(30));
        }

        public void Dispose() => _c.Dispose();
    }

    /// <summary>mosquitto's $SYS message and byte counters (published every sys_interval).</summary>
    private sealed class SysCounters : IDisposable
    {
        private readonly IMqttClient _c = new MqttClientFactory().CreateMqttClient();
        private readonly Dictionary<string, long> _v = new();

        public record struct Values(long Sent, long BytesIn, long BytesOut, long PacketsIn, long PacketsOut);

        public static async Task<SysCounters> StartAsync(int port)
        {
            var s = new SysCounters();
            s._c.ApplicationMessageReceivedAsync += e =>
            {
                if (long.TryParse(Encoding.ASCII.GetString(e.ApplicationMessage.Payload), out var v)) lock (s._v) s._v[e.ApplicationMessage.Topic] = v;
                return Task.CompletedTask;
            };
            await s._c.ConnectAsync(new MqttClientOptionsBuilder().WithTcpServer("127.0.0.1", port).WithClientId("bench-sys").Build());
            await s._c.SubscribeAsync("$SYS/broker/messages/+");
            await s._c.SubscribeAsync("$SYS/broker/publish/messages/+");
            await s._c.SubscribeAsync("$SYS/broker/bytes/+");
            return s;
        }

        public Values Snapshot()
        {
            lock (_v)
                return new Values(_v.GetValueOrDefault("$SYS/broker/publish/messages/sent"),
                    _v.GetValueOrDefault("$SYS/broker/bytes/received"), _v.GetValueOrDefault("$SYS/broker/bytes/sent"),
                    _v.GetValueOrDefault("$SYS/broker/messages/received"), _v.GetValueOrDefault("$SYS/broker/messages/sent"));
        }

        public void Dispose() => _c.Dispose();
    }
}
