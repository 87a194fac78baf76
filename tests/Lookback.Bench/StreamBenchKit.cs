using System.Diagnostics;
using System.Globalization;
using Lookback.Cameras;

namespace Lookback.Bench;

/// <summary>What the stream benchmarks (stream, packets, streamcost) share: the bare-ffmpeg baseline, process CPU from
/// /proc, and waiting for a camera's packet ring to span a time.</summary>
internal static class StreamBenchKit
{
    /// <summary>The fields of a /proc/&lt;pid&gt;/stat line after the command name: [0] state, [1] ppid, … [11] utime,
    /// [12] stime, [13] cutime, [14] cstime.</summary>
    public static string[] StatFields(string stat) => stat[(stat.LastIndexOf(')') + 2)..].Split(' ');

    /// <summary>Clock ticks (100 Hz) as seconds.</summary>
    public static double Ticks(string s) => long.Parse(s, CultureInfo.InvariantCulture) / 100.0;

    /// <summary>utime + stime of a process in seconds.</summary>
    public static double ProcessCpu(int pid)
    {
        var f = StatFields(File.ReadAllText($"/proc/{pid}/stat"));
        return Ticks(f[11]) + Ticks(f[12]);
    }

    /// <summary>Bare <c>ffmpeg -rtsp_transport tcp -i URL -f null -</c>: once it has decoded <paramref name="minFrames"/> frames
    /// and <paramref name="settle"/> more has passed, its CPU seconds and decoded frames over <paramref name="seconds"/>
    /// of wall time (frames from <c>-progress</c>, reported twice a second).</summary>
    public static async Task<(double Cpu, double Wall, long Frames)> BareDecodeAsync(string url, int seconds, long minFrames,
        TimeSpan settle, TimeSpan startLimit)
    {
        var psi = new ProcessStartInfo("ffmpeg") { UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true, RedirectStandardInput = true };
        foreach (var a in new[] { "-hide_banner", "-nostdin", "-loglevel", "error", "-rtsp_transport", "tcp", "-i", url, "-progress", "pipe:1", "-f", "null", "-" })
            psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stderr = p.StandardError.ReadToEndAsync();
        long frame = 0;
        var reader = Task.Run(async () =>
        {
            while (await p.StandardOutput.ReadLineAsync() is { } line)
                if (line.StartsWith("frame=", StringComparison.Ordinal) && long.TryParse(line[6..], out var v)) Interlocked.Exchange(ref frame, v);
        });
        var sw = Stopwatch.StartNew();
        while (Interlocked.Read(ref frame) < minFrames && sw.Elapsed < startLimit) await Task.Delay(100);
        await Task.Delay(settle);
        var n0 = Interlocked.Read(ref frame);
        var c0 = ProcessCpu(p.Id);
        var w = Stopwatch.StartNew();
        await Task.Delay(TimeSpan.FromSeconds(seconds));
        if (p.HasExited) // the server dropped the stream: a clear error instead of a missing /proc entry
            throw new InvalidOperationException($"the bare decode ended inside its window (exit {p.ExitCode}): {(await stderr).Trim()}");
        var c1 = ProcessCpu(p.Id);
        var wall = w.Elapsed.TotalSeconds;
        var n1 = Interlocked.Read(ref frame);
        p.Kill(true);
        await p.WaitForExitAsync();
        await reader;
        return (c1 - c0, wall, n1 - n0);
    }

    /// <summary>Waits until the camera's packet ring spans <paramref name="seconds"/>, then measures after a full GC:
    /// the span, this process's RSS, the managed heap and the ring's bytes.</summary>
    public static async Task<(double Span, long Rss, long Managed, long Ring)> BufferedAsync(Camera cam, double seconds,
        Stopwatch since, TimeSpan limit, TimeSpan poll)
    {
        while (!(cam.Packets is { OldestTime: { } o, NewestTime: { } nt } && (nt - o).TotalSeconds >= seconds))
        {
            if (since.Elapsed > limit) throw new TimeoutException($"ring did not fill: {cam.Status} {cam.LastError} {cam.Packets?.Unusable}");
            await Task.Delay(poll);
        }
        var managed = GC.GetTotalMemory(forceFullCollection: true);
        using var me = Process.GetCurrentProcess();
        return ((cam.Packets!.NewestTime!.Value - cam.Packets.OldestTime!.Value).TotalSeconds, me.WorkingSet64, managed, cam.Packets.Bytes);
    }
}
