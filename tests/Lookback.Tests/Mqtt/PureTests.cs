using Lookback.Sources;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Lookback.Config;
using Lookback.Mqtt;
using Lookback.Media.Rendering;
using MQTTnet;
using MQTTnet.Adapter;
using MQTTnet.Exceptions;
using MQTTnet.Formatter;

namespace Lookback.Tests.Mqtt;

public class BackoffTests
{
    [Fact]
    public void Doubles_from_1s_to_30s_with_jitter_and_resets()
    {
        var b = Backoff.BelowCeiling(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(30), () => 1.0);
        var d = Enumerable.Range(0, 8).Select(_ => b.Next().TotalSeconds).ToArray();
        Assert.Equal([1, 2, 4, 8, 16, 30, 30, 30], d);
        b.Reset();
        Assert.Equal(1, b.Next().TotalSeconds);
        var low = Backoff.BelowCeiling(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(30), () => 0.0);
        Assert.Equal(0.5, low.Next().TotalSeconds);
        Assert.Equal(1.0, low.Next().TotalSeconds);
        var rnd = Backoff.BelowCeiling(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(30));
        for (var i = 0; i < 100; i++)
        {
            var x = rnd.Next();
            Assert.InRange(x.TotalSeconds, 0.5, 30);
        }
    }

    [Fact]
    public void Falls_back_to_311_only_for_protocol_refusals_on_v5()
    {
        Assert.True(MqttConnection.ShouldFallBackTo311(MqttProtocolVersion.V500,
            new MqttConnectRefusedException(MqttClientConnectResultCode.UnsupportedProtocolVersion)));
        Assert.True(MqttConnection.ShouldFallBackTo311(MqttProtocolVersion.V500, new MqttProtocolViolationException("bad connack")));
        Assert.True(MqttConnection.ShouldFallBackTo311(MqttProtocolVersion.V500, new MqttConnectRefusedException((MqttClientConnectResultCode)1)));
        Assert.True(MqttConnection.ShouldFallBackTo311(MqttProtocolVersion.V500,
            new MqttConnectingFailedException("x", new MqttProtocolViolationException("bad"))));
        Assert.False(MqttConnection.ShouldFallBackTo311(MqttProtocolVersion.V311,
            new MqttConnectRefusedException(MqttClientConnectResultCode.UnsupportedProtocolVersion)));
        Assert.False(MqttConnection.ShouldFallBackTo311(MqttProtocolVersion.V500,
            new MqttConnectRefusedException(MqttClientConnectResultCode.BadUserNameOrPassword)));
        Assert.False(MqttConnection.ShouldFallBackTo311(MqttProtocolVersion.V500, new System.Net.Sockets.SocketException(111)));
        Assert.False(MqttConnection.ShouldFallBackTo311(MqttProtocolVersion.V500, new TimeoutException()));
    }

    [Fact]
    public void Settings_never_show_the_password()
    {
        var s = MqttConnectionSettings.From(new MqttOptions { Username = "u", Password = "s3cret!" }, "n1");
        Assert.DoesNotContain("s3cret", s.ToString());
        Assert.Equal("lookback-n1", s.ClientId);
        Assert.Equal("lookback/nodes/n1", s.NodeTopic);
        Assert.Equal("mine", MqttConnectionSettings.From(new MqttOptions { ClientId = "mine" }, "n1").ClientId);
    }
}

public class TopicTests
{
    private static readonly Topics T = new("lookback", "homeassistant", "n1");

    [Theory]
    [InlineData("lookback/front/gif/set", true, "front", "gif")]
    [InlineData("lookback/front/motion_threshold/set", true, "front", "motion_threshold")]
    [InlineData("lookback/front/gif", false, "", "")]
    [InlineData("lookback/front/bogus/set", false, "", "")]
    [InlineData("other/front/gif/set", false, "", "")]
    [InlineData("lookback/nodes/gif/set", false, "", "")]
    public void Parses_command_topics(string topic, bool ok, string cam, string action)
    {
        Assert.Equal(ok, T.TryParseCommand(topic, out var c, out var a));
        if (ok) { Assert.Equal(cam, c); Assert.Equal(action, a); }
    }

