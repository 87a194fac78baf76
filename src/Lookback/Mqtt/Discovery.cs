using System.Text.Json;
using System.Text.Json.Nodes;
using Lookback.Config;

namespace Lookback.Mqtt;

/// <summary>
/// Pure builders of Home Assistant device-based discovery payloads (HA 2024.11+; Home Assistant's MQTT discovery documentation).
/// One device per camera at <c>D/device/N_&lt;cam&gt;/config</c>, and one device for the node at
/// <c>D/device/lookback_N/config</c> (parent of the camera devices via <c>via_device</c>).
/// </summary>
public static class Discovery
{
    /// <summary>The project's one URL: origin <c>support_url</c>, config.yaml <c>url</c> and repository.yaml (a test compares them).</summary>
    public const string OriginUrl = "https://github.com/lookback-cam/lookback";
    public static readonly string[] EventTypes = ["motion_start", "motion_end", "ring", "snapshot_ready", "gif_ready", "moment_ready", "warning", "warning_cleared"];

    public static string KindName(CameraKind k) => k.ToString().ToLowerInvariant();

    /// <summary>Device triggers of every camera (type/subtype: HA shows unknown ones as "subtype type", e.g. "motion started").</summary>
    public static readonly (string Key, string EventType, string Subtype, string Type)[] Triggers =
    [
        ("trigger_motion_started", "motion_start", "motion", "started"),
        ("trigger_motion_ended", "motion_end", "motion", "ended"),
        ("trigger_gif_ready", "gif_ready", "gif", "ready"),
    ];
    /// <summary>The device trigger of cameras that a doorbell trigger renders: "doorbell rang".</summary>
    public static readonly (string Key, string EventType, string Subtype, string Type) DoorbellTrigger =
        ("trigger_doorbell_rang", "ring", "doorbell", "rang");

    /// <summary>The device trigger of cameras with warnings set: "warning raised".</summary>
    public static readonly (string Key, string EventType, string Subtype, string Type) WarningTrigger =
        ("trigger_warning_raised", "warning", "warning", "raised");

    /// <summary>The problem binary sensor of each warning kind: component key and entity name.</summary>
    public static readonly IReadOnlyDictionary<string, (string Key, string Name)> WarningSensors = new Dictionary<string, (string, string)>
    {
        [Warnings.WarningKinds.NoFrames] = ("warning_no_frames", "No frames"),
        [Warnings.WarningKinds.TooManyEvents] = ("warning_too_many_events", "Too many events"),
        [Warnings.WarningKinds.Offline] = ("warning_offline", "Offline warning"),
    };

    /// <summary>The device model: the detected kind (<c>auto</c> only until an HTTP camera's first answer).</summary>
    public static string ModelName(CameraKind detected) => detected == CameraKind.Auto ? "auto (detecting)" : KindName(detected);

    /// <summary>
    /// Home Assistant's "Visit" link of a camera device: the ingress panel in add-on mode, else the web UI's camera
    /// page under the public URL (default http://&lt;host name&gt;:&lt;port&gt;, as media URLs).
    /// </summary>
    public static string? ConfigurationUrl(HttpOptions http, string cam)
    {
        if (!string.IsNullOrWhiteSpace(http.UiUrl)) return http.UiUrl;
        var root = Media.Storage.MediaStore.PublicBaseOf(http);
        return Uri.TryCreate(root, UriKind.Absolute, out var u) && u.Scheme is "http" or "https" ? root + "/#/camera/" + cam : null;
    }

    private static JsonObject Origin(string version) => new() { ["name"] = "Lookback", ["sw"] = version, ["url"] = OriginUrl };

    /// <summary>The node's display name: "Lookback", or "Lookback &lt;node&gt;" when several instances share a broker.</summary>
    public static string NodeName(string nodeId) => nodeId == "lookback" ? "Lookback" : $"Lookback {nodeId}";

