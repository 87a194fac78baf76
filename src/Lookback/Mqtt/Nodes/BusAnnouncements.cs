using System.Text.Json;

namespace Lookback.Mqtt.Nodes;

/// <summary>Reads a node's <c>P/nodes/N/cameras</c> payload into a <see cref="BusNodeInfo"/> (never throws).</summary>
public static class BusAnnouncements
{
    /// <summary>
    /// The announcement object (<c>{"node", "version", "public_url", "started", "cameras": [{"slug", "name", "kind",
    /// "failover_priority", "standby"}]}</c>), or the plain slug list of nodes older than 0.3; null when unreadable.
    /// </summary>
    public static BusNodeInfo? Parse(string node, ReadOnlySpan<byte> payload)
    {
        if (payload.IsEmpty || payload.Length > 256 * 1024) return null;
        try
        {
            var r = new Utf8JsonReader(payload);
            using var d = JsonDocument.ParseValue(ref r);
            var root = d.RootElement;
            if (root.ValueKind == JsonValueKind.Array)
                return new BusNodeInfo(node, null, null, null,
                    [.. root.EnumerateArray().Where(e => e.ValueKind == JsonValueKind.String).Select(e => new BusCamera(e.GetString()!, e.GetString()!, "", 0, false))]);
            if (root.ValueKind != JsonValueKind.Object) return null;
            var cams = new List<BusCamera>();
            if (root.TryGetProperty("cameras", out var list) && list.ValueKind == JsonValueKind.Array)
                foreach (var c in list.EnumerateArray())
                {
                    if (c.ValueKind != JsonValueKind.Object || Str(c, "slug") is not { Length: > 0 } slug) continue;
                    var prio = c.TryGetProperty("failover_priority", out var p) && p.ValueKind == JsonValueKind.Number && p.TryGetInt32(out var pv) ? pv : 0;
                    var standby = c.TryGetProperty("standby", out var sb) && sb.ValueKind == JsonValueKind.True;
                    cams.Add(new BusCamera(slug, Str(c, "name") ?? slug, Str(c, "kind") ?? "", prio, standby));
                }
            return new BusNodeInfo(node, Str(root, "version"), Str(root, "public_url"), Str(root, "started"), cams);
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException) { return null; }
    }

    private static string? Str(JsonElement o, string name) =>
        o.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
}
