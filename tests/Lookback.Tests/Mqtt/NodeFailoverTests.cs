using System.Diagnostics;
using System.Text.Json;
using Lookback.Events;
using Microsoft.Extensions.Logging;
using Xunit.Abstractions;

namespace Lookback.Tests.Mqtt;

/// <summary>
/// Several bridges (fake cameras and renderer) with the same camera slug on one real mosquitto: one node serves the
/// slug, the others wait on standby; failover on the last will and back without a moment in which two answer.
/// </summary>
public class NodeFailoverTests(MosquittoFixture fx, ITestOutputHelper output) : IClassFixture<MosquittoFixture>
{
    private int Port => fx.Broker.Port;
    private static readonly TimeSpan T = TimeSpan.FromSeconds(15);

    private static string? NodeOf(Seen s) => s.Json.TryGetProperty("node", out var n) ? n.GetString() : null;
    private static string? RequestOf(Seen s) => s.Json.TryGetProperty("request_id", out var r) ? r.GetString() : null;

    [Fact]
    public async Task A_second_node_with_the_same_slug_waits_on_standby_and_every_command_gets_one_result()
    {
        await using var obs = await Observer.ConnectAsync(Port, "lookback/dup/#", "homeassistant/device/+/config", "lookback/nodes/#");
        await using var a = await new BridgeHost(Port, "dup_a", ["dup"]).StartAsync();
        await Wait.UntilAsync(() => a.Bridge.Nodes.SelfSynced, T, "dup_a announced");
        obs.WaitFor("homeassistant/device/dup_a_dup/config", s => s.Payload.Length > 0);
        await using var b = await new BridgeHost(Port, "dup_b", ["dup"]).StartAsync();
        await Wait.UntilAsync(() => b.Bridge.Nodes.SelfSynced && b.Bridge.Role.StandbyOf("dup") != null, T, "dup_b on standby");

        Assert.Equal(new Lookback.Cameras.BusRole.Standby("dup_a", "standby: dup_a serves dup"), b.Bridge.Role.StandbyOf("dup"));
        Assert.Null(a.Bridge.Role.StandbyOf("dup"));
        // Home Assistant diagnostics of node dup_b (its node state), and one warning in its log
        obs.WaitFor("lookback/nodes/dup_b/state", s => s.Json.TryGetProperty("standby", out var sb) && sb.TryGetProperty("dup", out var why) && why.GetString() == "standby: dup_a serves dup");
        Assert.Single(b.Logs.Entries, e => e.Level == LogLevel.Warning && e.Text.Contains("standby: dup_a serves dup"));
        // the node device has the diagnostic sensor
        var nodeDevice = obs.WaitFor("homeassistant/device/lookback_dup_b/config").Json;
        Assert.Equal("lookback/nodes/dup_b/state", nodeDevice.GetProperty("components").GetProperty("standby").GetProperty("json_attributes_topic").GetString());

        for (var i = 0; i < 5; i++) await obs.PublishAsync("lookback/dup/gif/set", $$"""{"request_id":"dup-{{i}}"}""");
        await obs.PublishAsync("lookback/dup/motion/set", "OFF");
        obs.WaitForCount(s => s.Topic == "lookback/dup/result", 6, T);
        b.Bus.Publish(new MotionChanged("dup", true, DateTimeOffset.UtcNow, 1, [], "ev-b"));
        a.Bus.Publish(new MotionChanged("dup", true, DateTimeOffset.UtcNow, 1, [], "ev-a"));
        obs.WaitFor("lookback/dup/event", s => s.Text.Contains("ev-a"));
        await Task.WhenAll(a.Bridge.Outbox.WaitEmptyAsync(T), b.Bridge.Outbox.WaitEmptyAsync(T));

        var results = obs.On("lookback/dup/result");
        Assert.Equal(6, results.Count);                                   // one per command
        Assert.All(results, r => Assert.Equal("dup_a", NodeOf(r)));
        Assert.Empty(b.Renderer.Requests);
        Assert.True(a.Directory.Cameras[0].MotionEnabled is false && b.Directory.Cameras[0].MotionEnabled);
        var events = obs.On("lookback/dup/event");
        Assert.All(events, e => Assert.Equal("dup_a", NodeOf(e)));   // motion_start and gif_ready events
        Assert.DoesNotContain(events, e => e.Text.Contains("ev-b"));
        // dup_b published no discovery for the camera and none of its states
        Assert.DoesNotContain(obs.On("homeassistant/device/dup_b_dup/config"), s => s.Payload.Length > 0);
        Assert.DoesNotContain(b.Bridge.Retained.Topics, t => t.StartsWith("lookback/dup/", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_spare_takes_over_on_the_last_will_and_hands_back_without_two_answers_or_none()
    {
        await using var obs = await Observer.ConnectAsync(Port, "lookback/fo/#", "homeassistant/device/+/config");
        var storageA = Directory.CreateTempSubdirectory("lookback-mqtt-").FullName;
        var a = await new BridgeHost(Port, "fo_a", ["fo"], storage: storageA).StartAsync();
        await Wait.UntilAsync(() => a.Bridge.Nodes.SelfSynced, T, "fo_a announced");
        await using var b = await new BridgeHost(Port, "fo_b", ["fo"], camera: c => c with { Standby = true }).StartAsync();
        await Wait.UntilAsync(() => b.Bridge.Nodes.SelfSynced && b.Bridge.Role.StandbyOf("fo") != null, T, "fo_b on standby");
        // a spare: said once, as information
        Assert.DoesNotContain(b.Logs.Entries, e => e.Level >= LogLevel.Warning && e.Text.Contains("standby"));
        Assert.Single(b.Logs.Entries, e => e.Text.Contains("standby: fo_a serves fo"));

        // fo_a dies (no DISCONNECT): the broker publishes its last will, fo_b takes over
        var sw = Stopwatch.StartNew();
        a.Bridge.Connection.AbortConnectionForTest();
        await Wait.UntilAsync(() => b.Bridge.Role.StandbyOf("fo") == null, T, "fo_b takes over");
        output.WriteLine($"takeover after the connection drop: {sw.ElapsedMilliseconds} ms");
        await obs.PublishAsync("lookback/fo/gif/set", """{"request_id":"after-failover"}""");
        Assert.Equal("fo_b", NodeOf(obs.WaitFor("lookback/fo/result", s => s.Text.Contains("after-failover"), T)));
        obs.WaitFor("homeassistant/device/fo_b_fo/config", s => s.Payload.Length > 0);
        obs.WaitFor("lookback/fo/availability", s => s.Text == "online");
        Assert.Contains(b.Logs.Entries, e => e.Text.Contains("this node serves it now (fo_a it is offline)"));
        try { await a.DisposeAsync(); } catch (ObjectDisposedException) { }

        // fo_a comes back while commands keep coming: each one is answered exactly once
        using var burst = new CancellationTokenSource();
        var sent = new List<string>();
        var sender = Task.Run(async () =>
        {
            for (var i = 0; !burst.IsCancellationRequested; i++)
            {
                var rid = $"burst-{i}";
                lock (sent) sent.Add(rid);
                await obs.PublishAsync("lookback/fo/gif/set", $$"""{"request_id":"{{rid}}"}""");
                await Task.Delay(10);
            }
        });
        await Wait.UntilAsync(() => { lock (sent) return sent.Count >= 20; }, T, "commands before the return");
        await using var a2 = await new BridgeHost(Port, "fo_a", ["fo"], storage: storageA).StartAsync();
        await Wait.UntilAsync(() => b.Bridge.Role.StandbyOf("fo") != null && a2.Bridge.Role.StandbyOf("fo") == null, T, "fo_a serves fo again");
        var after = sent.Count;
        await Wait.UntilAsync(() => { lock (sent) return sent.Count >= after + 20; }, T, "commands after the return");
        burst.Cancel();
        await sender;
        List<string> ids;
        lock (sent) ids = [.. sent];
        obs.WaitForCount(s => s.Topic == "lookback/fo/result" && RequestOf(s)?.StartsWith("burst-") == true, ids.Count, T);
        await Task.WhenAll(a2.Bridge.Outbox.WaitEmptyAsync(T), b.Bridge.Outbox.WaitEmptyAsync(T));
        var answers = obs.On("lookback/fo/result").Where(s => RequestOf(s)?.StartsWith("burst-") == true)
            .GroupBy(RequestOf).ToDictionary(g => g.Key!, g => g.Select(NodeOf).ToList());
        Assert.All(ids, id => Assert.Single(answers[id]));
        var byNode = answers.Values.GroupBy(v => v[0]).ToDictionary(g => g.Key!, g => g.Count());
        output.WriteLine($"{ids.Count} commands during the hand-back: " + string.Join(", ", byNode.Select(kv => $"{kv.Key} {kv.Value}")));
        Assert.True(byNode.GetValueOrDefault("fo_a") >= 20 && byNode.GetValueOrDefault("fo_b") >= 20, string.Join(",", byNode));
        // the spare removed its device again; fo_a's is back
        obs.WaitFor("homeassistant/device/fo_b_fo/config", s => s.Payload.Length == 0);
    }

    [Fact]
    public async Task A_second_process_with_the_same_node_id_refuses_mqtt_and_the_first_is_undisturbed()
    {
        await using var obs = await Observer.ConnectAsync(Port, "lookback/clash_cam/#");
        await using var first = await new BridgeHost(Port, "clash", ["clash_cam"]).StartAsync();
        await Wait.UntilAsync(() => first.Bridge.Nodes.SelfSynced, T, "first announced");
        await using var second = await new BridgeHost(Port, "clash", ["clash_cam"]) { }.StartAsync(waitConnected: false);
        await Wait.UntilAsync(() => second.Bridge.Role.MqttState == "refused", T, "second refused");
        var error = second.Bridge.Role.MqttError!;
        Assert.Contains("node_id 'clash' is already used by another running Lookback", error);
        Assert.Contains("started ", error);
        Assert.Single(second.Logs.Entries, e => e.Level == LogLevel.Error && e.Text.Contains("node_id 'clash' is already used"));
        Assert.False(second.Bridge.Connection.IsConnected);
        // the first keeps its one connection and answers alone
        await obs.PublishAsync("lookback/clash_cam/snapshot/set", """{"request_id":"c1"}""");
        Assert.Equal("clash", NodeOf(obs.WaitFor("lookback/clash_cam/result", s => s.Text.Contains("c1"), T)));
        Assert.Equal(1, first.Bridge.Connection.ConnectCount);
        Assert.True(first.Bridge.Connection.IsConnected);
    }

    [Fact]
    public async Task A_previous_run_that_crashed_is_no_clash()
    {
        var storage = Directory.CreateTempSubdirectory("lookback-mqtt-").FullName;
        await using var obs = await Observer.ConnectAsync(Port, "lookback/nodes/crash");
        var first = await new BridgeHost(Port, "crash", ["crash_cam"], storage: storage).StartAsync();
        await Wait.UntilAsync(() => first.Bridge.Nodes.SelfSynced, T, "first announced");
        first.Bridge.Connection.AbortConnectionForTest();                 // kill: the last will says offline
        obs.WaitFor("lookback/nodes/crash", s => s.Text == "offline", T);
        try { await first.DisposeAsync(); } catch (ObjectDisposedException) { }
        // its retained announcement (old nonce) is still there, but the node is offline: the restart connects
        await using var restarted = await new BridgeHost(Port, "crash", ["crash_cam"], storage: storage).StartAsync();
        await Wait.UntilAsync(() => restarted.Bridge.Nodes.SelfSynced, T, "restarted node announced");
        Assert.Equal("connected", restarted.Bridge.Role.MqttState);
        Assert.Null(restarted.Bridge.Role.MqttError);
    }
}
