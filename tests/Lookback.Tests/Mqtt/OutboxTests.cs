using System.Text;
using System.Text.Json;
using Lookback.Mqtt;
using Lookback.Media.Rendering;
using Microsoft.Extensions.Logging.Abstractions;

namespace Lookback.Tests.Mqtt;

public class OutboxUnitTests
{
    private static string Dir() => Directory.CreateTempSubdirectory("outbox-").FullName;

    [Fact]
    public void Survives_a_restart_and_keeps_order_and_fields()
    {
        var dir = Dir();
        using (var a = new Outbox(dir))
        {
            for (var i = 0; i < 20; i++) a.Enqueue($"t/{i}", Encoding.UTF8.GetBytes($"p{i}"), 1, i % 2 == 0, i == 3 ? "resp/x" : null, i == 3 ? [1, 2, 3] : null);
        }
        using var b = new Outbox(dir);
        var s = b.Snapshot();
        Assert.Equal(20, s.Count);
        Assert.Equal(Enumerable.Range(0, 20).Select(i => $"t/{i}"), s.Select(m => m.Topic));
        Assert.Equal("p7", Encoding.UTF8.GetString(s[7].Payload));
        Assert.True(s[2].Retain);
        Assert.Equal("resp/x", s[3].ResponseTopic);
        Assert.Equal([1, 2, 3], s[3].CorrelationData!);
        Assert.True(s.Zip(s.Skip(1)).All(p => p.First.Sequence < p.Second.Sequence));
        var next = b.Enqueue("t/next", "x");
        Assert.True(next > s[^1].Sequence);
    }

    [Fact]
    public async Task Acked_messages_are_not_recovered_and_a_torn_tail_is_cut()
    {
        var dir = Dir();
        var pub = new FakePublisher();
        using (var a = new Outbox(dir))
        {
            for (var i = 0; i < 10; i++) a.Enqueue($"t/{i}", "x");
            using var cts = new CancellationTokenSource();
            pub.Limit = 4;
            var run = a.RunAsync(pub, cts.Token);
            Mosquitto.WaitUntil(() => a.Count == 6, TimeSpan.FromSeconds(5), "4 delivered");
            cts.Cancel();
            await run;
        }
        var seg = Directory.GetFiles(dir, "*.seg").Order().Last();
        File.AppendAllText(seg, "garbage-tail");
        using var b = new Outbox(dir);
        Assert.Equal(Enumerable.Range(4, 6).Select(i => $"t/{i}"), b.Snapshot().Select(m => m.Topic));
    }

    [Fact]
    public void Drops_the_oldest_when_full()
    {
        using var o = new Outbox(Dir(), new OutboxOptions { MaxMessages = 100 }, NullLogger.Instance);
        for (var i = 0; i < 150; i++) o.Enqueue($"t/{i}", "x");
        Assert.Equal(100, o.Count);
        Assert.Equal(50, o.Dropped);
        Assert.Equal("t/50", o.Snapshot()[0].Topic);
        using var bytes = new Outbox(Dir(), new OutboxOptions { MaxBytes = 100_000 });
        for (var i = 0; i < 50; i++) bytes.Enqueue("t", new byte[10_000]);
        Assert.InRange(bytes.Bytes, 1, 100_000);
        Assert.True(bytes.Dropped > 0);
    }

    [Fact]
    public async Task Delivered_segments_are_deleted()
    {
        var dir = Dir();
        using var o = new Outbox(dir, new OutboxOptions { SegmentBytes = 4096 });
        for (var i = 0; i < 200; i++) o.Enqueue("t", new byte[100]);
        Assert.True(Directory.GetFiles(dir, "*.seg").Length > 3);
        using var cts = new CancellationTokenSource();
        var run = o.RunAsync(new FakePublisher(), cts.Token);
        Mosquitto.WaitUntil(() => o.Count == 0, TimeSpan.FromSeconds(5), "all delivered");
        cts.Cancel(); await run;
        Assert.True(Directory.GetFiles(dir, "*.seg").Length <= 1);
        Assert.True(Directory.GetFiles(dir, "*.seg").Sum(f => new FileInfo(f).Length) < 64 * 1024);
    }

    private sealed class FakePublisher : IMqttPublisher
    {
        public int Limit = int.MaxValue;
        private int _sent;
        public bool IsConnected => _sent < Limit;
        public Task WaitConnectedAsync(CancellationToken ct) => Task.Delay(Timeout.Infinite, ct);
        public Task<PublishOutcome> PublishAsync(MQTTnet.MqttApplicationMessage m, CancellationToken ct)
        { _sent++; return Task.FromResult(PublishOutcome.Acked); }
    }
}

