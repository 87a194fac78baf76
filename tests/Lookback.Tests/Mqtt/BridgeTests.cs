using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Lookback.Cameras;
using Lookback.Config;
using Lookback.Events;
using Lookback.Mqtt;
using Lookback.Media.Rendering;
using Xunit.Abstractions;
using Lookback.Media.Storage;

namespace Lookback.Tests.Mqtt;

/// <summary>The whole bridge against a real mosquitto, with fake cameras and renderer. Each test uses its own node/cameras.</summary>
public class BridgeTests(MosquittoFixture fx, ITestOutputHelper output) : IClassFixture<MosquittoFixture>
{
    private int Port => fx.Broker.Port;

    [Fact]
    public async Task Publishes_valid_discovery_states_and_republishes_on_birth()
    {
        await using var obs = await Observer.ConnectAsync(Port, "homeassistant/device/#", "lookback/#");
        await using var h = await new BridgeHost(Port, "disc", ["disc_a", "disc_b"]).StartAsync();
        var ids = new HashSet<string>();
        foreach (var topic in new[] { "homeassistant/device/disc_disc_a/config", "homeassistant/device/disc_disc_b/config", "homeassistant/device/lookback_disc/config" })
            DiscoveryTests.Validate(topic, obs.WaitFor(topic, s => s.Retain || true).Payload, ids, "disc");
        Assert.Equal("online", obs.WaitFor("lookback/nodes/disc").Text);
        Assert.Equal("online", obs.WaitFor("lookback/disc_a/availability").Text);
        Assert.Equal("OFF", obs.WaitFor("lookback/disc_a/motion").Text);
        var state = obs.WaitFor("lookback/disc_a/state").Json;
        Assert.True(state.GetProperty("motion").GetProperty("enabled").GetBoolean());
        Assert.Equal("1.2.3", obs.WaitFor("lookback/nodes/disc/state").Json.GetProperty("version").GetString());
        var announced = obs.WaitFor("lookback/nodes/disc/cameras").Json;
        Assert.Equal(["disc_a", "disc_b"], announced.GetProperty("cameras").EnumerateArray().Select(e => e.GetProperty("slug").GetString()!));
        Assert.Equal(h.Bridge.Nonce, announced.GetProperty("nonce").GetString());

        // Retained: a late subscriber (Home Assistant starting later) gets the configs.
        await using (var late = await Observer.ConnectAsync(Port, "homeassistant/device/disc_disc_a/config"))
            Assert.True(late.WaitFor("homeassistant/device/disc_disc_a/config").Retain);

        obs.Clear();
        await obs.PublishAsync("homeassistant/status", "online");
        obs.WaitFor("homeassistant/device/disc_disc_a/config");
        obs.WaitFor("homeassistant/device/lookback_disc/config");
        obs.WaitFor("lookback/disc_a/availability");
        obs.WaitFor("lookback/disc_a/state");
        Assert.True(h.Bridge.BirthRepublishes >= 1);
    }

