using System.Collections.Concurrent;

namespace Lookback.Cameras;

/// <summary>
/// This node's role on a broker shared with other Lookback nodes, as the HTTP API shows it: which cameras wait on
/// standby (another node serves their slug) and why, and the MQTT side's state (refused on a node_id clash).
/// Written by the MQTT side; empty without MQTT.
/// </summary>
public sealed class BusRole
{
    private readonly ConcurrentDictionary<string, Standby> _standby = new(StringComparer.Ordinal);

    /// <summary>A camera on standby: <paramref name="ActiveNode"/> serves its slug.</summary>
    public sealed record Standby(string ActiveNode, string Reason);

    /// <summary>Null when the camera is served by this node (or MQTT is off).</summary>
    public Standby? StandbyOf(string slug) => _standby.GetValueOrDefault(slug);

    /// <summary>Every camera on standby, by slug.</summary>
    public IReadOnlyDictionary<string, Standby> AllStandby => new Dictionary<string, Standby>(_standby, StringComparer.Ordinal);

    public void Set(string slug, Standby? standby)
    {
        if (standby is null) _standby.TryRemove(slug, out _);
        else _standby[slug] = standby;
    }

    /// <summary>"off" (no MQTT configured), "starting", "connected", "disconnected", "refused".</summary>
    public string MqttState { get; set; } = "off";
    /// <summary>Why the MQTT side does not run (a node_id clash), else null.</summary>
    public string? MqttError { get; set; }
}
