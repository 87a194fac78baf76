using System.Buffers;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Lookback.Buffer;
using Lookback.Cameras;
using Lookback.Config;
using Lookback.Events;
using Lookback.Mqtt;
using Lookback.Media.Rendering;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using MQTTnet;
using MQTTnet.Formatter;
using MQTTnet.Protocol;

namespace Lookback.Tests.Mqtt;

public sealed class FakeCamera(CameraOptions options) : ICamera
{
    public string Slug => Options.Slug;
    public CameraOptions Options { get; } = options;
    public FrameRing Ring { get; } = new(new RingLimits(options.Store, null, options.MaxBufferBytes));
    public CameraStatus Status { get; set; } = CameraStatus.Online;
    public string? LastError { get; set; }
    public double Fps { get; set; } = 1;
    public DateTimeOffset? LastFrameAt => Ring.NewestTime;
    public bool MotionEnabled { get; set; } = options.Motion.Enabled;
    public int MotionThreshold { get; set; } = options.Motion.Threshold;
}

public sealed class FakeDirectory(params string[] slugs) : ICameraDirectory
{
    public List<FakeCamera> Cameras { get; } = [.. slugs.Select(s => new FakeCamera(new CameraOptions
        { Slug = s, Name = s == "frontdoor" ? "Front door" : null, Url = "http://127.0.0.1/x.jpg", Kind = CameraKind.Snapshot }))];
    public IReadOnlyList<ICamera> All => Cameras;
    public ICamera? Find(string slug) => Cameras.FirstOrDefault(c => c.Slug == slug);
}

/// <summary>Canned ok results, like the real render service would answer: each also published as
/// <see cref="RenderCompleted"/> on <see cref="Bus"/> (when set) before the task completes.</summary>
public sealed class FakeRenderer : IRenderService
{
    public ConcurrentQueue<RenderRequest> Requests { get; } = new();
    public int Queued => 0;
    public EventBus? Bus { get; init; }
    public Task<RenderResult> SubmitAsync(RenderRequest r, CancellationToken ct)
    {
        Requests.Enqueue(r);
        var result = Canned(r);
        Bus?.Publish(new RenderCompleted(r, result));
        return Task.FromResult(result);
    }

    private static RenderResult Canned(RenderRequest r)
    {
        var kind = ResultKinds.Of(r.Kind);
        var ext = r.Kind switch { RenderKind.Snapshot => "jpg", RenderKind.Gif => "gif", _ => "mp4" };
        var now = DateTimeOffset.UtcNow;
        return new RenderResult
        {
            RequestId = r.RequestId, Camera = r.Camera, Kind = kind, Status = RenderStatus.Ok,
            Url = $"http://127.0.0.1:8099/media/{r.Camera}/2026-11-22/173501.123-{kind}.{ext}",
            Media = $"/media/local/lookback/{r.Camera}/2026-11-22/173501.123-{kind}.{ext}",
            GifUrl = r.Kind == RenderKind.Moment ? $"http://127.0.0.1:8099/media/{r.Camera}/m.gif" : null,
            Bytes = 1234, Frames = 10, Width = r.Width ?? 480, Height = 270, Start = now.AddSeconds(-10), End = now, ElapsedMs = 1,
        };
    }
}

/// <summary>Collects warnings (for "logged as a warning" checks).</summary>
public sealed class ListLoggerProvider : ILoggerProvider
{
    public ConcurrentQueue<(LogLevel Level, string Category, string Text)> Entries { get; } = new();
    public ILogger CreateLogger(string category) => new L(this, category);
    public void Dispose() { }
    private sealed class L(ListLoggerProvider p, string cat) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(LogLevel l) => l >= LogLevel.Information;
        public void Log<TState>(LogLevel l, EventId id, TState s, Exception? e, Func<TState, Exception?, string> f)
        { if (IsEnabled(l)) p.Entries.Enqueue((l, cat, f(s, e))); }
    }
}

public sealed record Seen(string Topic, byte[] Payload, bool Retain, byte[]? CorrelationData, long Index)
{
    public string Text => Encoding.UTF8.GetString(Payload);
    public JsonElement Json => JsonDocument.Parse(Payload).RootElement;
}

/// <summary>A second MQTTnet client that records everything it sees.</summary>
public sealed class Observer : IAsyncDisposable
{
    private readonly IMqttClient _c = new MqttClientFactory().CreateMqttClient();
    private readonly List<Seen> _seen = [];
    private readonly object _gate = new();
    private long _index;

    public static async Task<Observer> ConnectAsync(int port, params string[] filters)
    {
        var o = new Observer();
        o._c.ApplicationMessageReceivedAsync += e =>
        {
            var m = e.ApplicationMessage;
            lock (o._gate) { o._seen.Add(new Seen(m.Topic, m.Payload.ToArray(), m.Retain, m.CorrelationData, o._index++)); Monitor.PulseAll(o._gate); }
            return Task.CompletedTask;
        };
        await o._c.ConnectAsync(new MqttClientOptionsBuilder().WithTcpServer("127.0.0.1", port)
            .WithProtocolVersion(MqttProtocolVersion.V500).WithClientId("observer-" + Guid.NewGuid().ToString("N")[..8]).Build());
        var sb = new MqttClientSubscribeOptionsBuilder();
        foreach (var f in filters.Length == 0 ? ["#"] : filters) sb = sb.WithTopicFilter(f, MqttQualityOfServiceLevel.AtLeastOnce);
        await o._c.SubscribeAsync(sb.Build());
        return o;
    }

