using System.Collections.Concurrent;
using System.Text;
using System.Text.Json.Nodes;
using Lookback.Cameras;
using Lookback.Config;
using Lookback.Events;
using Lookback.Mqtt.Nodes;
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
    private readonly List<IDisposable> _subscriptions = [];
    private readonly List<Task> _loops = [];
    private CancellationTokenSource? _cts;
    private ResultPublisher? _results;
    private IDisposable? _announcements;
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
        Nodes = new NodeDirectory(_mqtt.TopicPrefix, options.NodeId, Nonce);
        Ownership = new SlugOwnershipTracker(Nodes, cameras.All.Select(c => c.Slug));
        _answering = new ServedCameras(cameras, Ownership.Serves);
        _publishing = new ServedCameras(cameras, _published.ContainsKey);
    }

    private readonly ServedCameras _answering, _publishing;
    /// <summary>Slugs whose retained topics and discovery this node publishes (served, and known to be so).</summary>
    private readonly ConcurrentDictionary<string, byte> _published = new(StringComparer.Ordinal);
    private readonly object _roleGate = new();

    /// <summary>Which of this node's slugs it serves now (the others are on standby).</summary>
    public SlugOwnershipTracker Ownership { get; }
    /// <summary>What the HTTP API shows of this node's role (standby cameras, MQTT refused); shared with the host.</summary>
    public BusRole Role { get; init; } = new();
    /// <summary>The waits of <see cref="StopAsync"/>.</summary>
    public MqttStopTimeouts StopTimeouts { get; init; } = MqttStopTimeouts.Default;
    /// <summary>The cameras' configured warnings (P/&lt;cam&gt;/warnings and warning events); null: none.</summary>
    public Warnings.WarningService? Warnings { get; init; }
    /// <summary>After a node_id clash, how long until the broker is looked at again (default keepalive × 1.5 + 2 s, at least 10 s).</summary>
    public TimeSpan ClashRetry { get; init; }

    /// <summary>Random per process start; in this node's announcement.</summary>
    public string Nonce { get; } = NodeAnnouncement.NewNonce();
    public DateTimeOffset Started { get; } = DateTimeOffset.UtcNow;
    /// <summary>Every node on the bus (fed by P/nodes/+ and P/nodes/+/cameras).</summary>
    public NodeDirectory Nodes { get; }

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
    /// <summary>Upload jobs waiting (null: no upload targets): node state <c>uploads_pending</c> and its HA sensor.</summary>
    public Func<int>? UploadsPending { get; init; }
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
        _states = new StatePublisher(Topics, _publishing, _renders, Retained, _version, _loggers.CreateLogger<StatePublisher>(), _fitter)
            {
                StateInterval = StateInterval, Standby = () => Role.AllStandby.ToDictionary(kv => kv.Key, kv => kv.Value.Reason),
                Warnings = Warnings is { } w ? w.Of : null, UploadsPending = UploadsPending,
            };
        Journal = new CommandJournal(Path.Combine(_options.Storage.Path, ".state", "commands.journal"), _log);
        AnswerInterrupted(Journal.Recover());
        // commands for our cameras on standby are left to the active node, like commands for other nodes' cameras
        _commands = new CommandRouter(Topics, _answering, _renders, _results, _bus, _loggers.CreateLogger<CommandRouter>(),
            cam => _cameras.Find(cam) != null || OwnedByAnotherNode(cam)) { Journal = Journal };
        _triggers = new TriggerRouter(_options.Triggers, _answering, _renders, _results, _loggers.CreateLogger<TriggerRouter>())
            { Journal = Journal, OnStandby = cam => _cameras.Find(cam) != null };

        // Retained values, in the order they are re-published: node discovery, the announcement, then each camera's
        // discovery and states once this node knows it serves the camera (its own announcement came back).
        Retained.Set(Topics.NodeDiscovery, Discovery.Serialize(Discovery.Node(Topics, _version, uploads: UploadsPending is not null)));
        PublishAnnouncement();
        // Subscribe before reading the cameras' current states: cameras are already running, and a change that
        // came between the read and the subscription would be lost (a camera left "offline" though online).
        _subscriptions.Add(_states.Attach(_bus));
        // every render's outcome (the result for MQTT askers, then *_ready), until the commands are answered at stop
        _announcements = new RenderAnnouncer(_results, _answering).Subscribe(_bus);
        // An `auto` camera's kind is known after its first answer: the device model follows (unchanged payloads are not re-sent).
        _subscriptions.Add(_bus.Subscribe<CameraStatusChanged>(e =>
        {
            PublishAnnouncement();
            if (_publishing.Find(e.Camera) is { } c) PublishCameraDiscovery(c);
        }));
        _subscriptions.Add(_bus.Subscribe<MotionChanged>(OnMotion));
        _subscriptions.Add(_bus.Subscribe<MotionEventCompleted>(OnMotionCompleted));
        _subscriptions.Add(_bus.Subscribe<Warnings.CameraWarningChanged>(OnWarning));
        _subscriptions.Add(_bus.Subscribe<Media.Upload.FileUploaded>(OnUploaded));
        _states.PublishAll();
        Role.MqttState = "starting";

        Connection.MessageReceived += OnMessage;
        Connection.Connected += OnConnected;
        Connection.Disconnected += OnDisconnected;
        // The node topics first: their retained values (who serves what) arrive before any command can.
        foreach (var s in new[] { Topics.AllNodes, Topics.AllNodeCameras }.Concat(_commands.Subscriptions).Concat(_triggers.Subscriptions).Append(Topics.HaStatus).Distinct())
            await Connection.SubscribeAsync(s, ct).ConfigureAwait(false);

        var token = _cts.Token;
        _loops.Add(Task.Run(() => Outbox.RunAsync(Connection, token)));
        _loops.Add(Task.Run(() => Retained.RunAsync(Connection, token)));
        _loops.Add(Task.Run(() => TickAsync(token)));
        _loops.Add(Task.Run(() => ConnectUnlessClashAsync(token)));
    }

    /// <summary>
    /// Looks at the broker with a separate, silent connection first (no last will, its own client id): when another
    /// running process announces this node_id, the MQTT side does not start (the error names the clash; HTTP serves
    /// on) and the broker is looked at again every <see cref="ClashRetry"/>; otherwise the node connects.
    /// </summary>
    private async Task ConnectUnlessClashAsync(CancellationToken ct)
    {
        var retry = ClashRetry > TimeSpan.Zero ? ClashRetry
            : TimeSpan.FromSeconds(Math.Max(10, _mqtt.KeepAlive * 1.5 + 2));
        try
        {
            var probe = new NodeClashProbe(MqttConnectionSettings.From(_mqtt, _options.NodeId), Topics, Nonce,
                _loggers.CreateLogger<MqttConnection>());
            var reported = false;
            while (await probe.FindClashAsync(ct).ConfigureAwait(false) is { } other)
            {
                Role.MqttState = "refused";
                Role.MqttError = NodeClashProbe.Describe(_options.NodeId, other);
                if (!reported) _log.LogError("MQTT: {Error}; MQTT stays off (the HTTP API and web UI keep running), checking again every {Retry:0} s",
                    Role.MqttError, retry.TotalSeconds);
                reported = true;
                await Task.Delay(retry, ct).ConfigureAwait(false);
            }
            if (reported) _log.LogInformation("MQTT: node_id {Node} is free now; connecting", _options.NodeId);
            Role.MqttError = null;
            Role.MqttState = "disconnected";
            await Connection.StartAsync(ct).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested) { }
        catch (Exception ex) { _log.LogError(ex, "MQTT: start failed"); }
    }

    /// <summary>
    /// Finishes running commands, delivers what the outbox and the retained state can, publishes P/nodes/N offline,
    /// disconnects cleanly and flushes the outbox to disk: each step within its share of <see cref="StopTimeouts"/>,
    /// shortened by <paramref name="budget"/> (the host's stop) when that runs out first.
    /// </summary>
    public async Task StopAsync(StopBudget? budget = null)
    {
        if (!_started || _stopped) return;
        _stopped = true;
        budget ??= new StopBudget(StopTimeouts.Total);
        var t = StopTimeouts;
        foreach (var s in _subscriptions) s.Dispose();
        if (!await budget.WaitAsync(Task.WhenAll(_commands!.WhenIdleAsync(), _triggers!.WhenIdleAsync()), t.Commands).ConfigureAwait(false))
            _log.LogWarning("MQTT: stopping with commands still running");
        _announcements?.Dispose();
        if (Connection.IsConnected)
        {
            var flush = budget.For(t.Flush);
            await budget.WaitAsync(Task.WhenAll(Outbox.WaitEmptyAsync(flush, budget.Token), Retained.WaitIdleAsync(flush)), t.Flush).ConfigureAwait(false);
        }
        await budget.WaitAsync(Connection.StopAsync(budget.For(t.Loops)), t.Loops).ConfigureAwait(false);
        _cts!.Cancel();
        await budget.WaitAsync(Task.WhenAll(_loops), t.Loops).ConfigureAwait(false);
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
            _results!.PublishResult(new RenderResult { Camera = e.Camera, Kind = ResultKinds.Parse(e.Kind) ?? ResultKind.Snapshot, Status = RenderStatus.Error, Error = "interrupted", RequestId = e.RequestId },
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
        Role.MqttState = "connected";
        Retained.MarkAllDirty();
        return Task.CompletedTask;
    }

    /// <summary>The broker publishes our last will now: the other nodes take over; so does our own view of the bus.</summary>
    private void OnDisconnected()
    {
        Role.MqttState = "disconnected";
        if (Nodes.MarkSelfOffline()) Reconcile();
    }

    /// <summary>
    /// After every change of the directory: which slugs this node serves. A slug it takes over gets its discovery
    /// and retained states published; a slug it yields is forgotten (the other node's retained values stay) and its
    /// discovery removed (Home Assistant keeps one device per camera). Each change is logged once.
    /// Runs on the MQTT receive thread, before the next message is handled (commands see the new ownership).
    /// </summary>
    private void Reconcile()
    {
        lock (_roleGate)
        {
            foreach (var (before, now) in Ownership.Evaluate())
            {
                var slug = now.Slug;
                if (now.Serves)
                {
                    Role.Set(slug, null);
                    var reason = Nodes.Find(before.ActiveNode ?? "")?.Online == true ? "it no longer announces it" : "it is offline";
                    _log.LogInformation("Camera {Camera}: this node serves it now ({Node} {Reason})", slug, before.ActiveNode, reason);
                }
                else
                {
                    Role.Set(slug, new BusRole.Standby(now.ActiveNode!, now.Reason!));
                    if (MeantAsSpare(slug)) _log.LogInformation("Camera {Camera}: {Reason}", slug, now.Reason);
                    else _log.LogWarning("Camera {Camera}: {Reason} (another node has the same slug: rename one camera, or set standby: true or failover_priority to make this one a spare)",
                        slug, now.Reason);
                    StopPublishing(slug);
                }
            }
            if (Nodes.SelfSynced)
                foreach (var c in _cameras.All)
                    if (Ownership.Serves(c.Slug) && _published.TryAdd(c.Slug, 0)) StartPublishing(c);
            _states?.NodeState();
        }
    }

    private bool MeantAsSpare(string slug) =>
        _cameras.Find(slug)?.Options is { } o && (o.Standby || o.FailoverPriority != null || _options.FailoverPriority != NodeAnnouncement.DefaultPriority);

    private void StartPublishing(ICamera c)
    {
        PublishCameraDiscovery(c);
        _states!.PublishCamera(c.Slug);
    }

    private void StopPublishing(string slug)
    {
        _published.TryRemove(slug, out _);
        Retained.Clear(Topics.CameraDiscovery(slug));
        foreach (var t in Topics.CameraRetained(slug)) Retained.Forget(t);
    }

    private void PublishCameraDiscovery(ICamera c)
    {
        var doorbell = _options.Triggers.Any(t => t.Doorbell && t.Cameras.Contains(c.Slug));
        var config = Discovery.Camera(Topics, c.Options, _version, c.DetectedKind, Discovery.ConfigurationUrl(_options.Http, c.Slug), doorbell);
        Retained.Set(Topics.CameraDiscovery(c.Slug), Discovery.Serialize(config));
    }

    /// <summary>This node's announcement (P/nodes/N/cameras, retained).</summary>
    public NodeAnnouncement Announcement() => new()
    {
        Node = _options.NodeId, Version = _version, Nonce = Nonce, Started = Started,
        PublicUrl = Media.Storage.MediaStore.PublicBaseOf(_options.Http),
        Cameras = [.. _cameras.All.Select(c => new AnnouncedCamera(c.Slug, c.Options.Name, c.DetectedKind.ToString().ToLowerInvariant(),
            c.Options.FailoverPriority ?? _options.FailoverPriority, c.Options.Standby))],
    };

    private void PublishAnnouncement() => Retained.Set(Topics.NodeCameras, Announcement().ToJson());

    private bool OwnedByAnotherNode(string cam) => Nodes.Nodes.Any(n => n.NodeId != Topics.NodeId && n.Announcement?.Find(cam) != null);

    private void OnMessage(IncomingMessage m)
    {
        if (m.Topic == Topics.HaStatus)
        {
            if (Encoding.UTF8.GetString(m.Payload.Span).Trim() == "online") _ = RepublishAfterBirthAsync();
            return;
        }
        if (Nodes.Apply(m.Topic, m.Payload.Span, out var changed, m.Retain))
        {
            if (changed) Reconcile();
            if (Topics.TryParseNodeCameras(m.Topic, out var node) && node == Topics.NodeId && Nodes.Find(node)?.Announcement is { } own)
                RemoveCameras(own.Cameras.Select(c => c.Slug));
            return;
        }
        _commands!.TryHandle(m);
        _triggers!.TryHandle(m);
    }

    private void RemoveCameras(IEnumerable<string> previous)
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
        if (!e.Active || _answering.Find(e.Camera) == null) return;
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
        if (_answering.Find(e.Camera) == null) return;
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

    /// <summary>warning / warning_cleared on the camera's event topic (the problem sensors follow P/&lt;cam&gt;/warnings).</summary>
    private void OnWarning(Warnings.CameraWarningChanged e)
    {
        if (_answering.Find(e.Camera) == null) return;
        var w = e.Warning;
        var evt = new JsonObject
        {
            ["event_type"] = w.Active ? "warning" : "warning_cleared",
            ["camera"] = e.Camera,
            ["warning"] = w.Kind,
            ["at"] = Utc(e.At),
            ["message"] = w.Message,
        };
        if (w.Since is { } since) evt["since"] = Utc(since);
        _results!.PublishEvent(e.Camera, evt);
    }

    /// <summary>P/&lt;cam&gt;/uploaded (not retained, through the outbox): which file went where, and its remote URL.</summary>
    private void OnUploaded(Media.Upload.FileUploaded e)
    {
        _states?.NodeState(); // uploads_pending went down
        if (_answering.Find(e.Camera) == null) return;
        var o = new JsonObject
        {
            ["camera"] = e.Camera, ["file"] = e.RelativePath, ["target"] = e.Target, ["key"] = e.Key, ["media"] = e.Media,
            ["remote_url"] = e.RemoteUrl,
        };
        Outbox.Enqueue(Topics.Uploaded(e.Camera), System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(o));
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