    [Fact]
    public async Task Command_gets_a_result_with_its_request_id_response_topic_and_event()
    {
        await using var obs = await Observer.ConnectAsync(Port, "lookback/cmd_a/#", "replies/#");
        await using var h = await new BridgeHost(Port, "cmd", ["cmd_a"]).StartAsync();
        await obs.PublishAsync("lookback/cmd_a/gif/set", """{"request_id":"abc","seconds":5,"fps":2,"width":320,"speed":2}""");
        var r = obs.WaitFor("lookback/cmd_a/result", s => s.Text.Contains("\"abc\"")).Json;
        Assert.Equal(("ok", "cmd_a", "gif"), (r.GetProperty("status").GetString(), r.GetProperty("camera").GetString(), r.GetProperty("kind").GetString()));
        Assert.StartsWith("http://", r.GetProperty("url").GetString());
        var req = h.Renderer.Requests.Single(q => q.RequestId == "abc");
        Assert.Equal((RenderKind.Gif, RenderOrigin.Mqtt, 5.0, 2.0, 320, 2.0), (req.Kind, req.Origin, req.Seconds!.Value, req.Fps!.Value, req.Width!.Value, req.Speed!.Value));
        var ev = obs.WaitFor("lookback/cmd_a/event", s => s.Text.Contains("gif_ready"));
        Assert.False(ev.Retain);
        Assert.Equal("abc", ev.Json.GetProperty("request_id").GetString());
        Assert.NotNull(ev.Json.GetProperty("media").GetString());

        // MQTT 5 request/response
        await obs.PublishAsync("lookback/cmd_a/snapshot/set", """{"request_id":7}""", responseTopic: "replies/me", correlation: [9, 8, 7]);
        var reply = obs.WaitFor("replies/me");
        Assert.Equal([9, 8, 7], reply.CorrelationData!);
        Assert.Equal("7", reply.Json.GetProperty("request_id").GetString());
        obs.WaitFor("lookback/cmd_a/result", s => s.Text.Contains("\"7\""));
        obs.WaitFor("lookback/cmd_a/event", s => s.Text.Contains("snapshot_ready"));

        // PRESS (a Home Assistant button) and a moment
        await obs.PublishAsync("lookback/cmd_a/moment/set", "PRESS");
        obs.WaitFor("lookback/cmd_a/result", s => s.Text.Contains("\"moment\""));
        obs.WaitFor("lookback/cmd_a/event", s => s.Text.Contains("moment_ready"));
    }

    [Fact]
    public async Task Settings_commands_change_the_camera_and_republish_state()
    {
        await using var obs = await Observer.ConnectAsync(Port, "lookback/set_a/#");
        await using var h = await new BridgeHost(Port, "set", ["set_a"]).StartAsync();
        var changed = 0;
        using var sub = h.Bus.Subscribe<CameraSettingsChanged>(_ => Interlocked.Increment(ref changed));
        await obs.PublishAsync("lookback/set_a/motion/set", "OFF");
        obs.WaitFor("lookback/set_a/state", s => !s.Json.GetProperty("motion").GetProperty("enabled").GetBoolean());
        Assert.False(h.Directory.Cameras[0].MotionEnabled);
        await obs.PublishAsync("lookback/set_a/motion_threshold/set", "42");
        obs.WaitFor("lookback/set_a/state", s => s.Json.GetProperty("motion").GetProperty("threshold").GetInt32() == 42);
        Assert.Equal(42, h.Directory.Cameras[0].MotionThreshold);
        Assert.Equal(2, changed);
        await obs.PublishAsync("lookback/set_a/motion_threshold/set", "300");
        Assert.Contains("payload", obs.WaitFor("lookback/set_a/result", s => s.Text.Contains("error")).Json.GetProperty("error").GetString());
        Assert.Equal(42, h.Directory.Cameras[0].MotionThreshold);
    }

    [Fact]
    public async Task Bad_payloads_get_errors_naming_the_field_and_the_bridge_keeps_working()
    {
        await using var obs = await Observer.ConnectAsync(Port, "lookback/bad_a/result", "lookback/nosuchcam/result");
        await using var h = await new BridgeHost(Port, "bad", ["bad_a"]).StartAsync();
        var junk = new byte[10 * 1024 * 1024];
        new Random(7).NextBytes(junk);
        var cases = new (string Topic, byte[] Payload, string Field)[]
        {
            ("lookback/bad_a/gif/set", "not json"u8.ToArray(), "payload"),
            ("lookback/bad_a/gif/set", """{"seconds":"ten"}"""u8.ToArray(), "seconds"),
            ("lookback/bad_a/gif/set", """{"width":true}"""u8.ToArray(), "width"),
            ("lookback/bad_a/gif/set", """{"fps":1000}"""u8.ToArray(), "fps"),
            ("lookback/bad_a/moment/set", """{"before":-5}"""u8.ToArray(), "before"),
            ("lookback/bad_a/gif/set", """{"request_id":[1]}"""u8.ToArray(), "request_id"),
            ("lookback/bad_a/gif/set", junk, "payload"),
            ("lookback/bad_a/gif/set", [0x7B, 0x22, 0xC3, 0x28, 0x22, 0x7D], "payload"),
            ("lookback/nosuchcam/gif/set", "{}"u8.ToArray(), "unknown camera 'nosuchcam'"),
        };
        foreach (var (topic, payload, field) in cases)
        {
            obs.Clear();
            await obs.PublishAsync(topic, payload);
            var resultTopic = "lookback/" + topic.Split('/')[1] + "/result";
            var r = obs.WaitFor(resultTopic).Json;
            Assert.Equal("error", r.GetProperty("status").GetString());
            Assert.Contains(field, r.GetProperty("error").GetString());
        }
        Assert.Contains(h.Logs.Entries, e => e.Level == Microsoft.Extensions.Logging.LogLevel.Warning && e.Text.Contains("seconds"));
        obs.Clear();
        await obs.PublishAsync("lookback/bad_a/gif/set", """{"request_id":"good"}""");
        Assert.Equal("ok", obs.WaitFor("lookback/bad_a/result").Json.GetProperty("status").GetString());
        Assert.True(h.Bridge.Connection.IsConnected);
    }

