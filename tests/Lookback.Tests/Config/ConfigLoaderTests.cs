using System.Text.Json;
using Lookback.Config;
using static Lookback.Tests.Config.ConfigTestHelpers;

namespace Lookback.Tests.Config;

public class ConfigLoaderTests
{
    /// <summary>A cctv-gif-buffer config.yaml, which must load unchanged.</summary>
    internal const string CctvGifBuffer = """
        cameras:
          frontdoor:
            url: "http://192.168.0.9/ISAPI/Streaming/channels/101/picture"
            interval: 0.5
            store: 20
            auth: digest
            username: admin
            password: secret
        server:
          web:
            port: 8080
            listen: 0.0.0.0
        """;

    /// <summary>The documented example configuration without its <c>server</c> block (http and server.web together are an error).</summary>
    internal const string ContractExample = """
        node_id: lookback                 # [a-z0-9_]+ ; distinguishes instances that share a broker
        log_level: info                   # trace|debug|info|warning|error
        mqtt:                             # leave out to run without MQTT
          host: 127.0.0.1
          port: 1883
          username: ""
          password: ""
          tls: false
          topic_prefix: lookback
          discovery_prefix: homeassistant
        http:
          listen: 0.0.0.0
          port: 8099
          public_url: http://192.168.1.10:8099   # base of every URL published on MQTT; default http://<host name>:<port>
        storage:
          path: ./media                   # renders go to <path>/<cam>/<yyyy-mm-dd>/...
          media_url: /media/local/lookback  # optional: Home Assistant media path of <path>, published as "media"
          retain_days: 7
          max_bytes: 10GB
        cameras:
          frontdoor:                      # slug: [a-z0-9_]+
            name: Front door              # optional display name
            url: http://192.168.0.9/ISAPI/Streaming/channels/101/picture
            kind: auto                    # auto|snapshot|mjpeg|rtsp|usb|folder (auto: from the URL and the response)
            interval: 1                   # seconds between polls (snapshot) or between buffered frames (streams)
            store: 30                     # frames kept in the ring
            buffer_seconds: 60            # optional: also keep at most this many seconds
            auth: basic                   # basic|digest (optional)
            username: admin
            password: letmein
            motion:
              enabled: true
              fps: 5
              threshold: 25               # per-pixel change, 1..255
              min_area: 0.1               # percent of the frame that must change
              off_delay: 10               # seconds without motion before OFF
              pre_capture: 3              # seconds before the event in its GIF/clip
              post_capture: 3
              mask: [[[0,0],[0.2,0],[0.2,0.2]]]   # polygons, coordinates 0..1, ignored areas
              zones: {}                   # name: polygon; events carry the zones they touched
            gif: {seconds: 10, fps: 4, width: 480}
        triggers:
          - topic: zigbee2mqtt/front_doorbell
            match: {action: single}       # optional: top-level JSON fields that must be equal
            cameras: [frontdoor]
            action: gif                   # gif|moment|snapshot
            doorbell: true                # also fire event_type "ring"
        """;

    private static string Canonical(LookbackOptions o) => JsonSerializer.Serialize(o);

    [Fact]
    public void Cctv_gif_buffer_config_loads_unchanged()
    {
        var o = AssertValid(ConfigLoader.Parse(CctvGifBuffer, "config.yaml"));
        Assert.Equal(8080, o.Http.Port);
        Assert.Equal("0.0.0.0", o.Http.Listen);
        Assert.Null(o.Mqtt);
        var cam = Assert.Single(o.Cameras);
        Assert.Equal("frontdoor", cam.Slug);
        Assert.Null(cam.Name);
        Assert.Equal("http://192.168.0.9/ISAPI/Streaming/channels/101/picture", cam.Url);
        Assert.Equal(0.5, cam.Interval);
        Assert.Equal(20, cam.Store);
        Assert.Equal(AuthKind.Digest, cam.Auth);
        Assert.Equal("admin", cam.Username);
        Assert.Equal("secret", cam.Password);
        Assert.Equal(CameraKind.Auto, cam.Kind);
    }