    [Theory]
    [InlineData("a/+/c", "a/b/c", true)]
    [InlineData("a/#", "a/b/c", true)]
    [InlineData("a/#", "a", true)]
    [InlineData("#", "$SYS/x", false)]
    [InlineData("+/x", "$SYS/x", false)]
    [InlineData("$SYS/#", "$SYS/x", true)]
    [InlineData("a/+", "a/", true)]
    [InlineData("a/+/#", "a/b", true)]
    [InlineData("a/b", "a/c", false)]
    [InlineData("a/+", "a/b/c", false)]
    [InlineData("zigbee2mqtt/front_doorbell", "zigbee2mqtt/front_doorbell", true)]
    [InlineData("zigbee2mqtt/front_doorbell", "zigbee2mqtt/front_doorbell/x", false)]
    public void Matches_filters(string filter, string topic, bool expected) => Assert.Equal(expected, Topics.Matches(filter, topic));
}

public class CommandParserTests
{
    private static ParsedCommand P(string action, string payload) => CommandParser.Parse("front", action, Encoding.UTF8.GetBytes(payload));

    [Theory]
    [InlineData("")]
    [InlineData("PRESS")]
    [InlineData("  press ")]
    [InlineData("{}")]
    public void Empty_or_press_uses_defaults(string payload)
    {
        var c = P("gif", payload);
        Assert.True(c.Ok, c.Error);
        Assert.Equal(RenderKind.Gif, c.Render!.Kind);
        Assert.Equal(RenderOrigin.Mqtt, c.Render.Origin);
        Assert.Null(c.Render.Seconds);
    }

    [Fact]
    public void Reads_every_field()
    {
        var g = P("gif", """{"request_id":"abc","seconds":5,"fps":2.5,"width":320,"speed":2}""").Render!;
        Assert.Equal(("abc", 5.0, 2.5, 320, 2.0), (g.RequestId, g.Seconds!.Value, g.Fps!.Value, g.Width!.Value, g.Speed!.Value));
        var m = P("moment", """{"request_id":42,"before":3,"after":4}""").Render!;
        Assert.Equal(("42", 3.0, 4.0, RenderKind.Moment), (m.RequestId, m.Before!.Value, m.After!.Value, m.Kind));
        var s = P("snapshot", """{"width":640}""").Render!;
        Assert.Equal((640, RenderKind.Snapshot), (s.Width!.Value, s.Kind));
    }

    [Theory]
    [InlineData("gif", "not json", "payload")]
    [InlineData("gif", "[1,2]", "payload")]
    [InlineData("gif", """{"seconds":"ten"}""", "seconds")]
    [InlineData("gif", """{"seconds":-1}""", "seconds")]
    [InlineData("gif", """{"seconds":100000}""", "seconds")]
    [InlineData("gif", """{"fps":0}""", "fps")]
    [InlineData("gif", """{"width":320.5}""", "width")]
    [InlineData("gif", """{"speed":true}""", "speed")]
    [InlineData("gif", """{"request_id":{"a":1}}""", "request_id")]
    [InlineData("moment", """{"before":"x"}""", "before")]
    [InlineData("snapshot", """{"width":1}""", "width")]
    [InlineData("motion", "MAYBE", "payload")]
    [InlineData("motion_threshold", "0", "payload")]
    [InlineData("motion_threshold", "256", "payload")]
    [InlineData("motion_threshold", "abc", "payload")]
    public void Errors_name_the_field(string action, string payload, string field)
    {
        var c = P(action, payload);
        Assert.False(c.Ok);
        Assert.StartsWith(field + ":", c.Error);
    }

    [Fact]
    public void Binary_junk_and_invalid_utf8_are_errors()
    {
        var junk = new byte[10 * 1024 * 1024];
        new Random(1).NextBytes(junk);
        Assert.StartsWith("payload:", CommandParser.Parse("front", "gif", junk).Error);
        Assert.Contains("UTF-8", CommandParser.Parse("front", "gif", [0x7B, 0xC3, 0x28, 0x7D]).Error);
    }

