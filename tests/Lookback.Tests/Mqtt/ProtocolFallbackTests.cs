using System.Net;
using System.Net.Sockets;
using Lookback.Mqtt;
using Microsoft.Extensions.Logging.Abstractions;
using MQTTnet.Formatter;

namespace Lookback.Tests.Mqtt;

/// <summary>
/// A minimal MQTT 3.1.1-only "broker": answers a CONNECT with protocol level 5 by the v3 CONNACK return code 1
/// (unacceptable protocol version), and level 4 by "accepted". Enough to check the fallback end to end.
/// </summary>
public sealed class V311OnlyBroker : IDisposable
{
    private readonly TcpListener _l = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _cts = new();
    public List<int> ProtocolLevels { get; } = [];

    public V311OnlyBroker()
    {
        _l.Start();
        _ = Loop();
    }

    public int Port => ((IPEndPoint)_l.LocalEndpoint).Port;

    private async Task Loop()
    {
        while (!_cts.IsCancellationRequested)
        {
            Socket s;
            try { s = await _l.AcceptSocketAsync(_cts.Token); } catch { return; }
            _ = Task.Run(async () =>
            {
                try
                {
                    var buf = new byte[4096];
                    var n = await s.ReceiveAsync(buf, SocketFlags.None);
                    // fixed header (1) + remaining length (1 byte for small packets) + 0x00 0x04 "MQTT" + level
                    if (n < 9 || buf[0] != 0x10) { s.Close(0); return; }
                    var level = buf[8];
                    lock (ProtocolLevels) ProtocolLevels.Add(level);
                    await s.SendAsync(new byte[] { 0x20, 0x02, 0x00, (byte)(level == 4 ? 0x00 : 0x01) }, SocketFlags.None);
                    if (level != 4) { s.Close(); return; }
                    // Accept SUBSCRIBE/PUBLISH silently: answer SUBACK / PUBACK well enough for the client.
                    while ((n = await s.ReceiveAsync(buf, SocketFlags.None)) > 0)
                    {
                        var type = buf[0] >> 4;
                        if (type == 8) await s.SendAsync(new byte[] { 0x90, 0x03, buf[2], buf[3], 0x01 }, SocketFlags.None);
                        else if (type == 3 && (buf[0] & 0x06) == 0x02)
                        {
                            var topicLen = (buf[2] << 8) | buf[3];
                            await s.SendAsync(new byte[] { 0x40, 0x02, buf[4 + topicLen], buf[5 + topicLen] }, SocketFlags.None);
                        }
                        else if (type == 12) await s.SendAsync(new byte[] { 0xD0, 0x00 }, SocketFlags.None);
                    }
                }
                catch { }
            });
        }
    }

    public void Dispose() { _cts.Cancel(); _l.Stop(); }
}

public class ProtocolFallbackTests
{
    [Fact]
    public async Task Falls_back_to_311_when_the_broker_refuses_5()
    {
        using var broker = new V311OnlyBroker();
        var logs = new ListLoggerProvider();
        await using var conn = new MqttConnection(new MqttConnectionSettings
        {
            Host = "127.0.0.1", Port = broker.Port, ClientId = "fallback", NodeTopic = "lookback/nodes/fb",
            BackoffInitial = TimeSpan.FromMilliseconds(50), BackoffMax = TimeSpan.FromMilliseconds(200),
        }, logs.CreateLogger("fb"));
        await conn.StartAsync(CancellationToken.None);
        try { await conn.WaitConnectedAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10)); }
        catch (TimeoutException) { Assert.Fail(string.Join("\n", logs.Entries.Select(e => e.Text)) + " levels " + string.Join(",", broker.ProtocolLevels)); }
        Assert.Equal(MqttProtocolVersion.V311, conn.ProtocolVersion);
        lock (broker.ProtocolLevels) Assert.Equal([5, 4], broker.ProtocolLevels.Take(2));
    }
}