    /// <summary>Device-based discovery config of one camera.</summary>
    /// <param name="detected">What the camera turned out to be (model); null: the configured kind.</param>
    /// <param name="doorbell">The camera is rendered by a doorbell trigger: adds the doorbell event entity and trigger.</param>
    public static JsonObject Camera(Topics t, CameraOptions cam, string version, CameraKind? detected = null,
        string? configurationUrl = null, bool doorbell = false)
    {
        var c = cam.Slug;
        string Uid(string key) => $"{t.CameraDeviceId(c)}_{key}";
        var components = new JsonObject
        {
            ["snapshot"] = new JsonObject
            {
                ["platform"] = "camera", ["name"] = null, ["unique_id"] = Uid("snapshot"), ["topic"] = t.Snapshot(c),
            },
            ["last_gif"] = new JsonObject
            {
                ["platform"] = "image", ["name"] = "Last GIF", ["unique_id"] = Uid("last_gif"), ["url_topic"] = t.GifUrl(c),
            },
            ["motion"] = new JsonObject
            {
                ["platform"] = "binary_sensor", ["name"] = "Motion", ["unique_id"] = Uid("motion"), ["device_class"] = "motion",
                ["state_topic"] = t.Motion(c), ["payload_on"] = "ON", ["payload_off"] = "OFF",
            },
            ["event"] = new JsonObject
            {
                ["platform"] = "event", ["name"] = "Event", ["unique_id"] = Uid("event"), ["state_topic"] = t.Event(c),
                ["event_types"] = new JsonArray([.. EventTypes.Select(e => (JsonNode)JsonValue.Create(e)!)]),
            },
            ["snapshot_button"] = Button(t, c, Uid("snapshot_button"), "Take snapshot", "snapshot", "mdi:camera"),
            ["gif_button"] = Button(t, c, Uid("gif_button"), "Make GIF", "gif", "mdi:file-gif-box"),
            ["moment_button"] = Button(t, c, Uid("moment_button"), "Save moment", "moment", "mdi:movie-open"),
            ["motion_detection"] = new JsonObject
            {
                ["platform"] = "switch", ["name"] = "Motion detection", ["unique_id"] = Uid("motion_detection"),
                ["command_topic"] = t.Command(c, "motion"), ["state_topic"] = t.State(c),
                ["value_template"] = "{{ 'ON' if value_json.motion.enabled else 'OFF' }}",
                ["payload_on"] = "ON", ["payload_off"] = "OFF", ["state_on"] = "ON", ["state_off"] = "OFF",
                ["entity_category"] = "config", ["icon"] = "mdi:motion-sensor",
            },
            ["motion_threshold"] = new JsonObject
            {
                ["platform"] = "number", ["name"] = "Motion threshold", ["unique_id"] = Uid("motion_threshold"),
                ["command_topic"] = t.Command(c, "motion_threshold"), ["state_topic"] = t.State(c),
                ["value_template"] = "{{ value_json.motion.threshold }}",
                ["min"] = MotionOptions.ThresholdRange.Min, ["max"] = MotionOptions.ThresholdRange.Max, ["step"] = 1, ["mode"] = "box", ["entity_category"] = "config",
                ["icon"] = "mdi:tune-vertical",
            },
            ["fps"] = Diagnostic(t, c, Uid("fps"), "Frame rate", "{{ value_json.fps }}", unit: "fps", precision: 1),
            ["buffered_seconds"] = Diagnostic(t, c, Uid("buffered_seconds"), "Buffered", "{{ value_json.buffered_seconds }}",
                unit: "s", deviceClass: "duration", precision: 0),
            ["last_error"] = Diagnostic(t, c, Uid("last_error"), "Last error",
                "{{ (value_json.last_error or 'none')[:250] }}", measurement: false),
            // Keeps Home Assistant subscribed to the result topic, so an automation's wait_for_trigger on it gets even a
            // result that arrives within milliseconds (a new subscription reaches the broker only after HA's cooldown).
            ["last_render"] = new JsonObject
            {
                ["platform"] = "sensor", ["name"] = "Last render", ["unique_id"] = Uid("last_render"), ["state_topic"] = t.Result(c),
                ["value_template"] = "{{ value_json.status }}", ["json_attributes_topic"] = t.Result(c),
                ["entity_category"] = "diagnostic", ["icon"] = "mdi:file-gif-box",
            },
        };
        if (doorbell)
        {
            // HA's doorbell icon and logbook text; only `ring` reaches it (other events render empty and are ignored).
            components["doorbell"] = new JsonObject
            {
                ["platform"] = "event", ["name"] = "Doorbell", ["unique_id"] = Uid("doorbell"), ["device_class"] = "doorbell",
                ["state_topic"] = t.Event(c), ["event_types"] = new JsonArray("ring"),
                ["value_template"] = "{{ value if value_json.event_type == 'ring' else '' }}",
            };
            components[DoorbellTrigger.Key] = DeviceTrigger(t, c, Uid(DoorbellTrigger.Key), DoorbellTrigger);
        }
        foreach (var trig in Triggers) components[trig.Key] = DeviceTrigger(t, c, Uid(trig.Key), trig);
        var warnings = Warnings.WarningKinds.Configured(cam.Warnings);
        foreach (var kind in warnings)
        {
            // a problem sensor per configured warning; available with the node only, so "offline" shows while the camera is offline
            var (key, name) = WarningSensors[kind];
            components[key] = new JsonObject
            {
                ["platform"] = "binary_sensor", ["name"] = name, ["unique_id"] = Uid(key), ["device_class"] = "problem",
                ["state_topic"] = t.Warnings(c), ["value_template"] = $"{{{{ 'ON' if value_json.{kind}.active else 'OFF' }}}}",
                ["payload_on"] = "ON", ["payload_off"] = "OFF",
                ["json_attributes_topic"] = t.Warnings(c), ["json_attributes_template"] = $"{{{{ value_json.{kind} | tojson }}}}",
                ["entity_category"] = "diagnostic",
                ["availability"] = new JsonArray(new JsonObject { ["topic"] = t.Node, ["payload_available"] = "online", ["payload_not_available"] = "offline" }),
            };
        }
        if (warnings.Count > 0) components[WarningTrigger.Key] = DeviceTrigger(t, c, Uid(WarningTrigger.Key), WarningTrigger);
        var device = new JsonObject
        {
            ["identifiers"] = new JsonArray(t.CameraDeviceId(c)),
            ["name"] = cam.Title,
            ["manufacturer"] = "Lookback",
            ["model"] = ModelName(detected ?? cam.Kind),
            ["sw_version"] = version,
            ["via_device"] = t.NodeDeviceId,
        };
        if (!string.IsNullOrWhiteSpace(cam.Area)) device["suggested_area"] = cam.Area;
        if (configurationUrl != null) device["configuration_url"] = configurationUrl;
        return new JsonObject
        {
            ["device"] = device,
            ["origin"] = Origin(version),
            ["availability"] = new JsonArray(
                new JsonObject { ["topic"] = t.Node, ["payload_available"] = "online", ["payload_not_available"] = "offline" },
                new JsonObject { ["topic"] = t.Availability(c), ["payload_available"] = "online", ["payload_not_available"] = "offline" }),
            ["availability_mode"] = "all",
            ["components"] = components,
        };
    }

