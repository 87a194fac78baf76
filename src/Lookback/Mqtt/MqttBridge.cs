using System.Collections.Concurrent;
using System.Text;
using System.Text.Json.Nodes;
using Lookback.Cameras;
using Lookback.Config;
using Lookback.Events;
using Lookback.Media.Rendering;
using Microsoft.Extensions.Logging;

namespace Lookback.Mqtt;

/// <summary>
/// Everything MQTT, wired together: connection supervisor, outbox, retained state, discovery, state publisher,
/// command router and trigger router. Construct once with the configuration and start/stop with the host.
/// </summary>
public sealed class MqttBridge : IAsyncDisposable
{
    private readonly LookbackOptions _options;
    private readonly MqttOptions _mqtt;
    private readonly ICameraDirectory _cameras;
    private readonly IRenderService _renders;
    private readonly EventBus _bus;
    private readonly ILoggerFactory _loggers;
    private readonly ILogger _log;
    private readonly string _version;
    private readonly Func<ReadOnlyMemory<byte>, byte[]>? _fitter;
    private readonly ConcurrentDictionary<string, IReadOnlyList<string>> _otherNodes = new();
    private readonly List<IDisposable> _subscriptions = [];
    private readonly List<Task> _loops = [];
    private CancellationTokenSource? _cts;
    private ResultPublisher? _results;
    private StatePublisher? _states;
    private CommandRouter? _commands;
    private TriggerRouter? _triggers;
    private bool _started, _stopped;

    public MqttBridge(LookbackOptions options, ICameraDirectory cameras, IRenderService renders, EventBus bus,
        ILoggerFactory loggerFactory, string version, Func<ReadOnlyMemory<byte>, byte[]>? snapshotFitter = null)
    {
        _options = options;
        _mqtt = options.Mqtt ?? throw new ArgumentException("mqtt is not configured", nameof(options));
        _cameras = cameras; _renders = renders; _bus = bus; _loggers = loggerFactory; _version = version; _fitter = snapshotFitter;
        _log = loggerFactory.CreateLogger("Lookback.Mqtt");
        Topics = new Topics(_mqtt.TopicPrefix, _mqtt.DiscoveryPrefix, options.NodeId);
        Connection = new MqttConnection(MqttConnectionSettings.From(_mqtt, options.NodeId), loggerFactory.CreateLogger<MqttConnection>());
        Retained = new RetainedState(loggerFactory.CreateLogger<RetainedState>());
    }

    public Topics Topics { get; }
    public MqttConnection Connection { get; }
    public RetainedState Retained { get; }
    /// <summary>Created by <see cref="StartAsync"/> under storage.path/.outbox.</summary>
    public Outbox Outbox { get; private set; } = null!;
    public OutboxOptions OutboxOptions { get; init; } = new();
    /// <summary>Accepted render commands not answered yet (created by <see cref="StartAsync"/> under storage.path/.state).</summary>
    public CommandJournal Journal { get; private set; } = null!;
    /// <summary>Home Assistant birth → re-publish after a random delay in [0, this].</summary>
    public TimeSpan BirthDelayMax { get; init; } = TimeSpan.FromSeconds(2);
    /// <summary>Period of the state refresh (per-camera state is throttled to the same period).</summary>
    public TimeSpan StateInterval { get; init; } = TimeSpan.FromSeconds(5);
    /// <summary>Re-publishes caused by Home Assistant's birth message.</summary>
    public int BirthRepublishes => _births;
    private int _births;

