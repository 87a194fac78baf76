using System.Text.Json;
using System.Text.Json.Nodes;
using Lookback.Cameras;
using Lookback.Events;
using Lookback.Media.Rendering;
using Microsoft.Extensions.Logging;

namespace Lookback.Mqtt;

/// <summary>Publishes results and events through the outbox (QoS 1, not retained).</summary>
public sealed class ResultPublisher(Topics topics, Outbox outbox)
{
    /// <summary>Result on P/&lt;cam&gt;/result, and on the MQTT 5 response topic (same correlation data) when given.</summary>
    public void PublishResult(RenderResult result, string? responseTopic = null, byte[]? correlationData = null)
    {
        var json = MqttJson.Result(result with { Node = topics.NodeId });
        outbox.Enqueue(topics.Result(result.Camera), json);
        if (responseTopic != null && Topics.IsValidPublishTopic(responseTopic))
            outbox.Enqueue(responseTopic, json, correlationData: correlationData);
    }

    /// <summary>An event on P/&lt;cam&gt;/event (not retained).</summary>
    public void PublishEvent(string camera, JsonObject evt)
    {
        evt["node"] = topics.NodeId;
        outbox.Enqueue(topics.Event(camera), JsonSerializer.SerializeToUtf8Bytes(evt));
    }

    /// <summary>snapshot_ready / gif_ready / moment_ready for an ok render; nothing otherwise.</summary>
    public void PublishReady(RenderResult r)
    {
        if (!r.Ok) return;
        var type = r.Kind switch { ResultKind.Snapshot => "snapshot_ready", ResultKind.Moment or ResultKind.Mp4 => "moment_ready", _ => "gif_ready" };
        PublishEvent(r.Camera, ReadyEvent(type, r));
    }

    public static JsonObject ReadyEvent(string type, RenderResult r)
    {
        var o = new JsonObject { ["event_type"] = type, ["camera"] = r.Camera, ["kind"] = r.Kind.Name() };
        if (r.RequestId != null) o["request_id"] = r.RequestId;
        if (r.Url != null) o["url"] = r.Url;
        if (r.Media != null) o["media"] = r.Media;
        if (r.GifUrl != null) o["gif_url"] = r.GifUrl;
        if (r.GifMedia != null) o["gif_media"] = r.GifMedia;
        if (r.Mp4Media != null) o["mp4_media"] = r.Mp4Media;
        if (r.SnapshotMedia != null) o["snapshot_media"] = r.SnapshotMedia;
        if (r.Bytes != null) o["bytes"] = r.Bytes;
        if (r.Width != null) o["width"] = r.Width;
        if (r.Height != null) o["height"] = r.Height;
        if (r.Frames != null) o["frames"] = r.Frames;
        return o;
    }
}

/// <summary>
/// Routes P/&lt;cam&gt;/{snapshot,gif,moment,motion,motion_threshold}/set to renders and camera settings.
/// The MQTT receive handler only parses and hands work to a task; concurrency is bounded (answer "busy" beyond).
/// </summary>
public sealed class CommandRouter
{
    private readonly Topics _t;
    private readonly ICameraDirectory _cameras;
    private readonly IRenderService _renders;
    private readonly ResultPublisher _out;
    private readonly EventBus _bus;
    private readonly ILogger _log;
    private readonly Func<string, bool> _ownedElsewhere;
    private readonly SemaphoreSlim _slots;
    private int _inFlight;
    private TaskCompletionSource _idle = Completed();

    public CommandRouter(Topics topics, ICameraDirectory cameras, IRenderService renders, ResultPublisher results,
        EventBus bus, ILogger logger, Func<string, bool>? ownedByAnotherNode = null, int maxConcurrent = 32)
    {
        _t = topics; _cameras = cameras; _renders = renders; _out = results; _bus = bus; _log = logger;
        _ownedElsewhere = ownedByAnotherNode ?? (_ => false);
        _slots = new SemaphoreSlim(maxConcurrent, maxConcurrent);
    }

    public IReadOnlyList<string> Subscriptions =>
        [.. Topics.CommandActions.Select(a => $"{_t.Prefix}/+/{a}/set")];

    /// <summary>Commands handled so far (including errors).</summary>
    public long Handled => Interlocked.Read(ref _handled);
    private long _handled;

    /// <summary>Accepted render commands are journaled here until answered (null: no journal).</summary>
    public CommandJournal? Journal { get; init; }
    /// <summary>Warnings about bad commands: at most 20 a minute, then one "suppressed" line.</summary>
    public LogThrottle LogLimit { get; init; } = new();

    /// <summary>
    /// Handles a message when it is a command topic (returns at once; renders run on tasks). Every command gets a
    /// result, whatever its payload: nothing it carries can throw out of here.
    /// </summary>
    public bool TryHandle(IncomingMessage m)
    {
        if (!_t.TryParseCommand(m.Topic, out var cam, out var action)) return false;
        try { Handle(m, cam, action); }
        catch (Exception ex)
        {
            _log.LogError(ex, "MQTT command {Topic} failed", LogText.Topic(m.Topic));
            Reply(ParsedError(cam, action, "internal error: " + ex.Message, null), m);
        }
        return true;
    }

