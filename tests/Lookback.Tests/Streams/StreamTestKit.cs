using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using Lookback.Config;
using Lookback.Sources;
using Lookback.Sources.Streaming;

namespace Lookback.Tests.Streams;

/// <summary>Runs tests/Lookback.Tests/Streams/rtsp_server.py (GStreamer's RTSP server) on 127.0.0.1.</summary>
public sealed class RtspTestServer : IAsyncDisposable
{
    private readonly Process _p;
    public int Port { get; }
    public string Url => $"rtsp://127.0.0.1:{Port}/cam";

    private RtspTestServer(Process p, int port) { _p = p; Port = port; }

    public static string ScriptPath([CallerFilePath] string self = "") => Path.Combine(Path.GetDirectoryName(self)!, "rtsp_server.py");

    public static async Task<RtspTestServer> StartAsync(int port = 0, string codec = "h264", string size = "320x240", int fps = 15,
        string? user = null, string? password = null, int bframes = 0, int gop = 0, string? pattern = null, int bitrate = 0,
        string audio = "none")
    {
        var psi = new ProcessStartInfo("/usr/bin/python3")
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        foreach (var a in new[] { ScriptPath(), "--port", port.ToString(), "--codec", codec, "--size", size, "--fps", fps.ToString() })
            psi.ArgumentList.Add(a);
        if (user is not null) { psi.ArgumentList.Add("--user"); psi.ArgumentList.Add(user); psi.ArgumentList.Add("--password"); psi.ArgumentList.Add(password ?? ""); }
        if (bframes > 0) { psi.ArgumentList.Add("--bframes"); psi.ArgumentList.Add(bframes.ToString()); }
        if (gop > 0) { psi.ArgumentList.Add("--gop"); psi.ArgumentList.Add(gop.ToString()); }
        if (pattern is not null) { psi.ArgumentList.Add("--pattern"); psi.ArgumentList.Add(pattern); }
        if (bitrate > 0) { psi.ArgumentList.Add("--bitrate"); psi.ArgumentList.Add(bitrate.ToString()); }
        if (audio != "none") { psi.ArgumentList.Add("--audio"); psi.ArgumentList.Add(audio); }
        var p = Process.Start(psi)!;
        var stderr = p.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        while (true)
        {
            string? line;
            try { line = await p.StandardOutput.ReadLineAsync(cts.Token); }
            catch (OperationCanceledException) { p.Kill(true); throw new TimeoutException("rtsp_server.py did not start"); }
            if (line is null)
            {
                await p.WaitForExitAsync();
                throw new InvalidOperationException("rtsp_server.py exited: " + await stderr);
            }
            if (line.StartsWith("READY ")) return new RtspTestServer(p, int.Parse(line[6..]));
        }
    }

    public async Task StopAsync()
    {
        if (_p.HasExited) return;
        _p.Kill(entireProcessTree: true);
        await _p.WaitForExitAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _p.Dispose();
    }
}

/// <summary>A recording sink that also takes gray frames.</summary>
public sealed class StreamSink : IFrameSink, IGrayFrameSink
{
    private readonly Lookback.Tests.Sources.RecordingSink _inner = new();
    private readonly object _gate = new();
    private readonly List<(int W, int H, DateTimeOffset At, byte Mean)> _gray = [];

    public Lookback.Tests.Sources.RecordingSink Frames => _inner;
    public IReadOnlyList<(int W, int H, DateTimeOffset At, byte Mean)> Gray { get { lock (_gate) return _gray.ToArray(); } }
    public void OnFrame(ReadOnlySpan<byte> jpeg, DateTimeOffset capturedAt) => _inner.OnFrame(jpeg, capturedAt);
    public void OnError(string error) => _inner.OnError(error);

    public void OnGrayFrame(ReadOnlySpan<byte> gray, int width, int height, DateTimeOffset at)
    {
        long sum = 0;
        foreach (var b in gray) sum += b;
        lock (_gate) _gray.Add((width, height, at, (byte)(sum / Math.Max(1, gray.Length))));
        _inner.OnError("__gray__"); // wakes waiters; filtered out by Errors below
    }

    public IEnumerable<string> Errors => _inner.Errors.Where(e => e != "__gray__");

    public Task WaitUntilAsync(Func<StreamSink, bool> condition, TimeSpan timeout, string what) =>
        _inner.WaitUntilAsync(_ => condition(this), timeout, what);
}

/// <summary>A source running in its own task with a <see cref="StreamSink"/>; disposing cancels it and waits for it.</summary>
public sealed class RunningStream : IAsyncDisposable
{
    private readonly CancellationTokenSource _cts = new();
    public RunningStream(IFrameSource source, StreamSink sink) => Task = System.Threading.Tasks.Task.Run(() => source.RunAsync(sink, _cts.Token));
    public Task Task { get; }

    public async ValueTask DisposeAsync()
    {
        Assert.False(Task.IsCompleted, $"source ended on its own: {Task.Exception?.GetBaseException()}");
        _cts.Cancel();
        var ended = await System.Threading.Tasks.Task.WhenAny(Task, System.Threading.Tasks.Task.Delay(TimeSpan.FromSeconds(10)));
        Assert.Same(Task, ended);
        _cts.Dispose();
    }
}

public static class StreamTestKit
{
    public static CameraOptions RtspCam(string url, double interval = 0.5, string user = "", string password = "",
        double timeout = 4, bool record = false, double motionFps = 5, string slug = "cam") => new()
    {
        Slug = slug, Url = url, Kind = CameraKind.Rtsp, Interval = interval, Username = user, Password = password,
        Timeout = timeout, Record = record, Motion = new MotionOptions { Fps = motionFps },
    };

    public static Backoff FastBackoff() => new(TimeSpan.FromMilliseconds(200), TimeSpan.FromMilliseconds(500));

    public static int FreePort()
    {
        var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        var port = ((IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        return port;
    }

    /// <summary>True while a process with this id exists and is not a zombie.</summary>
    public static bool IsAlive(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var state = stat[(stat.LastIndexOf(')') + 2)..][0];
            return state != 'Z' && state != 'X';
        }
        catch (IOException) { return false; }
    }

    public static Task WaitUntilAsync(Func<bool> condition, TimeSpan timeout, string what) => Wait.UntilAsync(condition, timeout, what);

    /// <summary>Runs ffprobe and returns its stdout.</summary>
    public static async Task<string> FfprobeAsync(params string[] args)
    {
        var psi = new ProcessStartInfo("ffprobe") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var o = p.StandardOutput.ReadToEndAsync();
        var e = p.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await p.WaitForExitAsync(cts.Token);
        if (p.ExitCode != 0) throw new InvalidOperationException($"ffprobe failed ({p.ExitCode}): {await e}");
        return (await o).Trim();
    }
}