    [Fact]
    public async Task Triggers_with_and_without_match_and_doorbell_rings()
    {
        var triggers = new[]
        {
            new TriggerOptions { Topic = "zigbee2mqtt/trg_bell", Match = new Dictionary<string, string> { ["action"] = "single" },
                Cameras = ["trg_a", "trg_b"], Action = RenderKind.Gif, Doorbell = true },
            new TriggerOptions { Topic = "sensors/+/trg_any", Cameras = ["trg_b"], Action = RenderKind.Snapshot },
        };
        await using var obs = await Observer.ConnectAsync(Port, "lookback/trg_a/#", "lookback/trg_b/#");
        await using var h = await new BridgeHost(Port, "trg", ["trg_a", "trg_b"], triggers).StartAsync();

        await obs.PublishAsync("zigbee2mqtt/trg_bell", """{"action":"double"}""");   // no match
        await obs.PublishAsync("sensors/porch/trg_any", "whatever");                  // no match needed
        var snap = obs.WaitFor("lookback/trg_b/result", s => s.Text.Contains("\"snapshot\"")).Json;
        Assert.StartsWith("trigger-", snap.GetProperty("request_id").GetString());
        Assert.DoesNotContain(obs.All, s => s.Text.Contains("ring"));

        await obs.PublishAsync("zigbee2mqtt/trg_bell", """{"action":"single","battery":80}""");
        foreach (var cam in new[] { "trg_a", "trg_b" })
        {
            var ring = obs.WaitFor($"lookback/{cam}/event", s => s.Text.Contains("\"ring\""));
            var result = obs.WaitFor($"lookback/{cam}/result", s => s.Text.Contains("\"gif\""));
            Assert.True(ring.Index < result.Index, "ring before the render result");
            Assert.StartsWith("trigger-", result.Json.GetProperty("request_id").GetString());
            obs.WaitFor($"lookback/{cam}/event", s => s.Text.Contains("gif_ready"));
        }
        Assert.Equal(3, h.Renderer.Requests.Count(r => r.Origin == RenderOrigin.Trigger));
    }

