using System.Text.Json;
using System.Text.Json.Nodes;
using Lookback.Addon;
using Lookback.Config;
using Lookback.Tests.Addon;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;
using static Lookback.Tests.Config.ConfigTestHelpers;

namespace Lookback.Tests.Config;

/// <summary>The flattened add-on options of config.yaml's schema (what the Supervisor writes to /data/options.json).</summary>
public class AddonOptionsTests
{
    private const string Password = "Sup3rS3cret!";

    /// <summary>config.yaml's <c>options:</c> defaults, two cameras and two triggers, as the Supervisor writes them.</summary>
    private const string SupervisorOptions = """
        {
          "node_id": "lookback",
          "log_level": "info",
          "mqtt": {},
          "topic_prefix": "lookback",
          "discovery_prefix": "homeassistant",
          "retain_days": 7,
          "max_bytes": "10GB",
          "cameras": [
            {
              "slug": "frontdoor",
              "name": "Front Door",
              "url": "http://192.168.1.20/snapshot.jpg",
              "interval": 0.5,
              "store": 40,
              "motion_enabled": true,
              "motion_fps": 4,
              "motion_threshold": 30,
              "motion_min_area": 0.5,
              "motion_off_delay": 20,
              "motion_pre_capture": 2,
              "motion_post_capture": 5,
              "motion_mask": "0,0 0.2,0 0.2,0.2; 0.8,0.8 1,0.8 1,1",
              "motion_zones": "door: 0,0 0.5,0 0.5,1 0,1; path: 0.5,0.5 1,0.5 1,1",
              "gif_seconds": 6,
              "gif_fps": 5,
              "gif_width": 640
            },
            {
              "slug": "garage",
              "url": "http://192.168.1.21/cgi-bin/snapshot.cgi",
              "kind": "snapshot",
              "buffer_seconds": 60,
              "auth": "digest",
              "username": "admin",
              "password": "Sup3rS3cret!",
              "motion_enabled": false
            }
          ],
          "triggers": [
            {
              "topic": "zigbee2mqtt/doorbell",
              "match": "{\"action\": \"single\", \"battery\": 100}",
              "cameras": "frontdoor, garage",
              "action": "gif",
              "doorbell": true
            },
            {
              "topic": "zigbee2mqtt/+/contact",
              "match": "contact=false, source = door",
              "cameras": "garage",
              "action": "snapshot"
            }
          ]
        }
        """;

