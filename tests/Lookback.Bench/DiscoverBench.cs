using System.Diagnostics;
using Lookback.Discover;
using Lookback.Tests.Discover;

namespace Lookback.Bench;

/// <summary>
/// Discovery on a network of N ONVIF responders (onvif_camera.py in a network namespace of its own, probed through
/// its veth; needs root): time until the last ProbeMatch, time for the ONVIF reads (GetCapabilities, GetProfiles,
/// 2× GetStreamUri/GetSnapshotUri per device, 8 devices at a time, with a UsernameToken), and the total for a 1 s
/// probe window. `dotnet run -c Release --project tests/Lookback.Bench -- discover [--responders 20] [--runs 5]`.
/// </summary>
[Bench("discover")]
public static class DiscoverBench
{
    public static async Task RunAsync(string[] args)
    {
        var n = Arg(args, "--responders", 20);
        var runs = Arg(args, "--runs", 5);
        await using var net = OnvifTestNetwork.Create();
        await net.StartRespondersAsync(n, user: "admin", password: "bench");
        using var http = DiscoverHttp.Create();
        var finder = new CameraFinder(http);
        Console.WriteLine($"| run | responders found | cameras read | last ProbeMatch (ms) | ONVIF reads (ms) | total, 1 s window (ms) | CPU (ms) |");
        Console.WriteLine("|---|---|---|---|---|---|---|");
        for (var r = 1; r <= runs; r++)
        {
            var sw = Stopwatch.StartNew();
            double lastMatch = 0;
            var progress = new Sync(p => { if (p.Phase == "probe") lastMatch = sw.Elapsed.TotalMilliseconds; });
            var cpu0 = Process.GetCurrentProcess().TotalProcessorTime;
            var report = await finder.FindAsync(new DiscoverOptions
            {
                Timeout = TimeSpan.FromSeconds(1), Interface = net.HostIp, Usb = false, Username = "admin", Password = "bench",
            }, progress, CancellationToken.None);
            var total = sw.Elapsed.TotalMilliseconds;
            var cpu = (Process.GetCurrentProcess().TotalProcessorTime - cpu0).TotalMilliseconds;
            var ok = report.Cameras.Count(c => c.Error is null && c.Streams.Count == 2);
            Console.WriteLine($"| {r} | {report.Cameras.Count} | {ok} | {lastMatch:0} | {total - 1000:0} | {total:0} | {cpu:0} |");
        }
    }

    private sealed class Sync(Action<DiscoverProgress> a) : IProgress<DiscoverProgress> { public void Report(DiscoverProgress p) => a(p); }

    private static int Arg(string[] args, string name, int dflt)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length && int.TryParse(args[i + 1], out var v) ? v : dflt;
    }
}