    [Fact]
    public void Settings_commands()
    {
        Assert.True(P("motion", "ON").MotionEnabled);
        Assert.False(P("motion", "off").MotionEnabled);
        Assert.Equal(30, P("motion_threshold", "30").MotionThreshold);
        Assert.Equal(30, P("motion_threshold", "30.0").MotionThreshold);
    }

    [Fact]
    public void Result_json_matches_the_contract_shape()
    {
        var r = new RenderResult { RequestId = "abc", Camera = "frontdoor", Kind = ResultKind.Gif, Status = RenderStatus.Ok, Url = "http://x/a.gif",
            Start = new DateTimeOffset(2026, 11, 22, 17, 34, 51, 120, TimeSpan.Zero), Path = "/secret/path" };
        var j = JsonDocument.Parse(MqttJson.Result(r)).RootElement;
        Assert.Equal("abc", j.GetProperty("request_id").GetString());
        Assert.Equal("2026-11-22T17:34:51.120Z", j.GetProperty("start").GetString());
        Assert.False(j.TryGetProperty("error", out _));
        Assert.False(j.TryGetProperty("Path", out _));
    }
}

public class TriggerMatchTests
{
    private static bool M(string payload, params (string, string)[] match) =>
        TriggerRouter.IsMatch(match.ToDictionary(m => m.Item1, m => m.Item2), Encoding.UTF8.GetBytes(payload));

    [Fact]
    public void Matches_top_level_fields()
    {
        Assert.True(M("anything"));
        Assert.True(M("""{"action":"single","battery":90}""", ("action", "single")));
        Assert.True(M("""{"action":"single","battery":90}""", ("action", "single"), ("battery", "90")));
        Assert.True(M("""{"pressed":true}""", ("pressed", "true")));
        Assert.False(M("""{"action":"double"}""", ("action", "single")));
        Assert.False(M("""{"other":1}""", ("action", "single")));
        Assert.False(M("single", ("action", "single")));
        Assert.False(M("""["action"]""", ("action", "single")));
    }
}

/// <summary>Discovery payloads checked against Home Assistant's MQTT discovery rules.</summary>
public class DiscoveryTests
{
    private static readonly Topics T = new("lookback", "homeassistant", "n1");
    private static readonly Regex TopicRx = new(@"^homeassistant/(?<component>\w+)/(?:(?<node_id>[a-zA-Z0-9_-]+)/)?(?<object_id>[a-zA-Z0-9_-]+)/config$");
    private static readonly HashSet<string> DeviceKeys = ["identifiers", "connections", "name", "manufacturer", "model", "model_id",
        "hw_version", "sw_version", "serial_number", "suggested_area", "via_device", "configuration_url"];
    private static readonly HashSet<string> OriginKeys = ["name", "sw_version", "sw", "support_url", "url"];
    private static readonly HashSet<string> TopLevel = ["device", "origin", "components", "availability", "availability_mode",
        "availability_template", "availability_topic", "payload_available", "payload_not_available", "state_topic", "command_topic",
        "qos", "encoding", "message_expiry_interval"];
    private static readonly Dictionary<string, string[]> Required = new()
    {
        ["camera"] = ["topic"], ["image"] = ["url_topic"], ["binary_sensor"] = ["state_topic"], ["event"] = ["state_topic", "event_types"],
        ["button"] = ["command_topic"], ["switch"] = ["command_topic"], ["number"] = ["command_topic"], ["sensor"] = ["state_topic"],
        // TRIGGER_DISCOVERY_SCHEMA (HA core mqtt/device_trigger.py): automation_type, device, subtype, topic, type are
        // required; `device` comes from the device payload; unique_id is required inside device-based discovery.
        ["device_automation"] = ["automation_type", "topic", "type", "subtype"],
    };
    /// <summary>Keys HA's device trigger schema knows (others are removed silently: a typo would vanish).</summary>
    private static readonly HashSet<string> TriggerKeys = ["platform", "unique_id", "automation_type", "topic", "type", "subtype",
        "payload", "value_template", "qos", "encoding"];

