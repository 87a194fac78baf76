using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using System.Text;

namespace Lookback.Discover;

/// <summary>What a probe collected: the devices (one per endpoint) and one line per reply that was refused.</summary>
public sealed record ProbeOutcome(IReadOnlyList<(ProbeMatch Match, IPAddress From)> Devices, IReadOnlyList<string> Problems);

/// <summary>
/// Sends the WS-Discovery Probe to 239.255.255.250:3702 (twice: UDP may drop one) from one IPv4 interface or the
/// default one, and collects ProbeMatches until the timeout. Each refused reply becomes one line; at most
/// <see cref="MaxReplies"/> datagrams are read, each at most 64 KiB.
/// </summary>
public sealed class WsDiscoveryProbe
{
    public const int MaxReplies = 2000;

    /// <summary>The IPv4 address of <paramref name="nameOrAddress"/> (an interface name or one of its addresses).</summary>
    /// <summary>The IPv4 address of a camera given by address (or host name).</summary>
    public static IPAddress ResolveHost(string host)
    {
        if (IPAddress.TryParse(host, out var ip) && ip.AddressFamily == AddressFamily.InterNetwork) return ip;
        try
        {
            return Dns.GetHostAddresses(host).FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork)
                ?? throw new ArgumentException($"--host {host}: no IPv4 address");
        }
        catch (SocketException) { throw new ArgumentException($"--host {host}: unknown host"); }
    }

    public static IPAddress ResolveInterface(string nameOrAddress)
    {
        if (IPAddress.TryParse(nameOrAddress, out var ip))
        {
            if (ip.AddressFamily != AddressFamily.InterNetwork) throw new ArgumentException($"--interface {nameOrAddress}: only IPv4 is supported");
            return ip;
        }
        var nic = NetworkInterface.GetAllNetworkInterfaces().FirstOrDefault(n => n.Name == nameOrAddress)
            ?? throw new ArgumentException($"--interface {nameOrAddress}: no such network interface");
        return nic.GetIPProperties().UnicastAddresses.Select(a => a.Address).FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork)
            ?? throw new ArgumentException($"--interface {nameOrAddress}: the interface has no IPv4 address");
    }

    /// <summary>Probes the multicast group, or only <paramref name="hosts"/> (a directed probe, unicast to their port
    /// 3702: works where multicast does not reach, e.g. from a container on a bridge network).</summary>
    public async Task<ProbeOutcome> ProbeAsync(TimeSpan timeout, IPAddress? local, IProgress<int>? found, CancellationToken ct,
        IReadOnlyList<IPAddress>? hosts = null)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(local ?? IPAddress.Any, 0));
        if (local is not null) socket.SetSocketOption(SocketOptionLevel.IP, SocketOptionName.MulticastInterface, local.GetAddressBytes());
        socket.SetSocketOption(SocketOptionLevel.IP, SocketOptionName.MulticastTimeToLive, 4);
        var messageId = "uuid:" + Guid.NewGuid();
        var probe = Encoding.UTF8.GetBytes(WsDiscovery.Probe(messageId));
        IPEndPoint[] targets = hosts is { Count: > 0 }
            ? [.. hosts.Select(h => new IPEndPoint(h, WsDiscovery.Port))]
            : [new IPEndPoint(IPAddress.Parse(WsDiscovery.MulticastAddress), WsDiscovery.Port)];

        var devices = new Dictionary<string, (ProbeMatch, IPAddress)>(StringComparer.Ordinal);
        var problems = new List<string>();
        using var window = CancellationTokenSource.CreateLinkedTokenSource(ct);
        window.CancelAfter(timeout);
        var buffer = new byte[65536];
        var sender = Task.Run(async () =>
        {
            for (var i = 0; i < 2 && !window.IsCancellationRequested; i++)
            {
                foreach (var target in targets)
                {
                    try { await socket.SendToAsync(probe, SocketFlags.None, target, window.Token).ConfigureAwait(false); }
                    catch (OperationCanceledException) { return; }
                    catch (SocketException ex) when (i == 0) { lock (problems) problems.Add($"cannot send the probe to {target}: {ex.Message}"); }
                }
                try { await Task.Delay(TimeSpan.FromMilliseconds(250), window.Token).ConfigureAwait(false); }
                catch (OperationCanceledException) { return; }
            }
        }, CancellationToken.None);
        try
        {
            for (var n = 0; n < MaxReplies; n++)
            {
                EndPoint any = new IPEndPoint(IPAddress.Any, 0);
                SocketReceiveFromResult r;
                try { r = await socket.ReceiveFromAsync(buffer, SocketFlags.None, any, window.Token).ConfigureAwait(false); }
                catch (OperationCanceledException) { break; }
                catch (SocketException ex) { lock (problems) problems.Add($"receive failed: {ex.Message}"); break; }
                var from = ((IPEndPoint)r.RemoteEndPoint).Address;
                try
                {
                    foreach (var m in WsDiscovery.ParseProbeMatches(buffer[..r.ReceivedBytes], messageId, $"reply from {from}"))
                        if (devices.TryAdd(m.Endpoint, (m, from))) found?.Report(devices.Count);
                }
                catch (DiscoverReplyException ex) { lock (problems) problems.Add(ex.Message); }
            }
        }
        finally
        {
            window.Cancel();
            await sender.ConfigureAwait(false);
        }
        ct.ThrowIfCancellationRequested();
        lock (problems) return new ProbeOutcome(devices.Values.Select(d => (d.Item1, d.Item2)).ToList(), problems.Distinct().ToList());
    }
}