    [Fact]
    public async Task A_renders_outcome_leaves_once_whichever_door_asked()
    {
        var triggers = new[] { new TriggerOptions { Topic = "sensors/one_bell", Cameras = ["one_a"], Action = RenderKind.Moment } };
        await using var obs = await Observer.ConnectAsync(Port, "lookback/one_a/#", "answers/one");
        await using var h = await new BridgeHost(Port, "one", ["one_a"], triggers).StartAsync();

        // an MQTT command (with an MQTT 5 response topic), a trigger, an HTTP render and a motion event's render
        await obs.PublishAsync("lookback/one_a/gif/set", """{"request_id":"cmd-1"}""", responseTopic: "answers/one", correlation: [7]);
        await obs.PublishAsync("sensors/one_bell", "{}");
        await h.Renderer.SubmitAsync(new RenderRequest { Camera = "one_a", Kind = RenderKind.Snapshot, Origin = RenderOrigin.Http, RequestId = "http-1" }, default);
        await h.Renderer.SubmitAsync(new RenderRequest { Camera = "one_a", Kind = RenderKind.Gif, Origin = RenderOrigin.Motion, RequestId = "motion-1" }, default);
        // a last command: everything before it has left the one FIFO outbox once its ready event is in
        await obs.PublishAsync("lookback/one_a/snapshot/set", """{"request_id":"end"}""");
        obs.WaitFor("lookback/one_a/event", s => s.Text.Contains("\"end\"") && s.Text.Contains("snapshot_ready"));
        var trigger = obs.WaitFor("lookback/one_a/result", s => s.Text.Contains("trigger-")).Json.GetProperty("request_id").GetString()!;
        // a moment waits for its window's end in a lane of its own: the last command can finish before it
        obs.WaitFor("lookback/one_a/event", s => s.Text.Contains($"\"{trigger}\"") && s.Text.Contains("moment_ready"));

        List<Seen> Of(string rid) => [.. obs.All.Where(s => !s.Topic.EndsWith("/set") && s.Text.Contains($"\"{rid}\""))]; // not the commands themselves
        string Shape(Seen s) => s.Topic.EndsWith("/result") || s.Topic == "answers/one" ? s.Topic.Split('/')[^1]
            : s.Json.GetProperty("event_type").GetString()!;
        // the command: its result on P/<cam>/result and on the response topic (with its correlation data), then gif_ready
        var cmd = Of("cmd-1");
        Assert.Equal(["result", "one", "gif_ready"], cmd.Select(Shape));
        Assert.Equal([7], cmd[1].CorrelationData!);
        // the trigger: its result, then moment_ready
        Assert.Equal(["result", "moment_ready"], Of(trigger).Select(Shape));
        // HTTP answers in its response: only snapshot_ready goes on the bus; a motion event's render says nothing itself (motion_end does)
        Assert.Equal(["snapshot_ready"], Of("http-1").Select(Shape));
        Assert.Empty(Of("motion-1"));
    }

    [Fact]
    public async Task Bus_events_become_motion_events_snapshot_and_gif_url()
    {
        await using var obs = await Observer.ConnectAsync(Port, "lookback/bus_a/#");
        var fitted = 0;
        await using var h = await new BridgeHost(Port, "bus", ["bus_a"], fitter: b => { Interlocked.Increment(ref fitted); return b.ToArray(); }).StartAsync();
        h.Bus.Publish(new MotionChanged("bus_a", true, DateTimeOffset.UtcNow, 0.5, ["porch"], "ev1"));
        Assert.Equal("ON", obs.WaitFor("lookback/bus_a/motion", s => s.Text == "ON").Text);
        Assert.Equal("ev1", obs.WaitFor("lookback/bus_a/event", s => s.Text.Contains("motion_start")).Json.GetProperty("event_id").GetString());
        h.Bus.Publish(new MotionChanged("bus_a", false, DateTimeOffset.UtcNow, 0, [], "ev1"));
        obs.WaitFor("lookback/bus_a/motion", s => s.Text == "OFF" && s.Index > 0);
        var now = DateTimeOffset.UtcNow;
        h.Bus.Publish(new MotionEventCompleted("bus_a", "ev1", now.AddSeconds(-5), now, 0.5, ["porch"],
            new MediaRef("http://h/media/a.jpg", "/media/local/a.jpg", "a.jpg"), new MediaRef("http://h/media/a.gif", null, "a.gif"), null));
        var end = obs.WaitFor("lookback/bus_a/event", s => s.Text.Contains("motion_end")).Json;
        Assert.Equal("ev1", end.GetProperty("event_id").GetString());
        Assert.Equal("http://h/media/a.gif", end.GetProperty("gif_url").GetString());
        Assert.Equal("http://h/media/a.jpg", end.GetProperty("snapshot_url").GetString());
        Assert.Equal("/media/local/a.jpg", end.GetProperty("snapshot_media").GetString());

        h.Directory.Cameras[0].Ring.Append([0xFF, 0xD8, 1, 2, 3, 0xFF, 0xD9], DateTimeOffset.UtcNow);
        h.Bus.Publish(new SnapshotDue("bus_a"));
        Assert.Equal(7, obs.WaitFor("lookback/bus_a/snapshot").Payload.Length);
        Assert.Equal(1, fitted);

        var req = new RenderRequest { Camera = "bus_a", Kind = RenderKind.Gif, Origin = RenderOrigin.Http };
        var res = await h.Renderer.SubmitAsync(req, default); // the render service publishes RenderCompleted
        Assert.Equal(res.Url, obs.WaitFor("lookback/bus_a/gif/url").Text);
        obs.WaitFor("lookback/bus_a/event", s => s.Text.Contains("gif_ready"));

        h.Directory.Cameras[0].Status = CameraStatus.Offline;
        h.Bus.Publish(new CameraStatusChanged("bus_a", CameraStatus.Offline, "timeout"));
        obs.WaitFor("lookback/bus_a/availability", s => s.Text == "offline");
    }