    [Fact]
    public void Supervisor_options_load_into_the_canonical_options()
    {
        var o = AssertValid(ConfigLoader.FromAddonOptions(SupervisorOptions));
        Assert.Equal("lookback", o.NodeId);
        Assert.Equal("info", o.LogLevel);

        Assert.NotNull(o.Mqtt);
        Assert.Equal("", o.Mqtt.Host);
        Assert.Equal("lookback", o.Mqtt.TopicPrefix);
        Assert.Equal("homeassistant", o.Mqtt.DiscoveryPrefix);
        Assert.Null(o.Http.PublicUrl);
        Assert.Equal(7, o.Storage.RetainDays);
        Assert.Equal(10L * 1024 * 1024 * 1024, o.Storage.MaxBytes);

        Assert.Equal(2, o.Cameras.Count);
        var front = o.Cameras[0];
        Assert.Equal("frontdoor", front.Slug);
        Assert.Equal("Front Door", front.Name);
        Assert.Equal("http://192.168.1.20/snapshot.jpg", front.Url);
        Assert.Equal(CameraKind.Auto, front.Kind);
        Assert.Equal(0.5, front.Interval);
        Assert.Equal(40, front.Store);
        Assert.Equal(AuthKind.None, front.Auth);
        Assert.Equal(new MotionOptions
        {
            Enabled = true, Fps = 4, Threshold = 30, MinArea = 0.5, OffDelay = 20, PreCapture = 2, PostCapture = 5,
            Mask = front.Motion.Mask, Zones = front.Motion.Zones,
        }, front.Motion);
        Assert.Equal(2, front.Motion.Mask.Count);
        Assert.Equal([new PointF01(0, 0), new PointF01(0.2, 0), new PointF01(0.2, 0.2)], front.Motion.Mask[0].Points);
        Assert.Equal([new PointF01(0.8, 0.8), new PointF01(1, 0.8), new PointF01(1, 1)], front.Motion.Mask[1].Points);
        Assert.Equal(["door", "path"], front.Motion.Zones.Keys.Order().ToArray());
        Assert.Equal([new PointF01(0, 0), new PointF01(0.5, 0), new PointF01(0.5, 1), new PointF01(0, 1)], front.Motion.Zones["door"].Points);
        Assert.Equal(new GifOptions { Seconds = 6, Fps = 5, Width = 640 }, front.Gif);

        var garage = o.Cameras[1];
        Assert.Equal("garage", garage.Slug);
        Assert.Null(garage.Name);
        Assert.Equal(CameraKind.Snapshot, garage.Kind);
        Assert.Equal(60, garage.BufferSeconds);
        Assert.Equal(AuthKind.Digest, garage.Auth);
        Assert.Equal("admin", garage.Username);
        Assert.Equal(Password, garage.Password);
        Assert.False(garage.Motion.Enabled);
        Assert.Empty(garage.Motion.Mask);
        Assert.Empty(garage.Motion.Zones);
        Assert.Equal(new GifOptions(), garage.Gif);

        Assert.Equal(2, o.Triggers.Count);
        var bell = o.Triggers[0];
        Assert.Equal("zigbee2mqtt/doorbell", bell.Topic);
        Assert.Equal(new Dictionary<string, string> { ["action"] = "single", ["battery"] = "100" }, bell.Match);
        Assert.Equal(["frontdoor", "garage"], bell.Cameras);
        Assert.Equal(RenderKind.Gif, bell.Action);
        Assert.True(bell.Doorbell);
        var contact = o.Triggers[1];
        Assert.Equal("zigbee2mqtt/+/contact", contact.Topic);
        Assert.Equal(new Dictionary<string, string> { ["contact"] = "false", ["source"] = "door" }, contact.Match);
        Assert.Equal(["garage"], contact.Cameras);
        Assert.Equal(RenderKind.Snapshot, contact.Action);
        Assert.False(contact.Doorbell);
    }

    [Fact]
    public async Task Supervisor_options_get_the_supervisor_broker_and_keep_the_prefixes()
    {
        var o = AssertValid(ConfigLoader.FromAddonOptions(SupervisorOptions.Replace("\"topic_prefix\": \"lookback\"", "\"topic_prefix\": \"cams\"")));
        await using var sup = await FakeSupervisor.StartAsync(200, """
            {"result":"ok","data":{"host":"core-mosquitto","port":1883,"ssl":false,"username":"addons","password":"pw"}}
            """);
        using var client = new SupervisorClient("t", sup.BaseUrl);
        var applied = await AddonMode.ApplyAsync(o, client, new AddonEnvironment { SupervisorToken = "t", HostName = "local-lookback" });
        Assert.Equal("core-mosquitto", applied.Mqtt!.Host);
        Assert.Equal("addons", applied.Mqtt.Username);
        Assert.Equal("cams", applied.Mqtt.TopicPrefix);
        Assert.Equal("homeassistant", applied.Mqtt.DiscoveryPrefix);
    }

