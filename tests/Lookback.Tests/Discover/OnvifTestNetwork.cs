using System.Diagnostics;
using System.Runtime.CompilerServices;

namespace Lookback.Tests.Discover;

/// <summary>
/// A network namespace <c>h15d…</c> joined to this one by a veth pair (10.215.X.1 here, 10.215.X.2 there, a
/// multicast route inside), where <c>onvif_camera.py</c> runs WS-Discovery responders and ONVIF services. The probe
/// is sent with <c>--interface 10.215.X.1</c>, so nothing leaves for the real network. Needs root and iproute2.
/// Dispose deletes the namespace (which removes the veth pair) after ending the responders.
/// </summary>
public sealed class OnvifTestNetwork : IAsyncDisposable
{
    private static int _counter;
    private readonly List<Process> _responders = [];

    public string Namespace { get; }
    public string HostIp { get; }
    public string NsIp { get; }
    public string HostLink { get; }

    private OnvifTestNetwork(string ns, string hostLink, string hostIp, string nsIp) =>
        (Namespace, HostLink, HostIp, NsIp) = (ns, hostLink, hostIp, nsIp);

    public static string ScriptPath([CallerFilePath] string self = "") => Path.Combine(Path.GetDirectoryName(self)!, "onvif_camera.py");

    public static OnvifTestNetwork Create()
    {
        var n = Interlocked.Increment(ref _counter);
        var id = $"{Environment.ProcessId % 0x10000:x}{n:x}";
        var subnet = 16 + (Environment.ProcessId * 31 + n) % 230;
        var (ns, host, peer) = ($"h15d{id}", $"h15h{id}", $"h15n{id}");
        var (hostIp, nsIp) = ($"10.215.{subnet}.1", $"10.215.{subnet}.2");
        var net = new OnvifTestNetwork(ns, host, hostIp, nsIp);
        try
        {
            Ip($"netns add {ns}");
            Ip($"link add {host} type veth peer name {peer}");
            Ip($"link set {peer} netns {ns}");
            Ip($"addr add {hostIp}/24 dev {host}");
            Ip($"link set {host} up");
            Ip($"netns exec {ns} ip addr add {nsIp}/24 dev {peer}");
            Ip($"netns exec {ns} ip link set {peer} up");
            Ip($"netns exec {ns} ip link set lo up");
            Ip($"netns exec {ns} ip route add 239.0.0.0/8 dev {peer}");
        }
        catch
        {
            net.Delete();
            throw;
        }
        return net;
    }

    /// <summary>Starts <paramref name="count"/> responders in the namespace; returns when they listen.</summary>
    public async Task StartRespondersAsync(int count, string modes = "normal", string? user = null, string? password = null)
    {
        var psi = new ProcessStartInfo("ip") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { "netns", "exec", Namespace, "/usr/bin/python3", ScriptPath(), "--ip", NsIp, "--count", count.ToString(), "--modes", modes })
            psi.ArgumentList.Add(a);
        if (user is not null) { psi.ArgumentList.Add("--user"); psi.ArgumentList.Add(user); psi.ArgumentList.Add("--password"); psi.ArgumentList.Add(password ?? ""); }
        var p = Process.Start(psi)!;
        _responders.Add(p);
        var stderr = p.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        while (true)
        {
            string? line;
            try { line = await p.StandardOutput.ReadLineAsync(cts.Token); }
            catch (OperationCanceledException) { throw new TimeoutException("onvif_camera.py did not start"); }
            if (line is null) { await p.WaitForExitAsync(); throw new InvalidOperationException("onvif_camera.py exited: " + await stderr); }
            if (line.StartsWith("READY ", StringComparison.Ordinal)) return;
        }
    }

    public async Task StopRespondersAsync()
    {
        foreach (var p in _responders)
        {
            if (!p.HasExited) { p.Kill(entireProcessTree: true); await p.WaitForExitAsync(); }
            p.Dispose();
        }
        _responders.Clear();
    }

    private void Delete()
    {
        try { Ip($"netns del {Namespace}"); } catch (InvalidOperationException) { }
        try { Ip($"link del {HostLink}"); } catch (InvalidOperationException) { } // normally gone with the namespace
    }

    public async ValueTask DisposeAsync()
    {
        await StopRespondersAsync();
        Delete();
    }

    private static void Ip(string args)
    {
        var psi = new ProcessStartInfo("ip") { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var a in args.Split(' ')) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var err = p.StandardError.ReadToEnd();
        p.StandardOutput.ReadToEnd();
        if (!p.WaitForExit(10_000)) { p.Kill(); throw new InvalidOperationException($"ip {args}: timed out"); }
        if (p.ExitCode != 0) throw new InvalidOperationException($"ip {args}: {err.Trim()}");
    }
}
