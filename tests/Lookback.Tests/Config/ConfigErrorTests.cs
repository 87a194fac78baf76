using Lookback.Config;
using static Lookback.Tests.Config.ConfigTestHelpers;

namespace Lookback.Tests.Config;

public class ConfigErrorTests
{
    // Each case: YAML (or JSON when it starts with '{'), expected error path, line, and a fragment of its message.
    public static TheoryData<string, string, int?, string> Broken => new()
    {
        // unknown keys at every level, with suggestions
        { """
          camera:
            x: 1
          cameras:
            frontdoor:
              url: http://cam/p
          """, "camera", 1, "unknown key, did you mean 'cameras'?" },
        { """
          cameras:
            frontdoor:
              url: http://cam/p
              intervall: 2
          """, "cameras.frontdoor.intervall", 4, "unknown key, did you mean 'interval'?" },
        { """
          cameras:
            frontdoor:
              url: http://cam/p
              motion:
                treshold: 20
          """, "cameras.frontdoor.motion.treshold", 5, "did you mean 'threshold'?" },
        { """
          mqtt:
            hostname: broker
          cameras:
            frontdoor:
              url: http://cam/p
          """, "mqtt.hostname", 2, "unknown key" },
        // wrong types and ranges
        { """
          cameras:
            frontdoor:
              url: http://cam/p
              interval: fast
          """, "cameras.frontdoor.interval", 4, "must be a number" },
        { """
          cameras:
            frontdoor:
              url: http://cam/p
              interval: -1
          """, "cameras.frontdoor.interval", 4, "must be greater than 0" },
        { """
          cameras:
            frontdoor:
              url: http://cam/p
              store: 0
          """, "cameras.frontdoor.store", 4, "must be at least 1" },
        { """
          cameras:
            frontdoor:
              url: http://cam/p
              store: 2.5
          """, "cameras.frontdoor.store", 4, "must be a whole number" },
        { """
          http:
            port: 70000
          cameras:
            frontdoor:
              url: http://cam/p
          """, "http.port", 2, "must be between 1 and 65535" },
        { """
          mqtt:
            port: abc
          cameras:
            frontdoor:
              url: http://cam/p
          """, "mqtt.port", 2, "must be a whole number" },
        { """
          cameras:
            frontdoor:
              url: http://cam/p
              motion:
                threshold: 0
          """, "cameras.frontdoor.motion.threshold", 5, "must be between 1 and 255" },
        { """
          cameras:
            frontdoor:
              url: http://cam/p
              motion:
                threshold: 256
          """, "cameras.frontdoor.motion.threshold", 5, "must be between 1 and 255" },
        { """
          cameras:
            frontdoor:
              url: http://cam/p
              motion: {fps: 31}
          """, "cameras.frontdoor.motion.fps", 4, "at most 30" },
        { """
          cameras:
            frontdoor:
              url: http://cam/p
              motion:
                min_area: 101
          """, "cameras.frontdoor.motion.min_area", 5, "between 0 and 100" },
        // motion_url (issue 14)
        { """
          cameras:
            frontdoor:
              url: http://cam/p
              motion_url: rtsp://cam/sub
          """, "cameras.frontdoor.motion_url", 4, "must be an absolute http:// or https:// URL" },
        { """
          cameras:
            frontdoor:
              url: http://cam/p
              motion_url: http://admin:secret@cam/sub.jpg
          """, "cameras.frontdoor.motion_url", 4, "must not carry credentials" },
        { """
          cameras:
            frontdoor:
              url: http://cam/p
              motion:
                pre_capture: 61
          """, "cameras.frontdoor.motion.pre_capture", 5, "between 0 and 60" },
        { """
          cameras:
            frontdoor:
              url: http://cam/p
              motion:
                off_delay: -2
          """, "cameras.frontdoor.motion.off_delay", 5, "must be 0 or more" },
        { """
          cameras:
            frontdoor:
              url: http://cam/p
              gif:
                width: 8
          """, "cameras.frontdoor.gif.width", 5, "between 16 and 3840" },
        { """
          cameras:
            frontdoor:
              url: http://cam/p
              timestamp: maybe
          """, "cameras.frontdoor.timestamp", 4, "must be true or false" },
        { """
          storage:
            retain_days: -1
          cameras:
            frontdoor:
              url: http://cam/p
          """, "storage.retain_days", 2, "must be at least 0" },
        { """
          storage:
            max_bytes: 10XB
          cameras:
            frontdoor:
              url: http://cam/p
          """, "storage.max_bytes", 2, "must be a size" },
        { """
          log_level: verbose
          cameras:
            frontdoor:
              url: http://cam/p
          """, "log_level", 1, "must be one of trace|debug|info|warning|error" },
        { """
          log_level: warn
          cameras:
            frontdoor:
              url: http://cam/p
          """, "log_level", 1, "did you mean 'warning'?" },
        // URLs and kinds
        { """
          cameras:
            frontdoor:
              url: not a url
          """, "cameras.frontdoor.url", 3, "must be an absolute" },
        { """
          cameras:
            frontdoor:
              url: ftp://cam/p
          """, "cameras.frontdoor.url", 3, "must be an absolute" },
        { """
          cameras:
            frontdoor:
              url: http://cam/p
              kind: rtsp
          """, "cameras.frontdoor.url", 3, "rtsp:// or rtsps://" },
        { """
          cameras:
            frontdoor:
              url: rtsp://cam/stream
              kind: mjpeg
          """, "cameras.frontdoor.url", 3, "http:// or https://" },
        { """
          cameras:
            garage:
              url: http://cam/p
              kind: usb
          """, "cameras.garage.url", 3, "/dev/video0" },
        { """
          cameras:
            frontdoor:
              url: http://cam/p
              kind: mpeg
          """, "cameras.frontdoor.kind", 4, "did you mean 'mjpeg'?" },
        { """
          cameras:
            frontdoor:
              kind: snapshot
          """, "cameras.frontdoor.url", 2, "is required" },
        { """
          http:
            public_url: ftp://example.org
          cameras:
            frontdoor:
              url: http://cam/p
          """, "http.public_url", 2, "absolute http:// or https://" },
        // auth
        { """
          cameras:
            frontdoor:
              url: http://cam/p
              auth: digest
          """, "cameras.frontdoor.auth", 4, "needs a username" },
        { """
          cameras:
            frontdoor:
              url: http://cam/p
              auth: ntlm
              username: admin
          """, "cameras.frontdoor.auth", 4, "must be one of basic|digest" },
        // slugs
        { """
          node_id: Look-Back
          cameras:
            frontdoor:
              url: http://cam/p
          """, "node_id", 1, "must match [a-z0-9_]+" },
        { """
          cameras:
            Front-Door:
              url: http://cam/1
            front_door:
              url: http://cam/2
          """, "cameras.front_door", 4, "duplicate slug 'front_door' (from 'front_door' and 'Front-Door' at line 2)" },
        { """
          cameras: {}
          """, "cameras", 1, "at least one camera is required" },
        { """
          node_id: alone
          """, "cameras", null, "at least one camera is required" },
        // triggers
        { """
          cameras:
            frontdoor:
              url: http://cam/p
          triggers:
            - topic: zigbee2mqtt/bell
              cameras: [backdoor]
          """, "triggers[0].cameras[0]", 6, "unknown camera 'backdoor'" },
        { """
          cameras:
            frontdoor:
              url: http://cam/p
          triggers:
            - topic: a/#/b
              cameras: [frontdoor]
          """, "triggers[0].topic", 5, "'#' is only allowed as the whole last level" },
        { """
          cameras:
            frontdoor:
              url: http://cam/p
          triggers:
            - topic: a/b+/c
              cameras: [frontdoor]
          """, "triggers[0].topic", 5, "'+' must be a whole level" },
        { """
          cameras:
            frontdoor:
              url: http://cam/p
          triggers:
            - topic: ""
              cameras: [frontdoor]
          """, "triggers[0].topic", 5, "must not be empty" },
        { """
          cameras:
            frontdoor:
              url: http://cam/p
          triggers:
            - topic: bell
              cameras: [frontdoor]
              action: video
          """, "triggers[0].action", 7, "must be one of gif|moment|snapshot|mp4" },
        { """
          cameras:
            frontdoor:
              url: http://cam/p
          triggers:
            - cameras: [frontdoor]
          """, "triggers[0].topic", 5, "is required" },
        { """
          mqtt:
            topic_prefix: "home/#"
          cameras:
            frontdoor:
              url: http://cam/p
          """, "mqtt.topic_prefix", 2, "must not contain '+' or '#'" },
        // polygons
        { """
          cameras:
            frontdoor:
              url: http://cam/p
              motion:
                mask: [[[0, 0], [1, 1]]]
          """, "cameras.frontdoor.motion.mask[0]", 5, "at least 3 points" },
        { """
          cameras:
            frontdoor:
              url: http://cam/p
              motion:
                mask:
                  - [[0, 0], [1.5, 0], [1, 1]]
          """, "cameras.frontdoor.motion.mask[0][1][0]", 6, "must be between 0 and 1" },
        { """
          cameras:
            frontdoor:
              url: http://cam/p
              motion:
                mask: [[0, 0], [1, 0], [1, 1]]
          """, "cameras.frontdoor.motion.mask", 5, "list of polygons" },
        { """
          cameras:
            frontdoor:
              url: http://cam/p
              motion:
                zones:
                  porch: [[0, 0], [0.5, 0], [0.5]]
          """, "cameras.frontdoor.motion.zones.porch[2]", 6, "must be a point [x, y]" },
        // document structure
        { """
          cameras:
            frontdoor:
              url: http://cam/p
              interval: 1
              interval: 2
          """, "cameras.frontdoor.interval", 5, "duplicate key (first at line 4)" },
        { """
          cameras:
            frontdoor:
              url: http://cam/p
             interval: 2
          """, "", 4, "YAML syntax error" },
        { """
          cameras:
            frontdoor:
              url: "http://cam/p
          """, "", 3, "YAML syntax error" },
        // both http and server.web
        { """
          http:
            port: 8099
          server:
            web:
              port: 8080
          cameras:
            frontdoor:
              url: http://cam/p
          """, "server.web", 4, "cannot be combined with 'http' (line 1)" },
        // JSON
        { """
          {
            "cameras": {
              "frontdoor": {
                "url": "http://cam/p"
                "interval": 2
              }
            }
          }
          """, "", 5, "JSON syntax error" },
        { """
          {
            "cameras": {
              "frontdoor": {
                "url": "http://cam/p",
                "intervall": 2
              }
            }
          }
          """, "cameras.frontdoor.intervall", 5, "did you mean 'interval'?" },
        { """
          {
            "cameras": {
              "frontdoor": {
                "url": "http://cam/p",
                "store": 10,
                "store": 20
              }
            }
          }
          """, "cameras.frontdoor.store", 6, "duplicate key (first at line 5)" },
        { """
          {
            "cameras": {
              "frontdoor": {
                "url": "http://cam/p",
                "interval": "2"
              }
            }
          }
          """, "cameras.frontdoor.interval", 5, "must be a number" },
    };