    [Fact]
    public void Empty_strings_are_not_set()
    {
        var o = AssertValid(ConfigLoader.FromAddonOptions("""
            {
              "mqtt": {"host": "", "username": "", "password": ""},
              "topic_prefix": "lookback", "discovery_prefix": "homeassistant",
              "public_url": "", "retain_days": 7, "max_bytes": "10GB",
              "cameras": [
                {"slug": "cam", "name": "", "url": "http://cam/p", "kind": "", "auth": "", "username": "", "password": "",
                 "buffer_seconds": "", "motion_fps": "", "motion_mask": "", "motion_zones": "  ", "gif_width": ""}
              ],
              "triggers": [{"topic": "a/b", "match": "", "cameras": "cam", "action": ""}]
            }
            """));
        Assert.Equal("", o.Mqtt!.Host);
        Assert.Equal("", o.Mqtt.Username);
        Assert.Null(o.Http.PublicUrl);
        var cam = Assert.Single(o.Cameras);
        Assert.Null(cam.Name);
        Assert.Equal(CameraKind.Auto, cam.Kind);
        Assert.Equal(AuthKind.None, cam.Auth);
        Assert.Null(cam.BufferSeconds);
        Assert.Equal(new MotionOptions { Mask = cam.Motion.Mask, Zones = cam.Motion.Zones }, cam.Motion);
        Assert.Empty(cam.Motion.Mask);
        Assert.Empty(cam.Motion.Zones);
        Assert.Equal(new GifOptions(), cam.Gif);
        var t = Assert.Single(o.Triggers);
        Assert.Empty(t.Match);
        Assert.Equal(RenderKind.Gif, t.Action);
    }

    [Fact]
    public void Bad_strings_are_errors_at_the_addon_field()
    {
        var result = ConfigLoader.FromAddonOptions("""
            {
              "cameras": [
                {"slug": "a", "url": "http://cam/a", "motion_mask": "0,0 0.5 1,1"},
                {"slug": "b", "url": "http://cam/b", "motion_zones": "door 0,0 1,0 1,1"},
                {"slug": "c", "url": "http://cam/c", "motion_zones": "door: 0,0 1,0 2,1"}
              ],
              "triggers": [
                {"topic": "x/y", "match": "{\"action\": ", "cameras": "a"},
                {"topic": "x/z", "match": "justaword", "cameras": "a, nope"}
              ]
            }
            """);
        var mask = AssertError(result, "cameras[0].motion_mask", 3, "point \"0.5\" must be x,y");
        Assert.Equal("cameras[0].motion_mask: polygon 1: point \"0.5\" must be x,y (for example 0.25,0.5) (line 3)", mask.ToString());
        AssertError(result, "cameras[1].motion_zones", 4, "needs \"name: x,y x,y x,y\"");
        AssertError(result, "cameras[2].motion_zones", 5, "outside 0..1");
        AssertError(result, "triggers[0].match", 8, "not a valid JSON object");
        AssertError(result, "triggers[1].match", 9, "needs key=value");
        AssertError(result, "triggers[1].cameras", 9, "unknown camera 'nope'");
        Assert.Equal(6, result.Errors.Count);
    }

    [Fact]
    public void Binder_errors_name_the_flattened_fields()
    {
        var result = ConfigLoader.FromAddonOptions("""
            {
              "topic_prefix": "a/#",
              "public_url": "ftp://x",
              "retain_days": -1,
              "max_bytes": "lots",
              "cameras": [
                {"slug": "cam", "url": "http://cam/p",
                 "motion_threshold": 300, "gif_width": 8, "motion_treshold": 5, "gif_colour": 1}
              ]
            }
            """);
        AssertError(result, "topic_prefix", 2, "must not contain '+' or '#'");
        AssertError(result, "public_url", 3, "absolute http");
        AssertError(result, "retain_days", 4, "at least 0");
        AssertError(result, "max_bytes", 5, "must be a size");
        AssertError(result, "cameras[0].motion_threshold", 8, "between 1 and 255");
        AssertError(result, "cameras[0].gif_width", 8, "between 16 and 3840");
        AssertError(result, "cameras[0].motion_treshold", 8, "did you mean 'motion_threshold'?");
        AssertError(result, "cameras[0].gif_colour", 8, "unknown key");
        Assert.Equal(8, result.Errors.Count);
        Assert.Equal(result.Errors.OrderBy(e => e.Line).ToList(), result.Errors);
    }

