using System.Diagnostics;
using System.Text.Json;
using Lookback.Tests.Mqtt;
using Lookback.Tests.Sources;
using Xunit.Abstractions;

namespace Lookback.Tests.Hosting;

/// <summary>
/// Several real <c>lookback</c> processes on one real mosquitto, all with a camera <c>entrance</c> (the same MJPEG test
/// camera): one serves it, the other waits on standby; kill -9 and SIGSTOP failover, restart hand-back, node_id clash.
/// Each test has its own broker (retained values of one test never reach another).
/// </summary>
public sealed class SeveralNodesTests(ITestOutputHelper output)
{
    private const int KeepAlive = 2;
    /// <summary>The stated takeover bound: keepalive × 1.5 + 2 s.</summary>
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(KeepAlive * 1.5 + 2);
    private static readonly TimeSpan T = TimeSpan.FromSeconds(30);

    private static string Config(int brokerPort, string node, string cameraUrl, string extraNode = "", string entranceExtra = "",
        bool spareCamera = false) => $"""
        node_id: {node}
        log_level: info
        {extraNode}
        mqtt:
          host: 127.0.0.1
          port: {brokerPort}
          keepalive: {KeepAlive}
        timelapse:
          enabled: false
        cameras:
          entrance:
            name: Entrance
            url: {cameraUrl}
            kind: mjpeg
            interval: 0.2
            store: 50
            motion:
              enabled: false
            {entranceExtra}
        {(spareCamera ? $"""
          {node}_own:
            url: {cameraUrl}
            kind: mjpeg
            interval: 0.5
            store: 10
            motion:
              enabled: false
        """ : "")}
        """;

    private static string? NodeOf(Seen s) => s.Json.TryGetProperty("node", out var n) ? n.GetString() : null;
    private static string? RequestOf(Seen s) => s.Json.TryGetProperty("request_id", out var r) ? r.GetString() : null;

    /// <summary>
    /// node <paramref name="b"/> handles MQTT messages in order: once it answered a command for its own camera sent
    /// after the others, it has seen them all. Then it must have rendered nothing for entrance.
    /// </summary>
    private static async Task AssertRenderedNothingForEntranceAsync(Observer obs, LookbackProcess b, string node, string barrierId)
    {
        await obs.PublishAsync($"lookback/{node}_own/gif/set", $$"""{"request_id":"{{barrierId}}","seconds":3,"fps":2,"width":160}""");
        obs.WaitFor($"lookback/{node}_own/result", s => RequestOf(s) == barrierId, T);
        var render = (await b.GetJsonAsync("/api/status")).GetProperty("render");
        Assert.DoesNotContain(render.GetProperty("counters").EnumerateArray(), c => c.GetProperty("camera").GetString() == "entrance");
        Assert.Equal(0, render.GetProperty("queued").GetInt32() + render.GetProperty("running").GetInt32());
    }

    /// <summary>One test's bus: its own mosquitto, the MJPEG test camera every node uses, and an observer of everything.</summary>
    private sealed class Bus : IAsyncDisposable
    {
        public Mosquitto Broker { get; } = new();
        public TestCameraServer Camera { get; private set; } = null!;
        public Observer Obs { get; private set; } = null!;

        public static async Task<Bus> StartAsync()
        {
            var bus = new Bus();
            bus.Camera = await TestCameraServer.StartAsync();
            bus.Obs = await Observer.ConnectAsync(bus.Broker.Port, "lookback/#", "homeassistant/device/+/config");
            return bus;
        }

        public string Config(string node, string extraNode = "", string entranceExtra = "", bool spareCamera = false) =>
            SeveralNodesTests.Config(Broker.Port, node, Camera.MjpegUrl(5), extraNode, entranceExtra, spareCamera);

        /// <summary>Starts the first node and waits until it serves entrance.</summary>
        public async Task<LookbackProcess> StartServingAsync(string config, string? storage = null)
        {
            var p = await LookbackProcess.StartAsync(config, storage);
            Obs.WaitFor("lookback/entrance/availability", s => s.Text == "online", T);
            return p;
        }

