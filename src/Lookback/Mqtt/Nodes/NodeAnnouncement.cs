using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Lookback.Mqtt.Nodes;

/// <summary>One camera in a node's announcement.</summary>
/// <param name="FailoverPriority">Lower wins; <see cref="NodeAnnouncement.DefaultPriority"/> when not configured.</param>
/// <param name="Standby">Configured as a spare: serves only when no online non-spare node announces the slug.</param>
public sealed record AnnouncedCamera(string Slug, string? Name = null, string? Kind = null,
    int FailoverPriority = NodeAnnouncement.DefaultPriority, bool Standby = false)
{
    public string Title => string.IsNullOrWhiteSpace(Name) ? Slug : Name!;
}

/// <summary>
/// What a node serves, published retained (QoS 1) at <c>P/nodes/N/cameras</c>:
/// <c>{"node","version","nonce","started","public_url","cameras":[{"slug","name","kind","failover_priority","standby"}]}</c>.
/// A 0.2 node published a JSON array of slugs there; <see cref="Parse"/> still accepts it (<see cref="Legacy"/>).
/// Pure: building and parsing only.
/// </summary>
public sealed record NodeAnnouncement
{
    public const int DefaultPriority = Config.LookbackOptions.DefaultFailoverPriority;
    /// <summary>Cameras read from one announcement; junk beyond this is ignored.</summary>
    public const int MaxCameras = 1024;
    /// <summary>Larger payloads are not parsed.</summary>
    public const int MaxBytes = 512 * 1024;

    public required string Node { get; init; }
    public string? Version { get; init; }
    /// <summary>Random per process start: tells this run's announcement from an earlier run's, and from another process with the same node_id.</summary>
    public string? Nonce { get; init; }
    public DateTimeOffset? Started { get; init; }
    /// <summary>Base URL of the node's HTTP API/UI; null when not configured or derivable.</summary>
    public string? PublicUrl { get; init; }
    public IReadOnlyList<AnnouncedCamera> Cameras { get; init; } = [];
    /// <summary>Parsed from a 0.2 node's plain array of slugs (no nonce, default priorities).</summary>
    public bool Legacy { get; init; }

    public AnnouncedCamera? Find(string slug)
    {
        foreach (var c in Cameras) if (c.Slug == slug) return c;
        return null;
    }

    /// <summary>A new random nonce (16 hex digits).</summary>
    public static string NewNonce() => Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(8)).ToLowerInvariant();

    public JsonObject ToJsonObject()
    {
        var o = new JsonObject { ["node"] = Node };
        if (Version != null) o["version"] = Version;
        if (Nonce != null) o["nonce"] = Nonce;
        if (Started is { } s) o["started"] = s.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
        if (PublicUrl != null) o["public_url"] = PublicUrl;
        var cams = new JsonArray();
        foreach (var c in Cameras)
        {
            var j = new JsonObject { ["slug"] = c.Slug };
            if (c.Name != null) j["name"] = c.Name;
            if (c.Kind != null) j["kind"] = c.Kind;
            j["failover_priority"] = c.FailoverPriority;
            j["standby"] = c.Standby;
            cams.Add(j);
        }
        o["cameras"] = cams;
        return o;
    }

    public string ToJson() => ToJsonObject().ToJsonString();

    /// <summary>
    /// Parses a <c>P/nodes/N/cameras</c> payload of node <paramref name="node"/> (the node id comes from the topic,
    /// never from the payload). Null for an empty payload (the announcement was removed) or anything that is neither
    /// the object nor the 0.2 array. Never throws; entries that are not valid slugs are skipped.
    /// </summary>
    public static NodeAnnouncement? Parse(string node, ReadOnlySpan<byte> payload)
    {
        if (payload.IsEmpty || payload.Length > MaxBytes) return null;
        try
        {
            using var d = JsonDocument.Parse(payload.ToArray(), new JsonDocumentOptions { MaxDepth = 8 });
            var root = d.RootElement;
            if (root.ValueKind == JsonValueKind.Array)
                return new NodeAnnouncement { Node = node, Legacy = true, Cameras = ReadCameras(root) };
            if (root.ValueKind != JsonValueKind.Object) return null;
            return new NodeAnnouncement
            {
                Node = node,
                Version = Str(root, "version"),
                Nonce = Str(root, "nonce"),
                Started = DateTimeOffset.TryParse(Str(root, "started"), CultureInfo.InvariantCulture,
                    DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var t) ? t : null,
                PublicUrl = Str(root, "public_url") is { } u && Uri.TryCreate(u, UriKind.Absolute, out var uri)
                            && uri.Scheme is "http" or "https" ? u : null,
                Cameras = root.TryGetProperty("cameras", out var cams) && cams.ValueKind == JsonValueKind.Array ? ReadCameras(cams) : [],
            };
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or ArgumentException) { return null; } // e.g. a lone surrogate escape
    }

    /// <summary>Slugs (0.2 strings) or camera objects; duplicates keep the first.</summary>
    private static List<AnnouncedCamera> ReadCameras(JsonElement array)
    {
        var list = new List<AnnouncedCamera>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var e in array.EnumerateArray())
        {
            if (list.Count >= MaxCameras) break;
            AnnouncedCamera? c = e.ValueKind switch
            {
                JsonValueKind.String => new AnnouncedCamera(e.GetString()!),
                JsonValueKind.Object when Str(e, "slug") is { } slug => new AnnouncedCamera(slug, Str(e, "name"), Str(e, "kind"),
                    e.TryGetProperty("failover_priority", out var p) && p.ValueKind == JsonValueKind.Number && p.TryGetInt32(out var pi) ? pi : DefaultPriority,
                    e.TryGetProperty("standby", out var s) && s.ValueKind == JsonValueKind.True),
                _ => null,
            };
            if (c != null && Discovery.IsSlug(c.Slug) && seen.Add(c.Slug)) list.Add(c);
        }
        return list;
    }

    private static string? Str(JsonElement o, string name) =>
        o.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
}