    [Fact]
    public async Task Last_will_marks_the_node_offline_when_the_connection_dies()
    {
        using var gate = new TcpGate(Port);
        await using var obs = await Observer.ConnectAsync(Port, "lookback/nodes/will");
        var h = await new BridgeHost(gate.Port, "will", ["will_a"]).StartAsync();
        obs.WaitFor("lookback/nodes/will", s => s.Text == "online");
        gate.Close();   // TCP reset without DISCONNECT, as when the process is killed
        obs.WaitFor("lookback/nodes/will", s => s.Text == "offline", TimeSpan.FromSeconds(10));
        await h.DisposeAsync();

        // And a clean stop publishes offline itself.
        obs.Clear();
        var h2 = await new BridgeHost(Port, "will", ["will_a"]).StartAsync();
        obs.WaitFor("lookback/nodes/will", s => s.Text == "online");
        await h2.DisposeAsync();
        obs.WaitFor("lookback/nodes/will", s => s.Text == "offline");
    }

    [Fact]
    public async Task Reconnects_and_republishes_after_a_connection_loss()
    {
        using var gate = new TcpGate(Port);
        await using var obs = await Observer.ConnectAsync(Port, "lookback/nodes/rec", "homeassistant/device/rec_rec_a/config");
        await using var h = await new BridgeHost(gate.Port, "rec", ["rec_a"]).StartAsync();
        obs.WaitFor("homeassistant/device/rec_rec_a/config");
        gate.Close();
        obs.WaitFor("lookback/nodes/rec", s => s.Text == "offline");
        obs.Clear();
        gate.Open();
        obs.WaitFor("lookback/nodes/rec", s => s.Text == "online", TimeSpan.FromSeconds(15));
        obs.WaitFor("homeassistant/device/rec_rec_a/config");
        Assert.True(h.Bridge.Connection.ConnectCount >= 2);
    }

