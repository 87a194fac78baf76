using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using Lookback.Config;
using Lookback.Tests.Hosting;
using Lookback.Tests.Mqtt;
using Xunit.Abstractions;

namespace Lookback.Tests.Addon;

/// <summary>
/// The blueprints' templates rendered with Jinja2 as Home Assistant renders them (blueprint_render.py), fed with the
/// request they build and the results and events a running Lookback answers on a real mosquitto.
/// </summary>
public sealed class BlueprintTests(MosquittoFixture broker, ITestOutputHelper output) : IClassFixture<MosquittoFixture>
{
    private static readonly string Doorbell = AddonFiles.PathOf("addon", "blueprints", "doorbell_gif_notification.yaml");
    private static readonly string Motion = AddonFiles.PathOf("addon", "blueprints", "motion_gif_notification.yaml");

    private static JsonObject Render(string command, string blueprint, object inputs, string? payload = null) =>
        Run(payload is null
            ? [command, blueprint, JsonSerializer.Serialize(inputs)]
            : [command, blueprint, JsonSerializer.Serialize(inputs), payload]);

    /// <summary>A discovery value_template rendered over a payload, as HA's MQTT entities and device triggers do.</summary>
    private static string Template(string template, string payload) => (string)Run(["mqtt-template", template, payload])["rendered"]!;

    private static JsonObject Run(string[] args)
    {
        var script = File.ReadAllText(AddonFiles.PathOf("tests", "Lookback.Tests", "Addon", "blueprint_render.py"));
        var (code, text) = AddonFiles.Python(script, args);
        Assert.True(code == 0, text);
        return JsonNode.Parse(text)!.AsObject();
    }