    internal static void Validate(string topic, JsonObject built, HashSet<string> uniqueIds, string nodeId) =>
        Validate(topic, Encoding.UTF8.GetBytes(Discovery.Serialize(built)), uniqueIds, nodeId);

    internal static void Validate(string topic, byte[] json, HashSet<string> uniqueIds, string nodeId)
    {
        var payload = JsonNode.Parse(json)!.AsObject();
        Assert.Matches(TopicRx, topic);
        Assert.Equal("device", TopicRx.Match(topic).Groups["component"].Value);
        foreach (var (k, _) in payload) Assert.Contains(k, TopLevel);
        var dev = payload["device"]!.AsObject();
        foreach (var (k, _) in dev) Assert.Contains(k, DeviceKeys);
        Assert.NotEmpty(dev["identifiers"]!.AsArray());
        Assert.False(string.IsNullOrWhiteSpace((string?)dev["name"]));
        var origin = payload["origin"]!.AsObject();
        foreach (var (k, _) in origin) Assert.Contains(k, OriginKeys);
        Assert.Equal("Lookback", (string?)origin["name"]);
        Assert.True(Uri.TryCreate((string?)origin["url"], UriKind.Absolute, out var u) && u.Scheme.StartsWith("http"));
        var cmps = payload["components"]!.AsObject();
        Assert.NotEmpty(cmps);
        foreach (var (id, node) in cmps)
        {
            var c = node!.AsObject();
            var platform = (string)c["platform"]!;
            Assert.True(Required.ContainsKey(platform), platform);
            var uid = (string)c["unique_id"]!;
            Assert.Contains(nodeId, uid);
            Assert.True(uniqueIds.Add(uid), "duplicate unique_id " + uid);
            foreach (var key in Required[platform]) Assert.NotNull(c[key]);
            foreach (var (k, v) in c)
            {
                if (k.EndsWith("topic") && v is JsonValue)
                {
                    var t = (string)v!;
                    Assert.False(string.IsNullOrEmpty(t));
                    if (k == "command_topic") Assert.DoesNotContain('+', t);
                    if (k == "command_topic") Assert.DoesNotContain('#', t);
                }
            }
            if (c["entity_category"] is { } ec)
            {
                Assert.Contains((string)ec!, new[] { "config", "diagnostic" });
                if (platform is "sensor" or "binary_sensor") Assert.Equal("diagnostic", (string)ec!);
            }
            if (c["name"] is { } n) Assert.DoesNotContain((string)dev["name"]!, (string)n!);
            if (platform == "event" && id != "doorbell")
                Assert.Equal(Discovery.EventTypes, c["event_types"]!.AsArray().Select(x => (string)x!).ToArray());
            if (platform == "event")
            {
                var types = c["event_types"]!.AsArray().Select(x => (string)x!).ToArray();
                Assert.NotEmpty(types);
                Assert.All(types, e => Assert.Contains(e, Discovery.EventTypes));
                if (c["device_class"] is { } dc) Assert.Contains((string)dc!, new[] { "button", "doorbell", "motion" });
            }
            if (platform == "device_automation")
            {
                foreach (var (k, _) in c) Assert.Contains(k, TriggerKeys);
                Assert.Equal("trigger", (string)c["automation_type"]!);
                Assert.Contains((string)c["payload"]!, Discovery.EventTypes);
            }
            if (platform == "number") Assert.True((double)c["min"]! < (double)c["max"]!);
            if (platform == "image") Assert.Null(c["image_topic"]);
            Assert.False(c.ContainsKey("availability") && c.ContainsKey("availability_topic"));
        }
        Assert.False(payload.ContainsKey("availability") && payload.ContainsKey("availability_topic"));
    }