    [Fact]
    public async Task Discovery_on_the_broker_has_device_triggers_and_the_doorbell_event_and_leaves_with_the_camera()
    {
        await using var obs = await Observer.ConnectAsync(Port, "homeassistant/device/dt_dt_bell/config", "homeassistant/device/dt_dt_yard/config", "lookback/dt_bell/#");
        var storage = Directory.CreateTempSubdirectory("lookback-mqtt-").FullName;
        var bell = new TriggerOptions { Topic = "zigbee2mqtt/dt_bell", Cameras = ["dt_bell"], Action = RenderKind.Gif, Doorbell = true };
        await using (var first = await new BridgeHost(Port, "dt", ["dt_bell", "dt_yard"], [bell], storage: storage).StartAsync())
        {
            var ids = new HashSet<string>();
            var config = obs.WaitFor("homeassistant/device/dt_dt_bell/config", s => s.Payload.Length > 0);
            DiscoveryTests.Validate("homeassistant/device/dt_dt_bell/config", config.Payload, ids, "dt");
            var cmps = config.Json.GetProperty("components");
            Assert.Equal("doorbell", cmps.GetProperty("doorbell").GetProperty("device_class").GetString());
            var triggers = cmps.EnumerateObject().Where(c => c.Value.GetProperty("platform").GetString() == "device_automation")
                .Select(c => c.Value.GetProperty("subtype").GetString() + " " + c.Value.GetProperty("type").GetString()).Order().ToArray();
            Assert.Equal(["doorbell rang", "gif ready", "motion ended", "motion started"], triggers);
            var yard = obs.WaitFor("homeassistant/device/dt_dt_yard/config", s => s.Payload.Length > 0);
            DiscoveryTests.Validate("homeassistant/device/dt_dt_yard/config", yard.Payload, ids, "dt");
            Assert.False(yard.Json.GetProperty("components").TryGetProperty("doorbell", out _));

            // What the device trigger and the doorbell entity listen to: a ring on the event topic, not retained.
            await obs.PublishAsync("zigbee2mqtt/dt_bell", "{}");
            var ring = obs.WaitFor("lookback/dt_bell/event", s => s.Text.Contains("\"ring\""));
            Assert.False(ring.Retain);
            Assert.Equal(cmps.GetProperty("trigger_doorbell_rang").GetProperty("payload").GetString(), ring.Json.GetProperty("event_type").GetString());
        }
        // The camera leaves: its device payload (entities, doorbell event and device triggers) is cleared.
        await using var second = await new BridgeHost(Port, "dt", ["dt_yard"], storage: storage).StartAsync();
        obs.WaitFor("homeassistant/device/dt_dt_bell/config", s => s.Payload.Length == 0 && s.Index > 0);
    }

    [Fact]
    public async Task A_camera_that_left_the_configuration_is_removed()
    {
        await using var obs = await Observer.ConnectAsync(Port, "homeassistant/device/rm_rm_old/config", "lookback/rm_old/#");
        var storage = Directory.CreateTempSubdirectory("lookback-mqtt-").FullName;
        await using (var first = await new BridgeHost(Port, "rm", ["rm_keep", "rm_old"], storage: storage).StartAsync())
        {
            obs.WaitFor("homeassistant/device/rm_rm_old/config", s => s.Payload.Length > 0);
            obs.WaitFor("lookback/rm_old/state");
            await using var list = await Observer.ConnectAsync(Port, "lookback/nodes/rm/cameras");
            list.WaitFor("lookback/nodes/rm/cameras", s => s.Text.Contains("rm_old"));
        }
        await using var second = await new BridgeHost(Port, "rm", ["rm_keep"], storage: storage).StartAsync();
        obs.WaitFor("homeassistant/device/rm_rm_old/config", s => s.Payload.Length == 0 && s.Index > 0);
        obs.WaitFor("lookback/rm_old/state", s => s.Payload.Length == 0);
        await using var late = await Observer.ConnectAsync(Port, "lookback/nodes/rm/cameras");
        // The retained list a late subscriber reads becomes this node's current cameras.
        late.WaitFor("lookback/nodes/rm/cameras", s => s.Text.Contains("rm_keep") && !s.Text.Contains("rm_old"));
    }