        public async ValueTask DisposeAsync()
        {
            await Obs.DisposeAsync();
            await Camera.DisposeAsync();
            Broker.Dispose();
        }
    }

    [Fact]
    public async Task Two_nodes_with_the_same_slug_give_one_result_per_command_and_the_other_camera_is_on_standby()
    {
        await using var bus = await Bus.StartAsync();
        var obs = bus.Obs;
        await using var a = await bus.StartServingAsync(bus.Config("node_a"));
        await using var b = await LookbackProcess.StartAsync(bus.Config("node_d", spareCamera: true));
        await b.WaitStatusAsync("entrance", "standby", T);

        var cam = await b.CameraAsync("entrance");
        Assert.Equal("standby: node_a serves entrance", cam.GetProperty("standby_reason").GetString());
        Assert.Equal("node_a", cam.GetProperty("active_node").GetString());
        Assert.Equal("online", (await a.CameraAsync("entrance")).GetProperty("status").GetString());
        Assert.Equal("online", (await b.CameraAsync("node_d_own")).GetProperty("status").GetString());
        // the log says it once; Home Assistant's diagnostics of node_d say it too
        await Wait.UntilAsync(() => b.CountLines("standby: node_a serves entrance") == 1, T, "the standby line in node_d's log");
        obs.WaitFor("lookback/nodes/node_d/state", s => s.Text.Contains("standby: node_a serves entrance"), T);
        // the announcement (retained)
        var ann = obs.WaitFor("lookback/nodes/node_d/cameras").Json;
        Assert.Equal(["entrance", "node_d_own"], ann.GetProperty("cameras").EnumerateArray().Select(c => c.GetProperty("slug").GetString()));
        Assert.Equal($"http://127.0.0.1:{b.HttpPort}", ann.GetProperty("public_url").GetString());
        Assert.Equal(16, ann.GetProperty("nonce").GetString()!.Length);

        // frames in node_a's ring, then commands: one result each, all from node_a
        await Wait.UntilAsync(() => a.CameraAsync("entrance").Result.GetProperty("buffered_frames").GetInt32() >= 5, T, "frames");
        for (var i = 0; i < 3; i++)
            await obs.PublishAsync("lookback/entrance/gif/set", $$"""{"request_id":"two-{{i}}","seconds":3,"fps":2,"width":160}""");
        await obs.PublishAsync("lookback/entrance/snapshot/set", """{"request_id":"two-snap"}""");
        obs.WaitForCount(s => s.Topic == "lookback/entrance/result", 4, T);
        await AssertRenderedNothingForEntranceAsync(obs, b, "node_d", "barrier-1");
        var results = obs.On("lookback/entrance/result");
        Assert.Equal(["two-0", "two-1", "two-2", "two-snap"], results.Select(RequestOf).Order());
        Assert.All(results, r => Assert.Equal("node_a", NodeOf(r)));
        Assert.Equal("ok", results.Single(r => RequestOf(r) == "two-snap").Json.GetProperty("status").GetString());
        Assert.All(obs.On("lookback/entrance/event"), e => Assert.Equal("node_a", NodeOf(e)));
        // only node_a's device for entrance in Home Assistant
        Assert.DoesNotContain(obs.On("homeassistant/device/node_d_entrance/config"), s => s.Payload.Length > 0);
        Assert.Contains(obs.On("homeassistant/device/node_a_entrance/config"), s => s.Payload.Length > 0);
    }