    [Fact]
    public void Camera_and_node_devices_follow_the_rules()
    {
        var cam = new CameraOptions { Slug = "frontdoor", Name = "Front door", Url = "http://x", Kind = CameraKind.Rtsp };
        var ids = new HashSet<string>();
        var p = Discovery.Camera(T, cam, "1.2.3");
        Validate(T.CameraDiscovery("frontdoor"), p, ids, "n1");
        Assert.Equal("homeassistant/device/n1_frontdoor/config", T.CameraDiscovery("frontdoor"));
        Assert.Equal("lookback_n1_frontdoor", (string)p["device"]!["identifiers"]![0]!);
        Assert.Equal("lookback_n1", (string)p["device"]!["via_device"]!);
        Assert.Equal("Front door", (string)p["device"]!["name"]!);
        Assert.Equal("rtsp", (string)p["device"]!["model"]!);
        Assert.Equal("all", (string)p["availability_mode"]!);
        Assert.Equal(["lookback/nodes/n1", "lookback/frontdoor/availability"], p["availability"]!.AsArray().Select(a => (string)a!["topic"]!).ToArray());
        var c = p["components"]!.AsObject();
        Assert.True(c["snapshot"]!.AsObject().ContainsKey("name") && c["snapshot"]!["name"] is null);
        Assert.Equal("lookback/frontdoor/snapshot", (string)c["snapshot"]!["topic"]!);
        Assert.Equal("lookback/frontdoor/gif/url", (string)c["last_gif"]!["url_topic"]!);
        Assert.Equal("Last GIF", (string)c["last_gif"]!["name"]!);
        Assert.Equal("motion", (string)c["motion"]!["device_class"]!);
        Assert.Equal("lookback/frontdoor/motion/set", (string)c["motion_detection"]!["command_topic"]!);
        Assert.Equal("config", (string)c["motion_threshold"]!["entity_category"]!);
        Assert.Equal(new[] { "lookback/frontdoor/snapshot/set", "lookback/frontdoor/gif/set", "lookback/frontdoor/moment/set" },
            new[] { "snapshot_button", "gif_button", "moment_button" }.Select(k => (string)c[k]!["command_topic"]!).ToArray());
        Assert.Contains(c, kv => (string?)kv.Value!["entity_category"] == "diagnostic" && (string)kv.Value!["platform"]! == "sensor");

        var node = Discovery.Node(T, "1.2.3");
        Validate(T.NodeDiscovery, node, ids, "n1");
        Assert.Equal("homeassistant/device/lookback_n1/config", T.NodeDiscovery);
        var conn = node["components"]!["connectivity"]!.AsObject();
        Assert.Equal("connectivity", (string)conn["device_class"]!);
        Assert.Equal("lookback/nodes/n1", (string)conn["state_topic"]!);
        Assert.False(conn.ContainsKey("availability"));
        Assert.False(node.ContainsKey("availability"));
        Assert.Equal(("online", "offline"), ((string)conn["payload_on"]!, (string)conn["payload_off"]!));
    }

