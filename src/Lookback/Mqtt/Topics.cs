using MQTTnet;

namespace Lookback.Mqtt;

/// <summary>Every MQTT topic Lookback uses, built from the prefixes and the node id (README "MQTT and Home Assistant").</summary>
public sealed record Topics(string Prefix, string DiscoveryPrefix, string NodeId)
{
    public string Node => $"{Prefix}/nodes/{NodeId}";
    public string NodeState => $"{Prefix}/nodes/{NodeId}/state";
    public string NodeCameras => $"{Prefix}/nodes/{NodeId}/cameras";
    /// <summary>Subscription filter for every node's camera list (ours and other instances').</summary>
    public string AllNodeCameras => $"{Prefix}/nodes/+/cameras";
    /// <summary>Subscription filter for every node's online/offline (last will).</summary>
    public string AllNodes => $"{Prefix}/nodes/+";
    public string HaStatus => $"{DiscoveryPrefix}/status";

    public string Availability(string cam) => $"{Prefix}/{cam}/availability";
    public string Snapshot(string cam) => $"{Prefix}/{cam}/snapshot";
    public string Motion(string cam) => $"{Prefix}/{cam}/motion";
    public string State(string cam) => $"{Prefix}/{cam}/state";
    public string GifUrl(string cam) => $"{Prefix}/{cam}/gif/url";
    public string Event(string cam) => $"{Prefix}/{cam}/event";
    public string Result(string cam) => $"{Prefix}/{cam}/result";
    /// <summary>The camera's configured warnings (retained JSON, one object per kind), for the problem binary sensors.</summary>
    public string Warnings(string cam) => $"{Prefix}/{cam}/warnings";
    public string Command(string cam, string action) => $"{Prefix}/{cam}/{action}/set";

    /// <summary>Retained topics of one camera (cleared when the camera leaves the configuration).</summary>
    public IEnumerable<string> CameraRetained(string cam) =>
        [Availability(cam), Snapshot(cam), Motion(cam), State(cam), GifUrl(cam), Warnings(cam)];

    /// <summary>Device id of the node (parent of every camera device).</summary>
    public string NodeDeviceId => $"lookback_{NodeId}";
    public string CameraDeviceId(string cam) => $"lookback_{NodeId}_{cam}";
    /// <summary>Device-based discovery topic of the node device: D/device/lookback_N/config.</summary>
    public string NodeDiscovery => $"{DiscoveryPrefix}/device/{NodeDeviceId}/config";
    /// <summary>Device-based discovery topic of a camera: D/device/N_&lt;cam&gt;/config.</summary>
    public string CameraDiscovery(string cam) => $"{DiscoveryPrefix}/device/{NodeId}_{cam}/config";

    public static readonly string[] CommandActions = ["snapshot", "gif", "moment", "motion", "motion_threshold"];

    /// <summary>Parses P/&lt;cam&gt;/&lt;action&gt;/set; false for any other topic.</summary>
    public bool TryParseCommand(string topic, out string cam, out string action)
    {
        cam = action = "";
        if (!topic.StartsWith(Prefix + "/", StringComparison.Ordinal)) return false;
        var rest = topic.AsSpan(Prefix.Length + 1);
        if (!rest.EndsWith("/set", StringComparison.Ordinal)) return false;
        rest = rest[..^4];
        var slash = rest.IndexOf('/');
        if (slash <= 0) return false;
        var a = rest[(slash + 1)..].ToString();
        if (Array.IndexOf(CommandActions, a) < 0) return false;
        cam = rest[..slash].ToString();
        action = a;
        return cam != "nodes";
    }

    /// <summary>Parses P/nodes/&lt;node&gt;/cameras.</summary>
    public bool TryParseNodeCameras(string topic, out string node)
    {
        node = "";
        var head = Prefix + "/nodes/";
        if (!topic.StartsWith(head, StringComparison.Ordinal) || !topic.EndsWith("/cameras", StringComparison.Ordinal)) return false;
        var n = topic[head.Length..^"/cameras".Length];
        if (n.Length == 0 || n.Contains('/')) return false;
        node = n;
        return true;
    }

    /// <summary>MQTT topic-filter match (+ one level, # the rest), by MQTTnet's comparer.</summary>
    public static bool Matches(string filter, string topic)
    {
        // MQTT 4.7.2: a filter starting with a wildcard does not match a topic starting with '$' (the comparer leaves
        // that rule to the broker)
        if (topic.StartsWith('$') && filter.Length > 0 && filter[0] is '+' or '#') return false;
        if (MqttTopicFilterComparer.Compare(topic, filter) == MqttTopicFilterCompareResult.IsMatch) return true;
        // '#' also matches its parent level (4.7.1.2: "a/#" matches "a"); the comparer misses that after a '+' ("a/+/#", "a/b")
        return filter.EndsWith("/#", StringComparison.Ordinal)
               && MqttTopicFilterComparer.Compare(topic, filter[..^2]) == MqttTopicFilterCompareResult.IsMatch;
    }

    /// <summary>A valid publish topic: non-empty, no wildcards, no NUL, at most 65535 UTF-8 bytes.</summary>
    public static bool IsValidPublishTopic(string? topic) =>
        !string.IsNullOrEmpty(topic) && topic.IndexOfAny(['+', '#', '\0']) < 0
        && System.Text.Encoding.UTF8.GetByteCount(topic) <= 65535;
}