    public IMqttClient Client => _c;

    public List<Seen> All { get { lock (_gate) return [.. _seen]; } }
    public List<Seen> On(string topic) { lock (_gate) return [.. _seen.Where(s => s.Topic == topic)]; }
    public void Clear() { lock (_gate) _seen.Clear(); }

    /// <summary>Waits (condition, deadline) for the first message matching; throws on timeout.</summary>
    public Seen WaitFor(Func<Seen, bool> match, TimeSpan? timeout = null, string? what = null)
    {
        var deadline = Stopwatch.StartNew();
        var limit = timeout ?? TimeSpan.FromSeconds(10);
        lock (_gate)
        {
            while (true)
            {
                var s = _seen.FirstOrDefault(match);
                if (s != null) return s;
                var left = limit - deadline.Elapsed;
                if (left <= TimeSpan.Zero) throw new TimeoutException("not seen: " + (what ?? "message") + " — saw: " +
                    string.Join(" | ", _seen.TakeLast(15).Select(x => x.Topic + "=" + (x.Payload.Length < 200 ? x.Text : x.Payload.Length + "B"))));
                Monitor.Wait(_gate, left);
            }
        }
    }

    public Seen WaitFor(string topic, Func<Seen, bool>? match = null, TimeSpan? timeout = null) =>
        WaitFor(s => s.Topic == topic && (match == null || match(s)), timeout, topic);

    /// <summary>Waits until at least <paramref name="count"/> messages match.</summary>
    public List<Seen> WaitForCount(Func<Seen, bool> match, int count, TimeSpan? timeout = null)
    {
        var sw = Stopwatch.StartNew();
        var limit = timeout ?? TimeSpan.FromSeconds(20);
        lock (_gate)
        {
            while (true)
            {
                var l = _seen.Where(match).ToList();
                if (l.Count >= count) return l;
                var left = limit - sw.Elapsed;
                if (left <= TimeSpan.Zero) throw new TimeoutException($"saw {l.Count} of {count}");
                Monitor.Wait(_gate, left);
            }
        }
    }

    public Task PublishAsync(string topic, string payload, bool retain = false, string? responseTopic = null, byte[]? correlation = null) =>
        PublishAsync(topic, Encoding.UTF8.GetBytes(payload), retain, responseTopic, correlation);

    public async Task PublishAsync(string topic, byte[] payload, bool retain = false, string? responseTopic = null, byte[]? correlation = null)
    {
        var b = new MqttApplicationMessageBuilder().WithTopic(topic).WithPayload(payload).WithRetainFlag(retain)
            .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce);
        if (responseTopic != null) b = b.WithResponseTopic(responseTopic);
        if (correlation != null) b = b.WithCorrelationData(correlation);
        await _c.PublishAsync(b.Build());
    }

    public async ValueTask DisposeAsync()
    {
        try { await _c.DisconnectAsync(); } catch { }
        _c.Dispose();
    }
}

/// <summary>A bridge with fake cameras and renderer against a broker port.</summary>
public sealed class BridgeHost : IAsyncDisposable
{
    public BridgeHost(int port, string nodeId = "lookback", string[]? cameras = null, IReadOnlyList<TriggerOptions>? triggers = null,
        string? storage = null, Func<ReadOnlyMemory<byte>, byte[]>? fitter = null,
        Func<CameraOptions, CameraOptions>? camera = null, Func<LookbackOptions, LookbackOptions>? configure = null)
    {
        Storage = storage ?? System.IO.Directory.CreateTempSubdirectory("lookback-mqtt-").FullName;
        Directory = new FakeDirectory(cameras ?? ["frontdoor", "garden"]);
        if (camera != null)
            for (var i = 0; i < Directory.Cameras.Count; i++) Directory.Cameras[i] = new FakeCamera(camera(Directory.Cameras[i].Options));
        Options = new LookbackOptions
        {
            NodeId = nodeId,
            Mqtt = new MqttOptions { Host = "127.0.0.1", Port = port },
            Storage = new StorageOptions { Path = Storage },
            Cameras = [.. Directory.Cameras.Select(c => c.Options)],
            Triggers = triggers ?? [],
        };
        if (configure != null) Options = configure(Options);
        Logs = new ListLoggerProvider();
        Loggers = LoggerFactory.Create(b => b.AddProvider(Logs).SetMinimumLevel(LogLevel.Information));
        Renderer = new FakeRenderer { Bus = Bus };
        Bridge = new MqttBridge(Options, Directory, Renderer, Bus, Loggers, "1.2.3", fitter) { BirthDelayMax = TimeSpan.FromMilliseconds(200) };
    }

    public string Storage { get; }
    public FakeDirectory Directory { get; }
    public FakeRenderer Renderer { get; }
    public EventBus Bus { get; } = new();
    public LookbackOptions Options { get; }
    public ListLoggerProvider Logs { get; }
    public ILoggerFactory Loggers { get; }
    public MqttBridge Bridge { get; }
    public Topics T => Bridge.Topics;

    public async Task<BridgeHost> StartAsync(bool waitConnected = true)
    {
        await Bridge.StartAsync(CancellationToken.None);
        if (waitConnected) await Bridge.Connection.WaitConnectedAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10));
        return this;
    }

    public async ValueTask DisposeAsync()
    {
        await Bridge.DisposeAsync();
        Loggers.Dispose();
    }
}