    [Fact]
    public async Task Two_instances_share_a_broker_without_crosstalk()
    {
        await using var obs = await Observer.ConnectAsync(Port, "homeassistant/device/#", "lookback/two_a/#", "lookback/two_b/#");
        await using var a = await new BridgeHost(Port, "node_a", ["two_a"]).StartAsync();
        await using var b = await new BridgeHost(Port, "node_b", ["two_b"]).StartAsync();
        obs.WaitFor("homeassistant/device/node_a_two_a/config");
        obs.WaitFor("homeassistant/device/node_b_two_b/config");
        obs.WaitFor("homeassistant/device/lookback_node_a/config");
        obs.WaitFor("homeassistant/device/lookback_node_b/config");
        // Each node must know the other's camera list before commands are sent.
        await using (var lists = await Observer.ConnectAsync(Port, "lookback/nodes/+/cameras"))
        {
            lists.WaitFor("lookback/nodes/node_a/cameras");
            lists.WaitFor("lookback/nodes/node_b/cameras");
        }
        await obs.PublishAsync("lookback/two_a/gif/set", """{"request_id":"for-a"}""");
        await obs.PublishAsync("lookback/two_b/gif/set", """{"request_id":"for-b"}""");
        obs.WaitFor("lookback/two_a/result", s => s.Text.Contains("for-a"));
        obs.WaitFor("lookback/two_b/result", s => s.Text.Contains("for-b"));
        Assert.Equal(["for-a"], a.Renderer.Requests.Select(r => r.RequestId));
        Assert.Equal(["for-b"], b.Renderer.Requests.Select(r => r.RequestId));
        await a.Bridge.Outbox.WaitEmptyAsync(TimeSpan.FromSeconds(2));
        await b.Bridge.Outbox.WaitEmptyAsync(TimeSpan.FromSeconds(2));
        // Exactly one result per command (no "unknown camera" from the other node).
        Assert.Single(obs.On("lookback/two_a/result"));
        Assert.Single(obs.On("lookback/two_b/result"));
    }

    [Fact]
    public async Task Events_queued_while_offline_survive_a_bridge_restart()
    {
        using var gate = new TcpGate(Port);
        await using var obs = await Observer.ConnectAsync(Port, "lookback/rst_a/event");
        var storage = Directory.CreateTempSubdirectory("lookback-mqtt-").FullName;
        var first = await new BridgeHost(gate.Port, "rst", ["rst_a"], storage: storage).StartAsync();
        gate.Close();
        Mosquitto.WaitUntil(() => !first.Bridge.Connection.IsConnected, TimeSpan.FromSeconds(5), "offline");
        for (var i = 0; i < 5; i++) first.Bus.Publish(new MotionChanged("rst_a", true, DateTimeOffset.UtcNow, i, [], $"e{i}"));
        Assert.Equal(5, first.Bridge.Outbox.Count);
        await first.DisposeAsync();                 // clean stop with the broker unreachable: outbox flushed to disk
        Assert.Empty(obs.On("lookback/rst_a/event"));

        await using var second = await new BridgeHost(Port, "rst", ["rst_a"], storage: storage).StartAsync();
        var got = obs.WaitForCount(s => s.Topic == "lookback/rst_a/event", 5);
        Assert.Equal(Enumerable.Range(0, 5).Select(i => $"e{i}"), got.Select(s => s.Json.GetProperty("event_id").GetString()));
        Assert.True(await second.Bridge.Outbox.WaitEmptyAsync(TimeSpan.FromSeconds(5)));
        Assert.Equal(5, obs.On("lookback/rst_a/event").Count);
    }

    [Fact]
    public async Task Measures_command_to_result_round_trip()
    {
        await using var obs = await Observer.ConnectAsync(Port, "lookback/rtt_a/result");
        await using var h = await new BridgeHost(Port, "rtt", ["rtt_a"]).StartAsync();
        var times = new List<double>();
        for (var i = 0; i < 55; i++)
        {
            var id = "rtt" + i;
            var sw = Stopwatch.StartNew();
            await obs.PublishAsync("lookback/rtt_a/gif/set", $$"""{"request_id":"{{id}}"}""");
            obs.WaitFor("lookback/rtt_a/result", s => s.Text.Contains($"\"{id}\""));
            if (i >= 5) times.Add(sw.Elapsed.TotalMilliseconds);
        }
        times.Sort();
        output.WriteLine($"command->result round trip over mosquitto, fake renderer: median {times[times.Count / 2]:0.00} ms, p90 {times[(int)(times.Count * 0.9)]:0.00} ms, max {times[^1]:0.00} ms (n={times.Count})");
        Console.WriteLine($"[Mqtt RTT] median {times[times.Count / 2]:0.00} ms, p90 {times[(int)(times.Count * 0.9)]:0.00} ms (n={times.Count})");
        Assert.True(times[times.Count / 2] < 500);
    }
}