    [Fact]
    public void Flattened_and_nested_values_for_the_same_field_clash()
    {
        var result = ConfigLoader.FromAddonOptions("""
            {
              "mqtt": {"topic_prefix": "a"},
              "topic_prefix": "b",
              "cameras": [{"slug": "cam", "url": "http://cam/p", "motion": {"fps": 2}, "motion_fps": 3, "gif": 1, "gif_fps": 2}]
            }
            """);
        AssertError(result, "topic_prefix", 3, "cannot be combined with 'mqtt.topic_prefix' (line 2)");
        AssertError(result, "cameras[0].motion_fps", 4, "cannot be combined with 'motion.fps' (line 4)");
        AssertError(result, "cameras[0].gif_fps", 4, "cannot be combined with 'gif' (line 4)");
        AssertError(result, "cameras[0].gif", 4, "must be a mapping");
        Assert.Equal(4, result.Errors.Count);

        // Flattened and nested keys for different fields merge.
        var o = AssertValid(ConfigLoader.FromAddonOptions("""
            {"mqtt": {"host": "broker", "discovery_prefix": "ha"}, "topic_prefix": "cams",
             "cameras": [{"slug": "cam", "url": "http://cam/p", "motion": {"fps": 2}, "motion_threshold": 40}]}
            """));
        Assert.Equal(new MqttOptions { Host = "broker", TopicPrefix = "cams", DiscoveryPrefix = "ha" }, o.Mqtt);
        Assert.Equal(2, o.Cameras[0].Motion.Fps);
        Assert.Equal(40, o.Cameras[0].Motion.Threshold);
    }

    [Fact]
    public void Mqtt_without_a_host_is_left_to_the_supervisor()
    {
        var o = AssertValid(ConfigLoader.FromAddonOptions("""
            {"mqtt": {}, "topic_prefix": "cams", "discovery_prefix": "ha", "cameras": [{"slug": "cam", "url": "http://cam/p"}]}
            """));
        Assert.Equal(new MqttOptions { Host = "", TopicPrefix = "cams", DiscoveryPrefix = "ha" }, o.Mqtt);
        Assert.False(AddonMode.HasExplicitMqttHost(o));

        var bare = AssertValid(ConfigLoader.FromAddonOptions("""{"cameras": [{"slug": "cam", "url": "http://cam/p"}]}"""));
        Assert.Equal(new MqttOptions { Host = "" }, bare.Mqtt);

        var nullHost = AssertValid(ConfigLoader.FromAddonOptions("""{"mqtt": {"host": null, "port": 1884}, "cameras": [{"slug": "cam", "url": "http://cam/p"}]}"""));
        Assert.Equal(new MqttOptions { Host = "", Port = 1884 }, nullHost.Mqtt);

        var own = AssertValid(ConfigLoader.FromAddonOptions("""
            {"mqtt": {"host": "10.0.0.5", "port": 1884, "username": "u", "password": "p", "tls": true},
             "cameras": [{"slug": "cam", "url": "http://cam/p"}]}
            """));
        Assert.Equal(new MqttOptions { Host = "10.0.0.5", Port = 1884, Username = "u", Password = "p", Tls = true }, own.Mqtt);
        Assert.True(AddonMode.HasExplicitMqttHost(own));
    }

    [Fact]
    public void Plain_configuration_without_mqtt_runs_without_mqtt()
    {
        Assert.Null(AssertValid(ConfigLoader.Parse("cameras:\n  cam:\n    url: http://cam/p\n", "c.yaml")).Mqtt);
        Assert.Null(AssertValid(ConfigLoader.Parse("""{"cameras": {"cam": {"url": "http://cam/p"}}}""", "c.json")).Mqtt);
    }