    /// <summary>Device-based discovery config of the node: connectivity (no availability), version, renders queued.</summary>
    public static JsonObject Node(Topics t, string version)
    {
        var nodeAvailability = () => new JsonArray(new JsonObject { ["topic"] = t.Node });
        return new JsonObject
        {
            ["device"] = new JsonObject
            {
                ["identifiers"] = new JsonArray(t.NodeDeviceId),
                ["name"] = NodeName(t.NodeId),
                ["manufacturer"] = "Lookback",
                ["model"] = "Lookback",
                ["sw_version"] = version,
            },
            ["origin"] = Origin(version),
            ["components"] = new JsonObject
            {
                ["connectivity"] = new JsonObject
                {
                    ["platform"] = "binary_sensor", ["name"] = "Connectivity", ["unique_id"] = $"{t.NodeDeviceId}_connectivity",
                    ["device_class"] = "connectivity", ["state_topic"] = t.Node,
                    ["payload_on"] = "online", ["payload_off"] = "offline", ["entity_category"] = "diagnostic",
                },
                ["version"] = new JsonObject
                {
                    ["platform"] = "sensor", ["name"] = "Version", ["unique_id"] = $"{t.NodeDeviceId}_version",
                    ["state_topic"] = t.NodeState, ["value_template"] = "{{ value_json.version }}",
                    ["entity_category"] = "diagnostic", ["availability"] = nodeAvailability(),
                },
                ["renders_queued"] = new JsonObject
                {
                    ["platform"] = "sensor", ["name"] = "Renders queued", ["unique_id"] = $"{t.NodeDeviceId}_renders_queued",
                    ["state_topic"] = t.NodeState, ["value_template"] = "{{ value_json.renders_queued }}",
                    ["state_class"] = "measurement", ["entity_category"] = "diagnostic", ["availability"] = nodeAvailability(),
                    ["icon"] = "mdi:tray-full",
                },
                // cameras whose slug another node serves: their count, and each reason as an attribute
                ["standby"] = new JsonObject
                {
                    ["platform"] = "sensor", ["name"] = "Cameras on standby", ["unique_id"] = $"{t.NodeDeviceId}_standby",
                    ["state_topic"] = t.NodeState, ["value_template"] = "{{ (value_json.standby or {}) | count }}",
                    ["json_attributes_topic"] = t.NodeState, ["json_attributes_template"] = "{{ (value_json.standby or {}) | tojson }}",
                    ["entity_category"] = "diagnostic", ["availability"] = nodeAvailability(), ["icon"] = "mdi:swap-horizontal",
                },
            },
        };
    }