    [Fact]
    public async Task Kill_9_of_the_active_node_the_spare_answers_within_the_bound_and_the_restart_takes_it_back()
    {
        await using var bus = await Bus.StartAsync();
        var obs = bus.Obs;
        var storageA = Directory.CreateTempSubdirectory("lookback-node-a-").FullName;
        var configA = bus.Config("node_a", extraNode: "failover_priority: 10");
        var a = await bus.StartServingAsync(configA, storageA);
        await using var b = await LookbackProcess.StartAsync(bus.Config("node_b", entranceExtra: "standby: true", spareCamera: true));
        await b.WaitStatusAsync("entrance", "standby", T);
        Assert.DoesNotContain("WRN", string.Join("\n", b.Output.Split('\n').Where(l => l.Contains("standby: node_a"))));
        await Wait.UntilAsync(() => b.CameraAsync("entrance").Result.GetProperty("buffered_frames").GetInt32() >= 5, T, "spare's frames");

        // kill -9: gif/set every 200 ms until one is answered
        var sent = new List<(string Id, TimeSpan At)>();
        var killed = Stopwatch.StartNew();
        a.Kill9();
        Seen? first = null;
        for (var i = 0; first is null && killed.Elapsed < T; i++)
        {
            var id = $"after-kill-{i}";
            sent.Add((id, killed.Elapsed));
            await obs.PublishAsync("lookback/entrance/gif/set", $$"""{"request_id":"{{id}}","seconds":3,"fps":2,"width":160}""");
            try { first = obs.WaitFor(s => s.Topic == "lookback/entrance/result" && RequestOf(s)?.StartsWith("after-kill-") == true, TimeSpan.FromMilliseconds(200)); }
            catch (TimeoutException) { }
        }
        Assert.NotNull(first);
        var answeredAt = killed.Elapsed;
        var takenOverBy = sent.First(s => s.Id == RequestOf(first!)).At;
        output.WriteLine($"kill -9: first answered command sent {takenOverBy.TotalMilliseconds:0} ms after the kill, result after {answeredAt.TotalMilliseconds:0} ms (bound {Bound.TotalSeconds} s)");
        Assert.Equal(("node_b", "ok"), (NodeOf(first!), first!.Json.GetProperty("status").GetString()));
        Assert.True(takenOverBy <= Bound, $"taken over after {takenOverBy.TotalSeconds:0.0} s");
        await b.WaitStatusAsync("entrance", "online", T);
        var added = obs.WaitFor("homeassistant/device/node_b_entrance/config", s => s.Payload.Length > 0, T).Index;

        // restart node_a: it serves entrance again, node_b is back on standby, one result per command
        await a.DisposeAsync();
        await using var a2 = await LookbackProcess.StartAsync(configA, storageA);
        await b.WaitStatusAsync("entrance", "standby", T);
        await a2.WaitStatusAsync("entrance", "online", T);
        await Wait.UntilAsync(() => a2.CameraAsync("entrance").Result.GetProperty("buffered_frames").GetInt32() >= 5, T, "frames after the restart");
        // the spare removed its device again; node_a's is back
        obs.WaitFor("homeassistant/device/node_b_entrance/config", s => s.Payload.Length == 0 && s.Index > added, T);
        obs.Clear();
        for (var i = 0; i < 3; i++)
            await obs.PublishAsync("lookback/entrance/gif/set", $$"""{"request_id":"back-{{i}}","seconds":3,"fps":2,"width":160}""");
        obs.WaitForCount(s => s.Topic == "lookback/entrance/result", 3, T);
        var countersBefore = (await b.GetJsonAsync("/api/status")).GetProperty("render").GetProperty("counters").EnumerateArray()
            .Where(c => c.GetProperty("camera").GetString() == "entrance").Sum(c => c.GetProperty("ok").GetInt64() + c.GetProperty("error").GetInt64());
        await obs.PublishAsync("lookback/node_b_own/gif/set", """{"request_id":"barrier-2","seconds":3,"fps":2,"width":160}""");
        obs.WaitFor("lookback/node_b_own/result", s => RequestOf(s) == "barrier-2", T);
        var countersAfter = (await b.GetJsonAsync("/api/status")).GetProperty("render").GetProperty("counters").EnumerateArray()
            .Where(c => c.GetProperty("camera").GetString() == "entrance").Sum(c => c.GetProperty("ok").GetInt64() + c.GetProperty("error").GetInt64());
        Assert.Equal(countersBefore, countersAfter);                   // node_b rendered none of them
        var back = obs.On("lookback/entrance/result");
        Assert.Equal(["back-0", "back-1", "back-2"], back.Select(RequestOf).Order());
        Assert.All(back, r => Assert.Equal("node_a", NodeOf(r)));
        Directory.Delete(storageA, true);
    }