    [Fact]
    public void The_nested_shape_still_loads()
    {
        var o = AssertValid(ConfigLoader.FromAddonOptions("""
            {
              "mqtt": {"host": "core-mosquitto", "topic_prefix": "cams", "discovery_prefix": "ha"},
              "http": {"public_url": "http://ha.local:8098/"},
              "storage": {"retain_days": 3, "max_bytes": "1GB"},
              "cameras": [{"slug": "cam", "url": "http://cam/p",
                           "motion": {"threshold": 40, "mask": [[[0, 0], [1, 0], [1, 1]]],
                                      "zones": {"door": [[0, 0], [0.5, 0], [0.5, 1]]}},
                           "gif": {"width": 320}}],
              "triggers": [{"topic": "a/b", "match": {"action": "single"}, "cameras": ["cam"]}]
            }
            """));
        Assert.Equal(new MqttOptions { Host = "core-mosquitto", TopicPrefix = "cams", DiscoveryPrefix = "ha" }, o.Mqtt);
        Assert.Equal("http://ha.local:8098", o.Http.PublicUrl);
        Assert.Equal(3, o.Storage.RetainDays);
        Assert.Equal(1024L * 1024 * 1024, o.Storage.MaxBytes);
        var cam = Assert.Single(o.Cameras);
        Assert.Equal(40, cam.Motion.Threshold);
        Assert.Single(cam.Motion.Mask);
        Assert.Equal(3, cam.Motion.Zones["door"].Points.Count);
        Assert.Equal(320, cam.Gif.Width);
        Assert.Equal("single", Assert.Single(o.Triggers).Match["action"]);
    }

    [Fact]
    public void The_options_of_config_yaml_with_one_camera_are_valid()
    {
        var options = (JsonObject)ToJson(ManifestSection("options"))!;
        ((JsonArray)options["cameras"]!).Add(new JsonObject { ["slug"] = "cam", ["url"] = "http://cam/snapshot.jpg" });
        var o = AssertValid(ConfigLoader.FromAddonOptions(options.ToJsonString()));
        Assert.Equal("cam", Assert.Single(o.Cameras).Slug);
        Assert.Equal("", o.Mqtt!.Host);
        Assert.Equal(10L * 1024 * 1024 * 1024, o.Storage.MaxBytes);

        // config.yaml's defaults without any camera: the one error says a camera is needed.
        var empty = ConfigLoader.FromAddonOptions(ToJson(ManifestSection("options"))!.ToJsonString());
        var error = Assert.Single(empty.Errors);
        Assert.Equal(("cameras", "at least one camera is required"), (error.Path, error.Message));
    }

    [Fact]
    public void Every_key_of_the_config_yaml_schema_is_accepted()
    {
        var schema = (YamlMappingNode)ManifestSection("schema");
        static string[] Keys(YamlNode n) => ((YamlMappingNode)n).Children.Keys.Select(k => ((YamlScalarNode)k).Value!).ToArray();
        Assert.Equal(Keys(schema).Order(), AddonOptionsShape.RootKeys.Order());
        Assert.Equal(Keys(schema["mqtt"]).Order(), AddonOptionsShape.MqttKeys.Order());
        Assert.Equal(Keys(((YamlSequenceNode)schema["cameras"])[0]).Order(), AddonOptionsShape.CameraKeys.Order());
        Assert.Equal(Keys(((YamlSequenceNode)schema["triggers"])[0]).Order(), AddonOptionsShape.TriggerKeys.Order());

        // Every key at once, with values inside the schema's ranges.
        var o = AssertValid(ConfigLoader.FromAddonOptions("""
            {
              "node_id": "lb", "log_level": "warning",
              "mqtt": {"host": "broker", "port": 1884, "username": "u", "password": "p", "tls": true},
              "topic_prefix": "t", "discovery_prefix": "d", "public_url": "http://ha:8098", "retain_days": 0, "max_bytes": "512MB",
              "cameras": [{
                "slug": "cam", "name": "Cam", "url": "rtsp://cam/s", "kind": "rtsp", "interval": 0.05, "store": 100000,
                "buffer_seconds": 86400, "auth": "basic", "username": "u", "password": "p",
                "motion_enabled": true, "motion_fps": 30, "motion_threshold": 255, "motion_min_area": 100, "motion_off_delay": 3600,
                "motion_pre_capture": 60, "motion_post_capture": 60, "motion_mask": "0,0 1,0 1,1", "motion_zones": "z: 0,0 1,0 1,1",
                "gif_seconds": 300, "gif_fps": 0.1, "gif_width": 3840
              }],
              "triggers": [{"topic": "a/#", "match": "k=v", "cameras": "cam", "action": "moment", "doorbell": false}]
            }
            """));
        var cam = Assert.Single(o.Cameras);
        Assert.Equal(3600, cam.Motion.OffDelay);
        Assert.Equal(60, cam.Motion.PreCapture);
        Assert.Equal(3840, cam.Gif.Width);
        Assert.Equal("http://ha:8098", o.Http.PublicUrl);
        Assert.Equal(0, o.Storage.RetainDays);
        Assert.Equal(RenderKind.Moment, Assert.Single(o.Triggers).Action);
    }

