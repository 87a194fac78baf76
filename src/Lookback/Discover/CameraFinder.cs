using System.Diagnostics;
using System.Net;
using System.Text.Json.Serialization;

namespace Lookback.Discover;

/// <summary>What to look for. <see cref="Timeout"/>: how long to wait for WS-Discovery replies; <see cref="RequestTimeout"/>: per ONVIF request.</summary>
public sealed record DiscoverOptions
{
    public const double MinSeconds = 0.2, MaxSeconds = 30;

    /// <summary>Why <paramref name="seconds"/> cannot be the timeout, or null.</summary>
    public static string? TimeoutProblem(double seconds) =>
        double.IsFinite(seconds) && seconds is >= MinSeconds and <= MaxSeconds ? null : $"must be {MinSeconds}..{MaxSeconds} seconds";

    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(3);
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(5);
    /// <summary>IPv4 address or name of the interface to probe on; null: the default route's.</summary>
    public string? Interface { get; init; }
    /// <summary>Probe only these hosts (unicast) instead of the multicast group; empty: multicast.</summary>
    public IReadOnlyList<string> Hosts { get; init; } = [];
    public string? Username { get; init; }
    public string? Password { get; init; }
    public bool Onvif { get; init; } = true;
    public bool Usb { get; init; } = true;
    public string SysRoot { get; init; } = "/sys";
    public string DevRoot { get; init; } = "/dev";
    public string Ffmpeg { get; init; } = "ffmpeg";
}

/// <summary>Progress: phase "probe" (devices found so far), "onvif" (devices read of total), "usb".</summary>
public sealed record DiscoverProgress(string Phase, int Done, int Total);

public sealed record DiscoverReport(
    [property: JsonPropertyName("cameras")] IReadOnlyList<FoundCamera> Cameras,
    [property: JsonPropertyName("problems")] IReadOnlyList<string> Problems,
    [property: JsonPropertyName("seconds")] double Seconds,
    [property: JsonPropertyName("yaml")] string Yaml);

/// <summary>
/// Finds cameras: a WS-Discovery probe, then every ONVIF device read in parallel (at most 8 at a time), and the
/// local V4L2 devices; each with a proposed configuration block. Nothing is written anywhere.
/// </summary>
public sealed class CameraFinder(HttpClient http)
{
    public const int Parallel = 8;

    public async Task<DiscoverReport> FindAsync(DiscoverOptions o, IProgress<DiscoverProgress>? progress, CancellationToken ct)
    {
        var sw = Stopwatch.StartNew();
        var problems = new List<string>();
        var found = new List<FoundCamera>();
        var taken = new HashSet<string>(StringComparer.Ordinal);
        if (o.Onvif)
        {
            var local = o.Interface is null ? null : WsDiscoveryProbe.ResolveInterface(o.Interface);
            var hosts = o.Hosts.Select(WsDiscoveryProbe.ResolveHost).ToList();
            var probe = await new WsDiscoveryProbe().ProbeAsync(o.Timeout, local,
                new Progress0(n => progress?.Report(new DiscoverProgress("probe", n, 0))), ct, hosts).ConfigureAwait(false);
            problems.AddRange(probe.Problems);
            var client = new OnvifClient(http, o.RequestTimeout);
            var read = 0;
            using var gate = new SemaphoreSlim(Parallel);
            var devices = probe.Devices.OrderBy(d => d.From.GetAddressBytes(), ByteOrder.Instance).ThenBy(d => d.Match.Endpoint, StringComparer.Ordinal).ToList();
            var results = await Task.WhenAll(devices.Select(async d =>
            {
                await gate.WaitAsync(ct).ConfigureAwait(false);
                try { return await ReadDeviceAsync(client, d.Match, d.From, o, ct).ConfigureAwait(false); }
                finally
                {
                    gate.Release();
                    progress?.Report(new DiscoverProgress("onvif", Interlocked.Increment(ref read), devices.Count));
                }
            })).ConfigureAwait(false);
            for (var i = 0; i < devices.Count; i++)
            {
                var (m, from) = devices[i];
                var name = m.Name ?? $"ONVIF {from}";
                found.Add(ConfigProposal.Onvif(name, from.ToString(), m.Hardware, results[i], o.Username, taken));
            }
        }
        if (o.Usb)
        {
            progress?.Report(new DiscoverProgress("usb", 0, 0));
            foreach (var u in await new UsbCameras(o.SysRoot, o.DevRoot, o.Ffmpeg).ListAsync(ct).ConfigureAwait(false))
                found.Add(ConfigProposal.Usb(u, taken));
        }
        return new DiscoverReport(found, problems, Math.Round(sw.Elapsed.TotalSeconds, 3), ConfigProposal.Combined(found));
    }

    /// <summary>Tries the device's addresses, those on the replying host first; the first that answers wins.</summary>
    private static async Task<OnvifDevice> ReadDeviceAsync(OnvifClient client, ProbeMatch m, IPAddress from, DiscoverOptions o, CancellationToken ct)
    {
        var urls = m.XAddrs.OrderBy(u => Uri.TryCreate(u, UriKind.Absolute, out var x) && x.Host == from.ToString() ? 0 : 1).Take(4).ToList();
        if (urls.Count == 0) return new OnvifDevice("", [], $"{m.Endpoint} at {from}: no http(s) XAddrs in its ProbeMatch");
        OnvifDevice? first = null;
        foreach (var url in urls)
        {
            var d = await client.ReadAsync(url, o.Username, o.Password, ct).ConfigureAwait(false);
            if (d.Error is null) return d;
            first ??= d;
        }
        return first!;
    }

    private sealed class Progress0(Action<int> report) : IProgress<int> { public void Report(int value) => report(value); }

    private sealed class ByteOrder : IComparer<byte[]>
    {
        public static readonly ByteOrder Instance = new();
        public int Compare(byte[]? a, byte[]? b) => ((ReadOnlySpan<byte>)a).SequenceCompareTo(b);
    }
}

/// <summary>The HTTP client for ONVIF requests: no redirects (a device answers itself), no cookies, no proxy.</summary>
public static class DiscoverHttp
{
    public static HttpClient Create() => new(new SocketsHttpHandler
    {
        AllowAutoRedirect = false, UseCookies = false, UseProxy = false, ConnectTimeout = TimeSpan.FromSeconds(5),
    }) { Timeout = Timeout.InfiniteTimeSpan };
}
