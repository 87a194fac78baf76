using Lookback.Cameras;

namespace Lookback.Mqtt.Nodes;

/// <summary>The configured cameras this node currently serves on MQTT (a view: the others are on standby).</summary>
public sealed class ServedCameras(ICameraDirectory all, Func<string, bool> serves) : ICameraDirectory
{
    public IReadOnlyList<ICamera> All => [.. all.All.Where(c => serves(c.Slug))];
    public ICamera? Find(string slug) => all.Find(slug) is { } c && serves(slug) ? c : null;
}