    /// <summary>An MQTT device trigger on the camera's event topic that fires for one event_type.</summary>
    private static JsonObject DeviceTrigger(Topics t, string cam, string uid, (string Key, string EventType, string Subtype, string Type) trig) => new()
    {
        ["platform"] = "device_automation", ["automation_type"] = "trigger", ["unique_id"] = uid,
        ["topic"] = t.Event(cam), ["value_template"] = "{{ value_json.event_type }}", ["payload"] = trig.EventType,
        ["type"] = trig.Type, ["subtype"] = trig.Subtype, ["qos"] = 1,
    };

    private static JsonObject Button(Topics t, string cam, string uid, string name, string action, string icon) => new()
    {
        ["platform"] = "button", ["name"] = name, ["unique_id"] = uid, ["command_topic"] = t.Command(cam, action),
        ["payload_press"] = "PRESS", ["icon"] = icon,
    };

    private static JsonObject Diagnostic(Topics t, string cam, string uid, string name, string template,
        string? unit = null, string? deviceClass = null, int? precision = null, bool measurement = true)
    {
        var o = new JsonObject
        {
            ["platform"] = "sensor", ["name"] = name, ["unique_id"] = uid, ["state_topic"] = t.State(cam),
            ["value_template"] = template, ["entity_category"] = "diagnostic",
        };
        if (measurement) o["state_class"] = "measurement";
        if (unit != null) o["unit_of_measurement"] = unit;
        if (deviceClass != null) o["device_class"] = deviceClass;
        if (precision != null) o["suggested_display_precision"] = precision;
        return o;
    }

    public static string Serialize(JsonObject o) => o.ToJsonString(new JsonSerializerOptions { WriteIndented = false });

    /// <summary>Cameras listed in the previous run's list that are no longer configured.</summary>
    public static IReadOnlyList<string> Removed(IEnumerable<string> previous, IEnumerable<string> current)
    {
        var now = current.ToHashSet(StringComparer.Ordinal);
        return [.. previous.Where(p => !now.Contains(p) && IsSlug(p)).Distinct()];
    }

    public static bool IsSlug(string s) => s.Length > 0 && s.All(ch => ch is >= 'a' and <= 'z' or >= '0' and <= '9' or '_');
}