    [Theory]
    [MemberData(nameof(Broken))]
    public void Broken_configuration_reports_path_and_line(string text, string path, int? line, string fragment)
    {
        var result = ConfigLoader.Parse(text, text.StartsWith('{') ? "test.json" : "test.yaml");
        AssertError(result, path, line, fragment);
    }

    [Fact]
    public void Error_text_has_path_message_and_line()
    {
        var e = new ConfigError("cameras.frontdoor.interval", 7, "must be greater than 0");
        Assert.Equal("cameras.frontdoor.interval: must be greater than 0 (line 7)", e.ToString());
        Assert.Equal("cameras: at least one camera is required", new ConfigError("cameras", null, "at least one camera is required").ToString());
    }

    [Fact]
    public void Every_error_in_a_file_is_reported()
    {
        var result = ConfigLoader.Parse("""
            log_level: loud
            http:
              port: 0
            cameras:
              frontdoor:
                url: http://cam/p
                interval: 0
                store: -3
                colour: red
                motion:
                  threshold: 300
              backdoor:
                url: nope
            triggers:
              - topic: a/#/b
                cameras: [garage]
            """, "multi.yaml");

        Assert.False(result.IsValid);
        var expected = new (string Path, int Line)[]
        {
            ("log_level", 1), ("http.port", 3), ("cameras.frontdoor.interval", 7), ("cameras.frontdoor.store", 8),
            ("cameras.frontdoor.colour", 9), ("cameras.frontdoor.motion.threshold", 11), ("cameras.backdoor.url", 13),
            ("triggers[0].topic", 15), ("triggers[0].cameras[0]", 16),
        };
        foreach (var (path, line) in expected)
            Assert.True(result.Errors.Any(e => e.Path == path && e.Line == line), $"missing {path} (line {line}) in:\n{Dump(result)}");
        Assert.Equal(expected.Length, result.Errors.Count);
    }