    private void Handle(IncomingMessage m, string cam, string action)
    {
        var camera = _cameras.Find(cam);
        if (camera == null)
        {
            // another node's camera, or ours on standby (the active node answers): no "unknown camera" from here
            if (_ownedElsewhere(cam)) { _log.LogDebug("Command for camera {Camera} of another node ignored", LogText.Topic(cam)); return; }
            Warn(m.Topic, "unknown camera");
            Reply(ParsedError(cam, action, $"unknown camera '{cam}'", null), m);
            return;
        }
        if (m.Retain && action is "snapshot" or "gif" or "moment")
        {
            Warn(m.Topic, "was retained; ignored (publish commands without retain)");
            return;
        }
        var cmd = CommandParser.Parse(cam, action, m.Payload.Span);
        if (!cmd.Ok)
        {
            Warn(m.Topic, cmd.Error!);
            Reply(ParsedError(cam, action, cmd.Error!, cmd.RequestId), m);
            return;
        }
        if (cmd.MotionEnabled is { } on)
        {
            camera.MotionEnabled = on;
            SettingsChanged(cam, action, m);
            return;
        }
        if (cmd.MotionThreshold is { } th)
        {
            camera.MotionThreshold = th;
            SettingsChanged(cam, action, m);
            return;
        }
        var req = cmd.Render! with { Reply = new ResultReply(m.ResponseTopic, m.CorrelationData) };
        if (!_slots.Wait(0))
        {
            Reply(RenderResult.Busy(req, 1), m);
            return;
        }
        Enter();
        var journalId = Journal?.Accept(new JournalEntry(cam, ResultKinds.Of(req.Kind).Name(), req.RequestId, m.ResponseTopic, m.CorrelationData));
        _ = Task.Run(async () =>
        {
            try { await ExecuteAsync(req, m).ConfigureAwait(false); }
            finally { if (journalId is { } id) Journal!.Done(id); _slots.Release(); Leave(); }
        });
    }

    /// <summary>A warning about a bad command, rate-limited; the topic is cut when long.</summary>
    private void Warn(string topic, string error)
    {
        if (!LogLimit.TryEnter(out var suppressed)) return;
        if (suppressed > 0) _log.LogWarning("MQTT: {Count} more lines about bad commands suppressed", suppressed);
        _log.LogWarning("MQTT command {Topic}: {Error}", LogText.Topic(topic), error);
    }

    /// <summary>Logs the count of suppressed warnings once their minute is over (called by the bridge's tick).</summary>
    public void FlushSuppressedWarnings()
    {
        var n = LogLimit.TakeSuppressed();
        if (n > 0) _log.LogWarning("MQTT: {Count} more lines about bad commands suppressed", n);
    }

    /// <summary>Completes when no command is running.</summary>
    public Task WhenIdleAsync() { lock (_slots) return _idle.Task; }

    /// <summary>Submits the render; its result and *_ready event leave through <see cref="RenderAnnouncer"/> (the request
    /// carries the reply address). Only a render service that fails to answer at all is answered from here.</summary>
    private async Task ExecuteAsync(RenderRequest req, IncomingMessage m)
    {
        try { await _renders.SubmitAsync(req, CancellationToken.None).ConfigureAwait(false); }
        catch (Exception ex)
        {
            _log.LogError(ex, "Render {Kind} for {Camera} failed", req.Kind, req.Camera);
            Reply(RenderResult.Failed(req, "render failed: " + ex.Message), m);
            return;
        }
        Interlocked.Increment(ref _handled);
    }

    private void SettingsChanged(string cam, string action, IncomingMessage m)
    {
        _log.LogInformation("Camera {Camera}: {Setting} changed over MQTT", cam, action);
        _bus.Publish(new CameraSettingsChanged(cam));
        Reply(new RenderResult { Camera = cam, Kind = ResultKinds.Parse(action)!.Value, Status = RenderStatus.Ok }, m);
    }

    private static RenderResult ParsedError(string cam, string action, string error, string? rid) =>
        new() { Camera = cam, Kind = ResultKinds.Parse(action) ?? ResultKind.Snapshot, Status = RenderStatus.Error, Error = error, RequestId = rid };

    private void Reply(RenderResult r, IncomingMessage m)
    {
        Interlocked.Increment(ref _handled);
        try { _out.PublishResult(r, m.ResponseTopic, m.CorrelationData); }
        catch (Exception ex) { _log.LogError(ex, "Cannot queue the result for {Camera}", r.Camera); }
    }

    private void Enter() { lock (_slots) { if (_inFlight++ == 0) _idle = new(TaskCreationOptions.RunContinuationsAsynchronously); } }
    private void Leave() { lock (_slots) { if (--_inFlight == 0) _idle.TrySetResult(); } }
    private static TaskCompletionSource Completed() { var t = new TaskCompletionSource(); t.SetResult(); return t; }
}
