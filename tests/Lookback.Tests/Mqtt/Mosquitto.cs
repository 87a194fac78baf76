using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Lookback.Tests.Mqtt;

/// <summary>
/// A real mosquitto on 127.0.0.1 for tests: config in a temp dir, free port, condition-wait until the port accepts.
/// Stop()/Start() again on the same port for outage tests; Kill() for an abrupt end.
/// </summary>
public sealed class Mosquitto : IDisposable
{
    public const string Binary = "/usr/sbin/mosquitto";
    private readonly string _dir;
    private Process? _process;

    /// <param name="extraConfig">Appended to the config; gets this broker's directory (for certificate files).</param>
    public Mosquitto(bool start = true, Func<string, string>? extraConfig = null)
    {
        _dir = Directory.CreateTempSubdirectory("mosq-").FullName;
        Port = FreePort();
        File.WriteAllText(ConfigPath, $"""
            listener {Port} 127.0.0.1
            allow_anonymous true
            set_tcp_nodelay true
            persistence false
            log_dest none
            """ + "\n" + (extraConfig?.Invoke(_dir) ?? ""));
        if (start) Start();
    }

    public int Port { get; }
    public string ConfigPath => Path.Combine(_dir, "mosquitto.conf");
    public bool Running => _process is { HasExited: false };

    public static int FreePort()
    {
        var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        var p = ((IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        return p;
    }

    public void Start()
    {
        if (Running) return;
        var psi = new ProcessStartInfo(Binary, ["-c", ConfigPath])
        { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        _process = Process.Start(psi)!;
        var output = new System.Collections.Concurrent.ConcurrentQueue<string>();
        _process.OutputDataReceived += (_, e) => { if (e.Data != null) output.Enqueue(e.Data); };
        _process.ErrorDataReceived += (_, e) => { if (e.Data != null) output.Enqueue(e.Data); };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        var p = _process;
        WaitUntil(() => Accepts() || p.HasExited, TimeSpan.FromSeconds(10), "mosquitto to accept connections");
        if (p.HasExited) throw new InvalidOperationException("mosquitto exited: " + string.Join(" / ", output));
    }

    /// <summary>Stops the broker (SIGKILL; persistence is off so it makes no difference) and waits until the port refuses.</summary>
    public void Stop() => Kill();

    public void Kill()
    {
        if (_process == null) return;
        try { if (!_process.HasExited) _process.Kill(); } catch (InvalidOperationException) { }
        _process.WaitForExit(5000);
        _process.Dispose();
        _process = null;
        WaitUntil(() => !Accepts(), TimeSpan.FromSeconds(5), "the mosquitto port to close");
    }

    private bool Accepts()
    {
        try
        {
            using var c = new TcpClient();
            c.Connect(IPAddress.Loopback, Port);
            return true;
        }
        catch (SocketException) { return false; }
    }

    /// <summary>Polls a condition (a condition wait with a deadline, not a fixed sleep).</summary>
    public static void WaitUntil(Func<bool> condition, TimeSpan timeout, string what) => Wait.Until(condition, timeout, what);

    public void Dispose()
    {
        Kill();
        try { Directory.Delete(_dir, true); } catch { }
    }
}

/// <summary>One broker shared by the tests of a class.</summary>
public sealed class MosquittoFixture : IDisposable
{
    public Mosquitto Broker { get; } = new();
    public void Dispose() => Broker.Dispose();
}
