using Lookback.Addon;
using Lookback.Http;

namespace Lookback.Hosting;

/// <summary>How the host is run (tests and the demo set these; `lookback run` uses the defaults).</summary>
public sealed record HostSettings
{
    /// <summary>Extra log sink (tests capture logs to check that no secret is written).</summary>
    public TextWriter? LogWriter { get; init; }
    /// <summary>Seconds between MQTT snapshot publications per camera.</summary>
    public TimeSpan SnapshotEvery { get; init; } = TimeSpan.FromSeconds(10);
    public int? RenderWorkers { get; init; }
    public int? RenderQueueCapacity { get; init; }
    /// <summary>Running as a Home Assistant add-on: an ingress listener (guarded) and a separate API listener.</summary>
    public bool Addon { get; init; }
    /// <summary>The add-on's listeners (default 8099 ingress, 8098 API; tests take free ports).</summary>
    public (int Ingress, int Api) AddonPorts { get; init; } = (AddonMode.IngressPort, AddonMode.ApiPort);
    /// <summary>HTTP render requests per client address (default <see cref="RenderRateLimit.Default"/>).</summary>
    public RenderRateLimit? RenderRateLimit { get; init; }
    /// <summary>Defaults of <c>POST /api/discover</c> (tests point the sysfs/dev roots at a fake tree).</summary>
    public Lookback.Discover.DiscoverOptions Discover { get; init; } = new();
    /// <summary>How often camera warnings are re-evaluated (default 5 s; tests take less).</summary>
    public TimeSpan? WarningsEvery { get; init; }
}