    [Fact]
    public void Camera_device_has_triggers_area_configuration_url_and_the_detected_model()
    {
        var cam = new CameraOptions { Slug = "frontdoor", Name = "Front door", Url = "http://x", Area = "Porch" };
        var ids = new HashSet<string>();
        var http = new HttpOptions { PublicUrl = "http://192.0.2.5:8099/" };
        var p = Discovery.Camera(T, cam, "1.2.3", CameraKind.Mjpeg, Discovery.ConfigurationUrl(http, "frontdoor"), doorbell: true);
        Validate(T.CameraDiscovery("frontdoor"), p, ids, "n1");
        var dev = p["device"]!.AsObject();
        Assert.Equal(("mjpeg", "Porch", "http://192.0.2.5:8099/#/camera/frontdoor"),
            ((string)dev["model"]!, (string)dev["suggested_area"]!, (string)dev["configuration_url"]!));
        var c = p["components"]!.AsObject();
        var bell = c["doorbell"]!.AsObject();
        Assert.Equal(("event", "doorbell", "lookback/frontdoor/event"), ((string)bell["platform"]!, (string)bell["device_class"]!, (string)bell["state_topic"]!));
        Assert.Equal(["ring"], bell["event_types"]!.AsArray().Select(x => (string)x!));
        var triggers = c.Where(kv => (string)kv.Value!["platform"]! == "device_automation")
            .ToDictionary(kv => $"{kv.Value!["subtype"]} {kv.Value!["type"]}", kv => (string)kv.Value!["payload"]!);
        Assert.Equal(new Dictionary<string, string>
        {
            ["doorbell rang"] = "ring", ["motion started"] = "motion_start", ["motion ended"] = "motion_end", ["gif ready"] = "gif_ready",
        }, triggers);
        Assert.All(c.Where(kv => (string)kv.Value!["platform"]! == "device_automation"),
            kv => Assert.Equal("lookback/frontdoor/event", (string)kv.Value!["topic"]!));
        Assert.Equal("lookback/frontdoor/result", (string)c["last_render"]!["state_topic"]!);

        // A camera no doorbell trigger renders has no doorbell entity or trigger; an undetected auto camera says so.
        var plain = Discovery.Camera(T, cam with { Area = null }, "1.2.3", CameraKind.Auto);
        Validate(T.CameraDiscovery("frontdoor"), plain, [], "n1");
        Assert.False(plain["components"]!.AsObject().ContainsKey("doorbell"));
        Assert.False(plain["components"]!.AsObject().ContainsKey("trigger_doorbell_rang"));
        Assert.Equal("auto (detecting)", (string)plain["device"]!["model"]!);
        Assert.False(plain["device"]!.AsObject().ContainsKey("suggested_area"));
        Assert.False(plain["device"]!.AsObject().ContainsKey("configuration_url"));
    }

    [Fact]
    public void Configuration_url_is_the_ingress_panel_in_addon_mode()
    {
        Assert.Equal("homeassistant://hassio/ingress/local_lookback", Lookback.Addon.AddonMode.IngressUrl("local-lookback"));
        Assert.Equal("homeassistant://hassio/ingress/a0d7b954_lookback", Lookback.Addon.AddonMode.IngressUrl("a0d7b954-lookback"));
        var http = Lookback.Addon.AddonMode.ApplyDefaults(new LookbackOptions(), new Lookback.Addon.AddonEnvironment { HostName = "a0d7b954-lookback" }).Http;
        Assert.Equal("homeassistant://hassio/ingress/a0d7b954_lookback", Discovery.ConfigurationUrl(http, "front"));
        // Standalone without public_url: the same default base as media URLs (http://<host name>:<port>).
        var standalone = Discovery.ConfigurationUrl(new HttpOptions { Port = 8123 }, "front")!;
        Assert.Matches(@"^http://[^/]+:8123/#/camera/front$", standalone);
    }

    [Fact]
    public void Origin_url_is_the_add_on_url()
    {
        var config = File.ReadAllText(Lookback.Tests.Addon.AddonFiles.PathOf("config.yaml"));
        var repo = File.ReadAllText(Lookback.Tests.Addon.AddonFiles.PathOf("repository.yaml"));
        Assert.Contains("\nurl: " + Discovery.OriginUrl + "\n", config);
        Assert.Contains("\nurl: " + Discovery.OriginUrl + "\n", repo);
    }

    [Fact]
    public void State_templates_read_the_state_json()
    {
        // The templates refer to keys that StatePublisher.StateJson writes.
        var cam = new FakeCamera(new CameraOptions { Slug = "c", Url = "http://x" }) { LastError = new string('x', 500) };
        var state = StatePublisher.StateJson(cam);
        Assert.True((bool)state["motion"]!["enabled"]!);
        Assert.Equal(25, (int)state["motion"]!["threshold"]!);
        foreach (var k in new[] { "fps", "buffered_seconds", "buffered_frames", "status", "last_error" }) Assert.True(state.ContainsKey(k), k);
        Assert.True(((string)state["last_error"]!).Length <= 200);
    }

    [Fact]
    public void Removed_cameras_are_the_ones_no_longer_configured()
    {
        Assert.Equal(["b"], Discovery.Removed(["a", "b", "c"], ["a", "c", "d"]));
    }
}