/// <summary>Outbox against a real mosquitto that goes away and comes back.</summary>
public class OutboxOutageTests
{
    private static MqttConnection Conn(int port, string node) => new(new MqttConnectionSettings
    {
        Host = "127.0.0.1", Port = port, ClientId = "lookback-" + node, NodeTopic = $"lookback/nodes/{node}",
        BackoffInitial = TimeSpan.FromMilliseconds(100), BackoffMax = TimeSpan.FromMilliseconds(400),
    }, NullLogger.Instance);

    private static void Cause(ResultPublisher results, string cam)
    {
        for (var i = 0; i < 50; i++)
            results.PublishEvent(cam, new() { ["event_type"] = i % 2 == 0 ? "motion_start" : "motion_end", ["n"] = i });
        for (var i = 0; i < 10; i++)
            results.PublishResult(new RenderResult { RequestId = $"r{i}", Camera = cam, Kind = ResultKind.Gif, Status = RenderStatus.Ok, Url = "http://x/a.gif" });
    }

    private static void AssertAllOnceInOrder(Observer obs, string cam)
    {
        var got = obs.WaitForCount(s => s.Topic.StartsWith($"lookback/{cam}/"), 60, TimeSpan.FromSeconds(30));
        Assert.Equal(60, got.Count);
        Assert.Equal(Enumerable.Range(0, 50), got.Take(50).Select(s => s.Json.GetProperty("n").GetInt32()));
        Assert.Equal(Enumerable.Range(0, 10).Select(i => $"r{i}"), got.Skip(50).Select(s => s.Json.GetProperty("request_id").GetString()));
        // Nothing more arrives: the outbox is empty and nothing is re-sent.
        Assert.Equal(60, obs.All.Count(s => s.Topic.StartsWith($"lookback/{cam}/")));
    }

    [Fact]
    public async Task Broker_outage_loses_nothing_and_duplicates_nothing()
    {
        using var broker = new Mosquitto();
        using var gate = new TcpGate(broker.Port);
        var topics = new Topics("lookback", "homeassistant", "ob1");
        using var outbox = new Outbox(Directory.CreateTempSubdirectory("outbox-").FullName);
        await using var conn = Conn(gate.Port, "ob1");
        using var cts = new CancellationTokenSource();
        await conn.StartAsync(cts.Token);
        await conn.WaitConnectedAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10));
        var run = outbox.RunAsync(conn, cts.Token);

        gate.Close();           // the connection drops abruptly and cannot come back
        broker.Stop();          // and the broker is gone
        Mosquitto.WaitUntil(() => !conn.IsConnected, TimeSpan.FromSeconds(5), "disconnected");
        Cause(new ResultPublisher(topics, outbox), "obcam");
        Assert.Equal(60, outbox.Count);

        broker.Start();
        await using var obs = await Observer.ConnectAsync(broker.Port, "lookback/obcam/#");
        gate.Open();
        AssertAllOnceInOrder(obs, "obcam");
        Assert.True(await outbox.WaitEmptyAsync(TimeSpan.FromSeconds(5)));
        cts.Cancel();
    }

    [Fact]
    public async Task Restart_during_an_outage_loses_nothing_and_duplicates_nothing()
    {
        using var broker = new Mosquitto(start: false);
        var dir = Directory.CreateTempSubdirectory("outbox-").FullName;
        var topics = new Topics("lookback", "homeassistant", "ob2");
        using (var first = new Outbox(dir))
            Cause(new ResultPublisher(topics, first), "obcam2");     // "process" ends with the broker down

        using var outbox = new Outbox(dir);                          // the restarted process
        Assert.Equal(60, outbox.Count);
        broker.Start();
        await using var obs = await Observer.ConnectAsync(broker.Port, "lookback/obcam2/#");
        await using var conn = Conn(broker.Port, "ob2");
        using var cts = new CancellationTokenSource();
        var run = outbox.RunAsync(conn, cts.Token);
        await conn.StartAsync(cts.Token);
        AssertAllOnceInOrder(obs, "obcam2");
        Assert.True(await outbox.WaitEmptyAsync(TimeSpan.FromSeconds(5)));
        cts.Cancel();
        await run;
        outbox.Dispose();
        using var again = new Outbox(dir);                           // a second restart re-sends nothing
        Assert.Equal(0, again.Count);
    }
}