    [Fact]
    public async Task A_frozen_node_is_replaced_within_the_keepalive_bound()
    {
        await using var bus = await Bus.StartAsync();
        var obs = bus.Obs;
        await using var a = await bus.StartServingAsync(bus.Config("node_a"));
        await using var b = await LookbackProcess.StartAsync(bus.Config("node_b", entranceExtra: "standby: true"));
        await b.WaitStatusAsync("entrance", "standby", T);

        // SIGSTOP: the TCP connection stays open, the broker publishes the last will after 1.5 × keepalive
        var frozen = Stopwatch.StartNew();
        a.Freeze();
        obs.WaitFor("lookback/nodes/node_a", s => s.Text == "offline", T);
        var will = frozen.Elapsed;
        await b.WaitStatusAsync("entrance", "online", T);
        var takeover = frozen.Elapsed;
        output.WriteLine($"SIGSTOP: last will after {will.TotalMilliseconds:0} ms, node_b serves entrance after {takeover.TotalMilliseconds:0} ms (bound {Bound.TotalSeconds} s)");
        // The broker's part is its last-will delay (MQTT: 1.5 × keepalive; mosquitto 2.0 takes longer, see the output);
        // ours, from the will to serving, is the "+ 2 s" of the bound.
        Assert.True(takeover - will <= TimeSpan.FromSeconds(2), $"taken over {(takeover - will).TotalSeconds:0.0} s after the last will");
        // the frozen node resumes: it reconnects, announces again and serves entrance; node_b steps back
        a.Resume();
        await b.WaitStatusAsync("entrance", "standby", T);
        await a.WaitStatusAsync("entrance", "online", T);
    }

    [Fact]
    public async Task A_second_process_with_the_same_node_id_refuses_its_mqtt_side_and_http_still_serves()
    {
        await using var bus = await Bus.StartAsync();
        var obs = bus.Obs;
        await using var a = await bus.StartServingAsync(bus.Config("node_a"));
        await using var twin = await LookbackProcess.StartAsync(bus.Config("node_a"));
        JsonElement mqtt = default;
        await Wait.UntilAsync(() => (mqtt = twin.GetJsonAsync("/api/status").Result.GetProperty("mqtt")).GetProperty("state").GetString() == "refused",
            T, "the twin refuses MQTT");
        var error = mqtt.GetProperty("error").GetString()!;
        Assert.Contains("node_id 'node_a' is already used by another running Lookback", error);
        Assert.Contains($"at http://127.0.0.1:{a.HttpPort}", error);          // names the other process
        await Wait.UntilAsync(() => twin.CountLines("node_id 'node_a' is already used") == 1, T, "the clash in the twin's log");
        Assert.Contains("ERR", twin.Output.Split('\n').First(l => l.Contains("node_id 'node_a' is already used")));
        // its HTTP side serves: cameras and frames
        await twin.WaitStatusAsync("entrance", "online", T);
        Assert.Equal(System.Net.HttpStatusCode.OK, (await twin.Http.GetAsync("/api/cameras/entrance/snapshot.jpg")).StatusCode);
        Assert.Equal("node_a", (await a.GetJsonAsync("/api/status")).GetProperty("mqtt").GetProperty("node_id").GetString());
        Assert.Equal("connected", (await a.GetJsonAsync("/api/status")).GetProperty("mqtt").GetProperty("state").GetString());
        // the first is undisturbed: one answer per command, no reconnect
        await obs.PublishAsync("lookback/entrance/snapshot/set", """{"request_id":"clash-1"}""");
        obs.WaitFor("lookback/entrance/result", s => RequestOf(s) == "clash-1", T);
        await obs.PublishAsync("lookback/entrance/snapshot/set", """{"request_id":"clash-2"}""");
        obs.WaitFor("lookback/entrance/result", s => RequestOf(s) == "clash-2", T);
        Assert.Single(obs.On("lookback/entrance/result"), s => RequestOf(s) == "clash-1");
        Assert.Equal(1, a.CountLines("MQTT: connected to"));
        Assert.Equal(0, twin.CountLines("MQTT: connected to 127.0.0.1"));
        Assert.DoesNotContain(obs.All, s => s.Topic == "lookback/nodes/node_a" && s.Text == "offline");
    }
}