    [Fact]
    public async Task Doorbell_and_motion_blueprints_render_real_results_the_timeout_and_a_fast_error()
    {
        await using var scene = await SceneCamera.StartAsync();
        await using var obs = await Observer.ConnectAsync(broker.Broker.Port, "bp/#", "homeassistant/device/bp_porch/config");
        var motion = new MotionOptions { Enabled = true, Fps = 5, OffDelay = 1.5, PreCapture = 0.5, PostCapture = 0.5 };
        await using var h = await AppHarness.StartAsync([AppHarness.Camera("porch", scene.Url, interval: 0.2, motion: motion)],
            mqtt: new MqttOptions { Host = "127.0.0.1", Port = broker.Broker.Port, TopicPrefix = "bp" }, nodeId: "bp",
            triggers: [new TriggerOptions { Topic = "zigbee2mqtt/bp_bell", Cameras = ["porch"], Action = RenderKind.Gif, Doorbell = true,
                Match = new Dictionary<string, string> { ["action"] = "single" } }]);
        var cam = h.App.Cameras.Find("porch")!;
        await AppHarness.WaitUntilAsync(() => cam.Ring.Count >= 20, TimeSpan.FromSeconds(30), "20 quiet frames");
        var discovery = obs.WaitFor("homeassistant/device/bp_porch/config", s => s.Payload.Length > 0).Json;

        // The doorbell event entity and the device triggers, with their templates over real events.
        var cmps = discovery.GetProperty("components");
        await obs.PublishAsync("zigbee2mqtt/bp_bell", """{"action":"single"}""");
        var ring = obs.WaitFor("bp/porch/event", s => s.Text.Contains("\"ring\"")).Text;
        var gifReady = obs.WaitFor("bp/porch/event", s => s.Text.Contains("gif_ready"), TimeSpan.FromSeconds(60)).Text;
        var bell = cmps.GetProperty("doorbell");
        Assert.Equal(ring, Template(bell.GetProperty("value_template").GetString()!, ring));
        Assert.Equal("", Template(bell.GetProperty("value_template").GetString()!, gifReady)); // ignored by the doorbell entity
        foreach (var (key, fires) in new[] { ("trigger_doorbell_rang", ring), ("trigger_gif_ready", gifReady) })
        {
            var trig = cmps.GetProperty(key);
            Assert.Equal(trig.GetProperty("payload").GetString(), Template(trig.GetProperty("value_template").GetString()!, fires));
            Assert.NotEqual(trig.GetProperty("payload").GetString(),
                Template(trig.GetProperty("value_template").GetString()!, fires == ring ? gifReady : ring));
        }

        var inputs = new { camera = "porch", topic_prefix = "bp", gif_seconds = 2, notify_device = "phone1", camera_entity = "camera.porch" };
        var cmd = Render("doorbell-command", Doorbell, inputs);
        Assert.Equal("queued", (string?)cmd["mode"]);
        Assert.True((bool)cmd["wait_first"]!, "the wait must start before the request is published");
        Assert.True((bool)cmd["continue_on_timeout"]!);
        Assert.Equal(1, (int)cmd["notifications"]!);
        // Home Assistant stays subscribed to the topic the wait listens on (the Last render sensor).
        Assert.Equal((string?)cmd["wait_topic"],
            discovery.GetProperty("components").GetProperty("last_render").GetProperty("state_topic").GetString());

        // The request the blueprint publishes, answered by Lookback.
        var rid = (string)cmd["request_id"]!;
        await obs.PublishAsync((string)cmd["topic"]!, (string)cmd["payload"]!);
        var result = obs.WaitFor("bp/porch/result", s => s.Text.Contains(rid), TimeSpan.FromSeconds(60));
        Assert.Equal("ok", result.Json.GetProperty("status").GetString());
        output.WriteLine($"moment result: {result.Text}");
        var ok = Render("doorbell-notify", Doorbell, inputs, result.Text);
        Assert.True((bool)ok["fired"]!);
        Assert.Equal("Someone is at the door", (string?)ok["message"]);
        var data = ok["data"]!.AsObject();
        Assert.Equal(result.Json.GetProperty("gif_media").GetString(), (string?)data["image"]);
        Assert.EndsWith(".gif", (string)data["image"]!);
        Assert.Equal(result.Json.GetProperty("mp4_media").GetString(), (string?)data["url"]);
        Assert.Equal((string?)data["url"], (string?)data["clickAction"]);
        Assert.EndsWith(".mp4", (string)data["url"]!);
        var live = data["actions"]!.AsArray().Single()!;
        Assert.Equal(("Show live", "entityId:camera.porch"), ((string)live["title"]!, (string)live["uri"]!));

        // Somebody else's result on the topic does not end the wait.
        var other = Render("doorbell-notify", Doorbell, inputs, result.Text.Replace(rid, "ha-porch-other"));
        Assert.False((bool)other["fired"]!);

        // Timeout: a notification all the same, with the camera's newest snapshot.
        var timeout = Render("doorbell-notify", Doorbell, inputs);
        Assert.False((bool)timeout["fired"]!);
        Assert.Contains("did not answer within 20 s", (string)timeout["message"]!);
        Assert.Equal("/api/camera_proxy/camera.porch", (string?)timeout["data"]!["image"]);
        Assert.Null(timeout["data"]!["url"]);

        // An error result comes back at once (before a new subscription of HA would reach the broker).
        var badInputs = new { inputs.camera, inputs.topic_prefix, gif_seconds = 900, inputs.notify_device, inputs.camera_entity, _run = 5 };
        var bad = Render("doorbell-command", Doorbell, badInputs);
        Assert.NotEqual(rid, (string)bad["request_id"]!);
        var badRid = (string)bad["request_id"]!;
        var sw = Stopwatch.StartNew();
        await obs.PublishAsync((string)bad["topic"]!, (string)bad["payload"]!);
        var error = obs.WaitFor("bp/porch/result", s => s.Text.Contains(badRid) && s.Text.Contains("\"error\""));
        output.WriteLine($"error result {sw.Elapsed.TotalMilliseconds:F1} ms after the request: {error.Text}");
        var failed = Render("doorbell-notify", Doorbell, badInputs, error.Text);
        Assert.True((bool)failed["fired"]!);
        Assert.Contains("(no GIF: " + error.Json.GetProperty("error").GetString() + ")", (string)failed["message"]!);
        Assert.Equal("/api/camera_proxy/camera.porch", (string?)failed["data"]!["image"]);

        // Motion: a real motion_end event becomes a notification with the event's GIF.
        scene.ObjectVisible = true;
        var started = obs.WaitFor("bp/porch/event", s => s.Text.Contains("motion_start"), TimeSpan.FromSeconds(20));
        var at = DateTimeOffset.Parse(started.Json.GetProperty("at").GetString()!);
        await AppHarness.WaitUntilAsync(() => cam.Ring.NewestTime > at.AddSeconds(1), TimeSpan.FromSeconds(10), "a second of motion");
        scene.ObjectVisible = false;
        var end = obs.WaitFor("bp/porch/event", s => s.Text.Contains("motion_end"), TimeSpan.FromSeconds(40));
        var minputs = new { camera = "porch", topic_prefix = "bp", notify_device = "phone1" };
        var m = Render("motion-notify", Motion, minputs, end.Text);
        Assert.True((bool)m["fired"]! && (bool)m["condition"]!);
        Assert.Equal(end.Json.GetProperty("gif_media").GetString(), (string?)m["data"]!["image"]);
        Assert.Equal("bp/porch/event", (string?)m["topic"]);
        var zoned = Render("motion-notify", Motion, new { camera = "porch", topic_prefix = "bp", notify_device = "phone1", zones = "gate" }, end.Text);
        Assert.False((bool)zoned["condition"]!);
        var start = Render("motion-notify", Motion, minputs, obs.WaitFor("bp/porch/event", s => s.Text.Contains("motion_start")).Text);
        Assert.False((bool)start["fired"]!);
    }
}