    public static TheoryData<string> BrokenWithPassword => new()
    {
        """{"mqtt": {"password": "Sup3rS3cret!", "port": 0}, "cameras": [{"slug": "cam", "url": "http://cam/p"}]}""",
        """{"cameras": [{"slug": "cam", "url": "htp://admin:Sup3rS3cret!@cam/p", "motion_mask": "0,0 1"}]}""",
        """{"cameras": [{"slug": "cam", "url": "http://cam/p", "username": "admin", "password": "Sup3rS3cret!", "auth": "Sup3rS3cret!"}]}""",
        """{"cameras": [{"slug": "cam", "url": "http://cam/p", "username": "admin", "password": "Sup3rS3cret!", "motion_zones": "Sup3rS3cret!"}]}""",
        """{"cameras": [{"slug": "cam", "url": "http://cam/p", "username": "admin", "password": "Sup3rS3cret!", "motion_mask": "Sup3rS3cret!,1 0,0 1,1"}]}""",
        """{"cameras": [{"slug": "cam", "url": "http://cam/p", "password": "Sup3rS3cret!"}], "triggers": [{"topic": "a", "match": "Sup3rS3cret!", "cameras": "Sup3rS3cret!"}]}""",
        """{"cameras": [{"slug": "cam", "url": "http://cam/p", "password": "Sup3rS3cret!", "motion_fps": "Sup3rS3cret!"}]}""",
    };

    [Theory]
    [MemberData(nameof(BrokenWithPassword))]
    public void No_password_in_errors(string json)
    {
        var result = ConfigLoader.FromAddonOptions(json);
        Assert.False(result.IsValid);
        Assert.NotEmpty(result.Errors);
        foreach (var e in result.Errors)
            Assert.DoesNotContain("S3cret", e.ToString());
    }

    // ---------------------------------------------------------------- config.yaml → JSON

    private static YamlNode ManifestSection(string key)
    {
        var stream = new YamlStream();
        using (var reader = new StreamReader(AddonFiles.PathOf("config.yaml"))) stream.Load(reader);
        return ((YamlMappingNode)stream.Documents[0].RootNode)[key];
    }

    /// <summary>YAML as the Supervisor writes it to JSON: plain scalars become numbers, booleans or null when they read so.</summary>
    private static JsonNode? ToJson(YamlNode node) => node switch
    {
        YamlMappingNode map => new JsonObject(map.Children.Select(e => KeyValuePair.Create(((YamlScalarNode)e.Key).Value!, ToJson(e.Value)))),
        YamlSequenceNode seq => new JsonArray(seq.Children.Select(ToJson).ToArray()),
        YamlScalarNode { Style: ScalarStyle.Plain, Value: "null" or "~" or "" } => null,
        YamlScalarNode { Style: ScalarStyle.Plain, Value: "true" or "false" } s => JsonValue.Create(s.Value == "true"),
        YamlScalarNode { Style: ScalarStyle.Plain } s when double.TryParse(s.Value, System.Globalization.NumberStyles.Float,
            System.Globalization.CultureInfo.InvariantCulture, out _) && char.IsAsciiDigit(s.Value![^1])
            => JsonNode.Parse(s.Value),
        YamlScalarNode s => JsonValue.Create(s.Value),
        _ => throw new JsonException("unexpected YAML node"),
    };
}