    public async Task StartAsync(CancellationToken ct)
    {
        if (_started) return;
        _started = true;
        _cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        Outbox = new Outbox(Path.Combine(_options.Storage.Path, ".outbox"), OutboxOptions, _loggers.CreateLogger<Outbox>());
        _results = new ResultPublisher(Topics, Outbox);
        _states = new StatePublisher(Topics, _cameras, _renders, Retained, _version, _loggers.CreateLogger<StatePublisher>(), _fitter)
            { StateInterval = StateInterval };
        Journal = new CommandJournal(Path.Combine(_options.Storage.Path, ".state", "commands.journal"), _log);
        AnswerInterrupted(Journal.Recover());
        _commands = new CommandRouter(Topics, _cameras, _renders, _results, _bus, _loggers.CreateLogger<CommandRouter>(), OwnedByAnotherNode)
            { Journal = Journal };
        _triggers = new TriggerRouter(_options.Triggers, _cameras, _renders, _results, _loggers.CreateLogger<TriggerRouter>())
            { Journal = Journal };

        // Retained values, in the order they are re-published: discovery, then states, then the camera list.
        Retained.Set(Topics.NodeDiscovery, Discovery.Serialize(Discovery.Node(Topics, _version)));
        foreach (var c in _cameras.All) PublishCameraDiscovery(c);
        // Subscribe before reading the cameras' current states: cameras are already running, and a change that
        // came between the read and the subscription would be lost (a camera left "offline" though online).
        _subscriptions.Add(_states.Attach(_bus));
        // An `auto` camera's kind is known after its first answer: the device model follows (unchanged payloads are not re-sent).
        _subscriptions.Add(_bus.Subscribe<CameraStatusChanged>(e => { if (_cameras.Find(e.Camera) is { } c) PublishCameraDiscovery(c); }));
        _subscriptions.Add(_bus.Subscribe<MotionChanged>(OnMotion));
        _subscriptions.Add(_bus.Subscribe<MotionEventCompleted>(OnMotionCompleted));
        _subscriptions.Add(_bus.Subscribe<RenderCompleted>(OnRenderCompleted));
        _states.PublishAll();
        Retained.Set(Topics.NodeCameras, Discovery.CameraList(_cameras.All.Select(c => c.Slug)));

        Connection.MessageReceived += OnMessage;
        Connection.Connected += OnConnected;
        foreach (var s in _commands.Subscriptions.Concat(_triggers.Subscriptions).Append(Topics.HaStatus).Append(Topics.AllNodeCameras).Distinct())
            await Connection.SubscribeAsync(s, ct).ConfigureAwait(false);

        var token = _cts.Token;
        _loops.Add(Task.Run(() => Outbox.RunAsync(Connection, token)));
        _loops.Add(Task.Run(() => Retained.RunAsync(Connection, token)));
        _loops.Add(Task.Run(() => TickAsync(token)));
        await Connection.StartAsync(token).ConfigureAwait(false);
    }

    /// <summary>
    /// Finishes running commands (up to 1 s), delivers what the outbox and the retained state can (up to 1 s), publishes P/nodes/N offline,
    /// disconnects cleanly and flushes the outbox to disk.
    /// </summary>
    public async Task StopAsync()
    {
        if (!_started || _stopped) return;
        _stopped = true;
        foreach (var s in _subscriptions) s.Dispose();
        try
        {
            await Task.WhenAll(_commands!.WhenIdleAsync(), _triggers!.WhenIdleAsync()).WaitAsync(TimeSpan.FromSeconds(1)).ConfigureAwait(false);
        }
        catch (TimeoutException) { _log.LogWarning("MQTT: stopping with commands still running"); }
        if (Connection.IsConnected)
            await Task.WhenAll(Outbox.WaitEmptyAsync(TimeSpan.FromSeconds(1)), Retained.WaitIdleAsync(TimeSpan.FromSeconds(1))).ConfigureAwait(false);
        await Connection.StopAsync().ConfigureAwait(false);
        _cts!.Cancel();
        try { await Task.WhenAll(_loops).WaitAsync(TimeSpan.FromSeconds(2)).ConfigureAwait(false); } catch { }
        Outbox.Flush();
        if (Outbox.Count > 0) _log.LogInformation("MQTT: {Count} undelivered messages kept in the outbox", Outbox.Count);
        Outbox.Dispose();
        Journal.Dispose();
    }

    /// <summary>Commands the previous run accepted and never answered (it was killed): status error "interrupted".</summary>
    private void AnswerInterrupted(IReadOnlyList<JournalEntry> interrupted)
    {
        if (interrupted.Count == 0) return;
        _log.LogWarning("MQTT: {Count} command(s) were interrupted by the last stop; answering them \"interrupted\"", interrupted.Count);
        foreach (var e in interrupted)
            _results!.PublishResult(new RenderResult { Camera = e.Camera, Kind = e.Kind, Status = "error", Error = "interrupted", RequestId = e.RequestId },
                e.ResponseTopic, e.CorrelationData);
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync().ConfigureAwait(false);
        await Connection.DisposeAsync().ConfigureAwait(false);
        _cts?.Dispose();
    }

    private Task OnConnected()
    {
        Retained.MarkAllDirty();
        return Task.CompletedTask;
    }

    private void PublishCameraDiscovery(ICamera c)
    {
        var doorbell = _options.Triggers.Any(t => t.Doorbell && t.Cameras.Contains(c.Slug));
        var config = Discovery.Camera(Topics, c.Options, _version, c.DetectedKind, Discovery.ConfigurationUrl(_options.Http, c.Slug), doorbell);
        Retained.Set(Topics.CameraDiscovery(c.Slug), Discovery.Serialize(config));
    }

    /// <summary>Other instances remembered (their camera lists); junk node topics cannot grow the table beyond this.</summary>
    public const int MaxOtherNodes = 64;

    private bool OwnedByAnotherNode(string cam) => _otherNodes.Values.Any(l => l.Contains(cam));