    [Fact]
    public void Cctv_gif_buffer_file_loads_from_disk()
    {
        var dir = Directory.CreateTempSubdirectory("lookback-config-");
        try
        {
            var path = Path.Combine(dir.FullName, "config.yaml");
            File.WriteAllText(path, CctvGifBuffer);
            var o = AssertValid(ConfigLoader.LoadFile(path));
            Assert.Equal(8080, o.Http.Port);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public void Contract_example_loads_with_expected_values()
    {
        var o = AssertValid(ConfigLoader.Parse(ContractExample, "lookback.yaml"));
        Assert.Equal("lookback", o.NodeId);
        Assert.Equal("info", o.LogLevel);

        var mqtt = Assert.IsType<MqttOptions>(o.Mqtt);
        Assert.Equal(new MqttOptions(), mqtt);

        Assert.Equal("0.0.0.0", o.Http.Listen);
        Assert.Equal(8099, o.Http.Port);
        Assert.Equal("http://192.168.1.10:8099", o.Http.PublicUrl);

        Assert.Equal("./media", o.Storage.Path);
        Assert.Equal("/media/local/lookback", o.Storage.MediaUrl);
        Assert.Equal(7, o.Storage.RetainDays);
        Assert.Equal(10L * 1024 * 1024 * 1024, o.Storage.MaxBytes);

        var cam = Assert.Single(o.Cameras);
        Assert.Equal("frontdoor", cam.Slug);
        Assert.Equal("Front door", cam.Name);
        Assert.Equal("Front door", cam.Title);
        Assert.Equal("http://192.168.0.9/ISAPI/Streaming/channels/101/picture", cam.Url);
        Assert.Equal(CameraKind.Auto, cam.Kind);
        Assert.Equal(1, cam.Interval);
        Assert.Equal(30, cam.Store);
        Assert.Equal(60, cam.BufferSeconds);
        Assert.Equal(AuthKind.Basic, cam.Auth);
        Assert.Equal("admin", cam.Username);
        Assert.Equal("letmein", cam.Password);
        Assert.Equal(64L * 1024 * 1024, cam.MaxBufferBytes);
        Assert.Equal(10, cam.Timeout);
        Assert.Equal(8 * 1024 * 1024, cam.MaxFrameBytes);
        Assert.False(cam.Timestamp);

        var m = cam.Motion;
        Assert.True(m.Enabled);
        Assert.Equal(5, m.Fps);
        Assert.Equal(25, m.Threshold);
        Assert.Equal(0.1, m.MinArea);
        Assert.Equal(10, m.OffDelay);
        Assert.Equal(3, m.PreCapture);
        Assert.Equal(3, m.PostCapture);
        var mask = Assert.Single(m.Mask);
        Assert.Equal([new PointF01(0, 0), new PointF01(0.2, 0), new PointF01(0.2, 0.2)], mask.Points);
        Assert.Empty(m.Zones);
        Assert.Equal(new GifOptions { Seconds = 10, Fps = 4, Width = 480 }, cam.Gif);

        var t = Assert.Single(o.Triggers);
        Assert.Equal("zigbee2mqtt/front_doorbell", t.Topic);
        Assert.Equal("single", Assert.Single(t.Match, kv => kv.Key == "action").Value);
        Assert.Equal(["frontdoor"], t.Cameras);
        Assert.Equal(RenderKind.Gif, t.Action);
        Assert.True(t.Doorbell);
    }

    [Fact]
    public void Contract_server_block_alone_maps_to_http()
    {
        var yaml = ContractExample.Replace("http:\n  listen: 0.0.0.0\n  port: 8099\n", "http_unused_marker:\n")
            .Replace("  public_url: http://192.168.1.10:8099   # base of every URL published on MQTT; default http://<host name>:<port>\n", "")
            .Replace("http_unused_marker:\n", "")
            + "\nserver:                           # the cctv-gif-buffer file format is accepted unchanged\n  web: {port: 8080, listen: 0.0.0.0}\n";
        Assert.DoesNotContain("\nhttp:", yaml);
        var o = AssertValid(ConfigLoader.Parse(yaml, "lookback.yaml"));
        Assert.Equal(8080, o.Http.Port);
        Assert.Equal("0.0.0.0", o.Http.Listen);
        Assert.Null(o.Http.PublicUrl);
        Assert.Equal("frontdoor", Assert.Single(o.Cameras).Slug);
    }

    [Fact]
    public void Minimal_config_gets_every_default()
    {
        var o = AssertValid(ConfigLoader.Parse("cameras:\n  cam:\n    url: http://cam/p\n", "min.yaml"));
        Assert.Equal("lookback", o.NodeId);
        Assert.Null(o.Mqtt);
        Assert.Equal(new HttpOptions(), o.Http);
        Assert.Equal(new StorageOptions(), o.Storage);
        var expected = new CameraOptions { Slug = "cam", Url = "http://cam/p" };
        Assert.Equal(Canonical(new LookbackOptions { Cameras = [expected] }), Canonical(o));
    }

    [Fact]
    public void Json_config_equals_the_same_yaml()
    {
        const string json = """
            {
              "node_id": "lookback",
              "log_level": "info",
              "mqtt": {"host": "127.0.0.1", "port": 1883, "username": "", "password": "", "tls": false,
                       "topic_prefix": "lookback", "discovery_prefix": "homeassistant"},
              "http": {"listen": "0.0.0.0", "port": 8099, "public_url": "http://192.168.1.10:8099"},
              "storage": {"path": "./media", "media_url": "/media/local/lookback", "retain_days": 7, "max_bytes": "10GB"},
              "cameras": {
                "frontdoor": {
                  "name": "Front door",
                  "url": "http://192.168.0.9/ISAPI/Streaming/channels/101/picture",
                  "kind": "auto", "interval": 1, "store": 30, "buffer_seconds": 60,
                  "auth": "basic", "username": "admin", "password": "letmein",
                  "motion": {"enabled": true, "fps": 5, "threshold": 25, "min_area": 0.1, "off_delay": 10,
                             "pre_capture": 3, "post_capture": 3, "mask": [[[0,0],[0.2,0],[0.2,0.2]]], "zones": {}},
                  "gif": {"seconds": 10, "fps": 4, "width": 480}
                }
              },
              "triggers": [
                {"topic": "zigbee2mqtt/front_doorbell", "match": {"action": "single"}, "cameras": ["frontdoor"],
                 "action": "gif", "doorbell": true}
              ]
            }
            """;
        var fromYaml = AssertValid(ConfigLoader.Parse(ContractExample, "lookback.yaml"));
        var fromJson = AssertValid(ConfigLoader.Parse(json, "lookback.json"));
        Assert.Equal(Canonical(fromYaml), Canonical(fromJson));
    }

    [Fact]
    public void Json_escapes_numbers_and_literals_are_read()
    {
        const string json = """
            {
              // comments are allowed
              "cameras": {
                "cam": {
                  "name": "Tab\there \"quoted\" back\\slash \u00e9 \/ \ud83d\ude00",
                  "url": "http:\/\/cam\/p",
                  "interval": 5e-1,
                  "store": 1E2,
                  "timestamp": true,
                  "buffer_seconds": null,
                  "motion": {"enabled": false, "min_area": -0.0, "off_delay": 0}
                },
              },
            }
            """;
        var cam = Assert.Single(AssertValid(ConfigLoader.Parse(json, "c.json")).Cameras);
        Assert.Equal("Tab\there \"quoted\" back\\slash é / 😀", cam.Name);
        Assert.Equal("http://cam/p", cam.Url);
        Assert.Equal(0.5, cam.Interval);
        Assert.Equal(100, cam.Store);
        Assert.True(cam.Timestamp);
        Assert.Null(cam.BufferSeconds);
        Assert.False(cam.Motion.Enabled);
        Assert.Equal(0, cam.Motion.OffDelay);
    }

    [Fact]
    public void Addon_options_with_camera_and_zone_lists_load()
    {
        const string json = """
            {
              "log_level": "debug",
              "mqtt": {"host": "core-mosquitto", "port": 1883, "username": "addons", "password": "pw123",
                       "ca_file": "", "client_id": "", "tls": false},
              "http": {"port": 8099, "public_url": ""},
              "storage": {"path": "/media/lookback", "media_url": "/media/local/lookback", "max_bytes": "2GB"},
              "cameras": [
                {"name": "Front Door", "url": "http://cam/p", "interval": 0.5, "store": 20,
                 "auth": "digest", "username": "admin", "password": "x1y2", "buffer_seconds": ""},
                {"slug": "garage", "url": "rtsp://cam:554/stream", "kind": "rtsp", "auth": "",
                 "motion": {"zones": [{"name": "drive", "polygon": [[0,0],[1,0],[1,1]]}], "mask": []}}
              ],
              "triggers": [
                {"topic": "zigbee2mqtt/bell", "match": {"action": "single", "count": 2, "pressed": true, "ratio": 1.50},
                 "cameras": ["front_door", "garage"], "action": "moment"}
              ]
            }
            """;
        var o = AssertValid(ConfigLoader.FromAddonOptions(json));
        Assert.Equal("debug", o.LogLevel);
        Assert.Equal("core-mosquitto", o.Mqtt!.Host);
        Assert.Null(o.Mqtt.CaFile);
        Assert.Null(o.Mqtt.ClientId);
        Assert.Null(o.Http.PublicUrl);
        Assert.Equal(2L * 1024 * 1024 * 1024, o.Storage.MaxBytes);

        Assert.Equal(2, o.Cameras.Count);
        var front = o.Cameras[0];
        Assert.Equal("front_door", front.Slug);
        Assert.Equal("Front Door", front.Name);
        Assert.Equal(0.5, front.Interval);
        Assert.Equal(AuthKind.Digest, front.Auth);
        Assert.Null(front.BufferSeconds);

        var garage = o.Cameras[1];
        Assert.Equal("garage", garage.Slug);
        Assert.Null(garage.Name);
        Assert.Equal(CameraKind.Rtsp, garage.Kind);
        Assert.Equal(AuthKind.None, garage.Auth);
        Assert.Equal([new PointF01(0, 0), new PointF01(1, 0), new PointF01(1, 1)], garage.Motion.Zones["drive"].Points);

        var t = Assert.Single(o.Triggers);
        Assert.Equal(["front_door", "garage"], t.Cameras);
        Assert.Equal(RenderKind.Moment, t.Action);
        Assert.Equal("single", t.Match["action"]);
        Assert.Equal("2", t.Match["count"]);
        Assert.Equal("true", t.Match["pressed"]);
        Assert.Equal("1.50", t.Match["ratio"]);
    }

    [Fact]
    public void Addon_options_file_is_recognised_by_name()
    {
        var dir = Directory.CreateTempSubdirectory("lookback-config-");
        try
        {
            var path = Path.Combine(dir.FullName, "options.json");
            File.WriteAllText(path, """{"cameras": [{"slug": "cam", "url": "http://cam/p"}], "http": {"public_url": ""}}""");
            var o = AssertValid(ConfigLoader.LoadFile(path));
            Assert.Null(o.Http.PublicUrl);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public void Empty_strings_outside_addon_options_are_values()
    {
        var r = ConfigLoader.Parse("""{"cameras": {"cam": {"url": "http://cam/p"}}, "http": {"public_url": ""}}""", "c.json");
        AssertError(r, "http.public_url", 1, "absolute http");
    }

    [Fact]
    public void Match_values_are_stored_as_json_text()
    {
        var o = AssertValid(ConfigLoader.Parse("""
            cameras:
              cam: {url: http://cam/p}
            triggers:
              - topic: zigbee2mqtt/+/action
                match: {action: single, count: 2, ok: true, no: off, ratio: 1.5, quoted: "2", nothing: null}
                cameras: cam
                action: snapshot
            """, "t.yaml"));
        var t = Assert.Single(o.Triggers);
        Assert.Equal(new Dictionary<string, string>
        {
            ["action"] = "single", ["count"] = "2", ["ok"] = "true", ["no"] = "false", ["ratio"] = "1.5",
            ["quoted"] = "2", ["nothing"] = "null",
        }, t.Match);
        Assert.Equal(["cam"], t.Cameras);
        Assert.Equal(RenderKind.Snapshot, t.Action);
        Assert.False(t.Doorbell);
    }

    [Fact]
    public void Wildcard_subscriptions_are_allowed()
    {
        var o = AssertValid(ConfigLoader.Parse("""
            cameras:
              cam: {url: http://cam/p}
            triggers:
              - {topic: "zigbee2mqtt/#", cameras: [cam], action: mp4}
              - {topic: "+/doorbell/+", cameras: [cam]}
            """, "t.yaml"));
        Assert.Equal(RenderKind.Mp4, o.Triggers[0].Action);
        Assert.Equal("+/doorbell/+", o.Triggers[1].Topic);
    }

    [Fact]
    public void Camera_keys_that_are_not_slugs_get_a_derived_slug_and_keep_their_name()
    {
        var o = AssertValid(ConfigLoader.Parse("""
            cameras:
              Front-Door:
                url: http://cam/1
              Back Yard 2:
                url: http://cam/2
                name: Garden
            triggers:
              - topic: bell
                cameras: [Front-Door, back_yard_2]
            """, "c.yaml"));
        Assert.Equal(("front_door", "Front-Door"), (o.Cameras[0].Slug, o.Cameras[0].Name));
        Assert.Equal(("back_yard_2", "Garden"), (o.Cameras[1].Slug, o.Cameras[1].Name));
        Assert.Equal(["front_door", "back_yard_2"], o.Triggers[0].Cameras);
    }

    [Fact]
    public void Credentials_in_the_url_move_to_username_and_password()
    {
        var o = AssertValid(ConfigLoader.Parse("""
            cameras:
              a:
                url: http://admin:Sup3rS3cret!@192.168.0.9/picture?x=1
              b:
                url: rtsp://viewer:p%40ss@cam:554/stream
                auth: digest
              c:
                url: http://user:pw@cam/p
                username: user
            """, "c.yaml"));
        var a = o.Cameras[0];
        Assert.Equal("http://192.168.0.9/picture?x=1", a.Url);
        Assert.Equal(("admin", "Sup3rS3cret!", AuthKind.Basic), (a.Username, a.Password, a.Auth));
        var b = o.Cameras[1];
        Assert.Equal("rtsp://cam:554/stream", b.Url);
        Assert.Equal(("viewer", "p@ss", AuthKind.Digest, CameraKind.Rtsp), (b.Username, b.Password, b.Auth, b.Kind));
        Assert.Equal(("user", "pw"), (o.Cameras[2].Username, o.Cameras[2].Password));
    }

    [Fact]
    public void Url_credentials_that_contradict_the_fields_are_an_error()
    {
        var r = ConfigLoader.Parse("cameras:\n  a:\n    url: http://bob:pw@cam/p\n    username: alice\n", "c.yaml");
        AssertError(r, "cameras.a.url", 3, "differ from username/password");
    }

    [Theory]
    [InlineData("http://cam/p", null, CameraKind.Auto)]
    [InlineData("https://cam/p", "mjpeg", CameraKind.Mjpeg)]
    [InlineData("rtsps://cam/p", null, CameraKind.Rtsp)]
    [InlineData("/dev/video0", null, CameraKind.Usb)]
    [InlineData("/dev/video12", "usb", CameraKind.Usb)]
    [InlineData("/srv/ftp/cam1", null, CameraKind.Folder)]
    [InlineData("./drop/cam1", "folder", CameraKind.Folder)]
    public void Kind_auto_is_resolved_where_the_url_decides(string url, string? kind, CameraKind expected)
    {
        var yaml = $"cameras:\n  cam:\n    url: {url}\n" + (kind is null ? "" : $"    kind: {kind}\n");
        Assert.Equal(expected, Assert.Single(AssertValid(ConfigLoader.Parse(yaml, "c.yaml")).Cameras).Kind);
    }

    [Theory]
    [InlineData("10GB", 10L * 1024 * 1024 * 1024)]
    [InlineData("512MB", 512L * 1024 * 1024)]
    [InlineData("64 KiB", 64L * 1024)]
    [InlineData("1.5GB", 1536L * 1024 * 1024)]
    [InlineData("2k", 2048L)]
    [InlineData("3 kb", 3072L)]
    [InlineData("100", 100L)]
    [InlineData("100B", 100L)]
    [InlineData("1TiB", 1024L * 1024 * 1024 * 1024)]
    public void Sizes_are_parsed(string text, long expected)
    {
        var o = AssertValid(ConfigLoader.Parse($"storage:\n  max_bytes: {text}\ncameras:\n  cam:\n    url: http://cam/p\n    max_buffer_bytes: \"{text}\"\n", "s.yaml"));
        Assert.Equal(expected, o.Storage.MaxBytes);
        Assert.Equal(expected, o.Cameras[0].MaxBufferBytes);
    }

    [Fact]
    public void Camera_extras_and_mqtt_tls_keys_load()
    {
        var o = AssertValid(ConfigLoader.Parse("""
            mqtt:
              host: broker.lan
              tls: yes
              ca_file: /ssl/ca.pem
              tls_insecure: true
              client_id: lookback-test
            cameras:
              cam:
                url: http://cam/p
                max_buffer_bytes: 128MB
                timeout: 2.5
                max_frame_bytes: 1048576
                timestamp: true
                motion:
                  zones:
                    porch: [[0, 0], [0.5, 0], [0.5, 0.5], [0, 0.5]]
            """, "c.yaml"));
        Assert.Equal(new MqttOptions { Host = "broker.lan", Tls = true, CaFile = "/ssl/ca.pem", TlsInsecure = true, ClientId = "lookback-test" }, o.Mqtt);
        var cam = o.Cameras[0];
        Assert.Equal(128L * 1024 * 1024, cam.MaxBufferBytes);
        Assert.Equal(2.5, cam.Timeout);
        Assert.Equal(1048576, cam.MaxFrameBytes);
        Assert.True(cam.Timestamp);
        Assert.Equal(4, cam.Motion.Zones["porch"].Points.Count);
    }

    [Fact]
    public void Yaml_anchors_and_merge_keys_work()
    {
        var o = AssertValid(ConfigLoader.Parse("""
            cameras:
              a: &common
                url: http://cam/a
                interval: 2
                store: 10
              b:
                <<: *common
                url: http://cam/b
            """, "c.yaml"));
        Assert.Equal(("http://cam/b", 2.0, 10), (o.Cameras[1].Url, o.Cameras[1].Interval, o.Cameras[1].Store));
    }

    [Theory]
    [InlineData("c.yaml")]
    [InlineData("c.yml")]
    [InlineData("config")]
    public void Yaml_flow_and_json_text_pick_the_right_parser(string name)
    {
        // a YAML flow mapping (unquoted keys) is not JSON; a .yaml name keeps it YAML
        var yamlFlow = "{cameras: {cam: {url: 'http://cam/p'}}}";
        var json = """{"cameras": {"cam": {"url": "http://cam/p"}}}""";
        if (name != "config") AssertValid(ConfigLoader.Parse(yamlFlow, name));
        AssertValid(ConfigLoader.Parse(json, name));
    }
}