    [Fact]
    public void Duplicate_slugs_from_a_camera_list_are_reported()
    {
        var result = ConfigLoader.FromAddonOptions("""
            {"cameras": [
              {"name": "Front Door", "url": "http://cam/1"},
              {"slug": "front_door", "url": "http://cam/2"}
            ]}
            """);
        AssertError(result, "cameras[1]", 3, "duplicate slug 'front_door'");
    }

    [Fact]
    public void Addon_options_errors_carry_list_paths_and_lines()
    {
        var result = ConfigLoader.FromAddonOptions("""
            {
              "cameras": [
                {"slug": "cam", "url": "http://cam/p", "intervall": 1},
                {"slug": "Bad-Slug", "url": "http://cam/q"},
                {"url": "http://cam/r"},
                {"slug": "zoned", "url": "",
                 "motion": {"zones": [{"name": "drive", "polygon": [[0, 0], [2, 0], [1, 1]]}]}}
              ]
            }
            """);
        AssertError(result, "cameras[0].intervall", 3, "did you mean 'interval'?");
        AssertError(result, "cameras[1].slug", 4, "must match [a-z0-9_]+");
        AssertError(result, "cameras[2]", 5, "needs a 'slug' or a 'name'");
        AssertError(result, "cameras[3].url", 6, "is required");
        AssertError(result, "cameras[3].motion.zones[0].polygon[1][0]", 7, "must be between 0 and 1");
        Assert.Equal(5, result.Errors.Count);
    }

    [Fact]
    public void Missing_file_names_the_file()
    {
        var path = Path.Combine(Path.GetTempPath(), "lookback-missing-" + Guid.NewGuid().ToString("N") + ".yaml");
        var result = ConfigLoader.LoadFile(path);
        Assert.False(result.IsValid);
        Assert.Contains(path, Assert.Single(result.Errors).ToString());
    }

    [Fact]
    public void Root_that_is_not_a_mapping_is_an_error()
    {
        var result = ConfigLoader.Parse("- a\n- b\n", "list.yaml");
        AssertError(result, "", 1, "must be a mapping");
    }
}