    private void OnMessage(IncomingMessage m)
    {
        if (m.Topic == Topics.HaStatus)
        {
            if (Encoding.UTF8.GetString(m.Payload.Span).Trim() == "online") _ = RepublishAfterBirthAsync();
            return;
        }
        if (Topics.TryParseNodeCameras(m.Topic, out var node))
        {
            var list = Discovery.ParseCameraList(m.Payload.Span);
            if (node == Topics.NodeId) RemoveCameras(list);
            else if (list.Count == 0) _otherNodes.TryRemove(node, out _);
            else if (_otherNodes.Count < MaxOtherNodes || _otherNodes.ContainsKey(node)) _otherNodes[node] = list;
            else _log.LogDebug("MQTT: more than {Max} other nodes; camera list of {Node} ignored", MaxOtherNodes, LogText.Topic(node));
            return;
        }
        _commands!.TryHandle(m);
        _triggers!.TryHandle(m);
    }

    private void RemoveCameras(IReadOnlyList<string> previous)
    {
        foreach (var cam in Discovery.Removed(previous, _cameras.All.Select(c => c.Slug)))
        {
            _log.LogInformation("MQTT: camera {Camera} left the configuration; removing its discovery and retained topics", cam);
            Retained.Clear(Topics.CameraDiscovery(cam));
            foreach (var t in Topics.CameraRetained(cam)) Retained.Clear(t);
        }
    }

    private async Task RepublishAfterBirthAsync()
    {
        try
        {
            var delay = TimeSpan.FromMilliseconds(Random.Shared.NextDouble() * BirthDelayMax.TotalMilliseconds);
            await Task.Delay(delay, _cts!.Token).ConfigureAwait(false);
            _log.LogInformation("MQTT: Home Assistant is online; re-publishing discovery and states");
            Interlocked.Increment(ref _births);
            Retained.MarkAllDirty();
        }
        catch (OperationCanceledException) { }
    }

    private static string Utc(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'");

    private static JsonArray Strings(IEnumerable<string> items) => new([.. items.Select(z => (JsonNode)JsonValue.Create(z)!)]);

    /// <summary>motion_start at once (the OFF state is published by the state publisher at once too).</summary>
    private void OnMotion(MotionChanged e)
    {
        if (!e.Active || _cameras.Find(e.Camera) == null) return;
        var evt = new JsonObject
        {
            ["event_type"] = "motion_start",
            ["camera"] = e.Camera,
            ["at"] = Utc(e.At),
            ["score"] = Math.Round(e.Score, 3),
            ["zones"] = Strings(e.Zones),
        };
        if (e.EventId != null) evt["event_id"] = e.EventId;
        _results!.PublishEvent(e.Camera, evt);
    }

    /// <summary>motion_end with the event's files (the GIF is rendered early, so this follows OFF closely).</summary>
    private void OnMotionCompleted(MotionEventCompleted e)
    {
        if (_cameras.Find(e.Camera) == null) return;
        var evt = new JsonObject
        {
            ["event_type"] = "motion_end",
            ["camera"] = e.Camera,
            ["event_id"] = e.EventId,
            ["start"] = Utc(e.Start),
            ["end"] = Utc(e.End),
            ["score"] = Math.Round(e.Score, 3),
            ["zones"] = Strings(e.Zones),
        };
        if (e.Snapshot is { } s) { evt["snapshot_url"] = s.Url; if (s.Media is not null) evt["snapshot_media"] = s.Media; }
        if (e.Gif is { } g) { evt["url"] = g.Url; evt["gif_url"] = g.Url; if (g.Media is not null) { evt["media"] = g.Media; evt["gif_media"] = g.Media; } }
        if (e.Error is not null) evt["error"] = e.Error;
        _results!.PublishEvent(e.Camera, evt);
    }

    private void OnRenderCompleted(RenderCompleted e)
    {
        // MQTT commands and triggers publish their own *_ready events after the result, motion events their
        // motion_end; HTTP renders are announced here.
        if (e.Request.Origin is RenderOrigin.Mqtt or RenderOrigin.Trigger or RenderOrigin.Motion) return;
        if (_cameras.Find(e.Result.Camera) == null) return;
        _results!.PublishReady(e.Result);
    }

    private async Task TickAsync(CancellationToken ct)
    {
        using var timer = new PeriodicTimer(StateInterval);
        try
        {
            while (await timer.WaitForNextTickAsync(ct).ConfigureAwait(false))
            {
                try { _states!.Tick(); _commands!.FlushSuppressedWarnings(); } catch (Exception ex) { _log.LogError(ex, "MQTT state refresh failed"); }
            }
        }
        catch (OperationCanceledException) { }
    }
}
