using System.Net;
using System.Net.Sockets;

namespace Lookback.Tests.Mqtt;

/// <summary>
/// A TCP relay in front of the broker that the test can close (drop every connection abruptly, as a crash or a
/// network cut would, and refuse new ones) and open again. Lets tests control exactly when Lookback reconnects.
/// </summary>
public sealed class TcpGate : IDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly int _target;
    private readonly List<Socket> _live = [];
    private readonly CancellationTokenSource _cts = new();
    private volatile bool _open = true;

    public TcpGate(int targetPort)
    {
        _target = targetPort;
        _listener.Start();
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _ = AcceptLoop();
    }

    public int Port { get; }
    public void Open() => _open = true;

    /// <summary>Refuses new connections and resets the live ones (no MQTT DISCONNECT is sent).</summary>
    public void Close()
    {
        _open = false;
        lock (_live)
        {
            foreach (var s in _live) { try { s.LingerState = new LingerOption(true, 0); s.Close(); } catch { } }
            _live.Clear();
        }
    }

    private async Task AcceptLoop()
    {
        while (!_cts.IsCancellationRequested)
        {
            Socket client;
            try { client = await _listener.AcceptSocketAsync(_cts.Token); } catch { return; }
            if (!_open) { client.Close(0); continue; }
            var server = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            client.NoDelay = true;
            try { await server.ConnectAsync(IPAddress.Loopback, _target); }
            catch { client.Close(0); server.Dispose(); continue; }
            lock (_live) { _live.Add(client); _live.Add(server); }
            _ = Pipe(client, server);
            _ = Pipe(server, client);
        }
    }

    private static async Task Pipe(Socket from, Socket to)
    {
        var buf = new byte[64 * 1024];
        try
        {
            while (true)
            {
                var n = await from.ReceiveAsync(buf, SocketFlags.None);
                if (n == 0) break;
                await to.SendAsync(buf.AsMemory(0, n), SocketFlags.None);
            }
        }
        catch { }
        try { to.Shutdown(SocketShutdown.Send); } catch { }
    }

    public void Dispose()
    {
        _cts.Cancel();
        _listener.Stop();
        Close();
    }
}
