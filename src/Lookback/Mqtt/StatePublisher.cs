using System.Text.Json;
using System.Text.Json.Nodes;
using Lookback.Cameras;
using Lookback.Events;
using Lookback.Media.Rendering;
using Microsoft.Extensions.Logging;

namespace Lookback.Mqtt;

/// <summary>
/// Turns camera state into retained MQTT values (via <see cref="RetainedState"/>): availability, motion, snapshot,
/// state JSON (throttled to one per <see cref="StateInterval"/> per camera unless forced), gif/url, node state.
/// </summary>
public sealed class StatePublisher
{
    public const int MaxSnapshotBytes = 256 * 1024;
    private readonly Topics _t;
    private readonly ICameraDirectory _cameras;
    private readonly IRenderService _renders;
    private readonly RetainedState _retained;
    private readonly Func<ReadOnlyMemory<byte>, byte[]>? _fitter;
    private readonly ILogger _log;
    private readonly string _version;
    private readonly Func<DateTimeOffset> _clock;
    private readonly Dictionary<string, DateTimeOffset> _lastState = new();
    private readonly HashSet<string> _snapshotBusy = [];
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, bool> _motion = new(StringComparer.Ordinal);

    public StatePublisher(Topics topics, ICameraDirectory cameras, IRenderService renders, RetainedState retained,
        string version, ILogger logger, Func<ReadOnlyMemory<byte>, byte[]>? snapshotFitter = null, Func<DateTimeOffset>? clock = null)
    {
        _t = topics; _cameras = cameras; _renders = renders; _retained = retained; _version = version; _log = logger;
        _fitter = snapshotFitter; _clock = clock ?? (() => DateTimeOffset.UtcNow);
    }

    public TimeSpan StateInterval { get; init; } = TimeSpan.FromSeconds(5);
    /// <summary>Cameras on standby and why (in the node state as <c>standby</c>); null: none.</summary>
    public Func<IReadOnlyDictionary<string, string>>? Standby { get; init; }
    /// <summary>Upload jobs waiting (in the node state as <c>uploads_pending</c>); null: no upload targets.</summary>
    public Func<int>? UploadsPending { get; init; }

    /// <summary>A camera's configured warnings now (P/&lt;cam&gt;/warnings); null or empty: the camera has none.</summary>
    public Func<string, IReadOnlyList<Warnings.WarningState>>? Warnings { get; init; }

    /// <summary>Subscribes to the bus; dispose the result to stop.</summary>
    public IDisposable Attach(EventBus bus)
    {
        var subs = new List<IDisposable>
        {
            bus.Subscribe<CameraStatusChanged>(e =>
            {
                if (_cameras.Find(e.Camera) == null) return; // on standby
                Availability(e.Camera, e.Status); State(e.Camera, force: true);
            }),
            bus.Subscribe<MotionChanged>(e =>
            {
                _motion[e.Camera] = e.Active; // remembered on standby too: a takeover publishes the current value
                if (_cameras.Find(e.Camera) != null) _retained.Set(_t.Motion(e.Camera), e.Active ? "ON" : "OFF");
            }),
            bus.Subscribe<CameraSettingsChanged>(e => State(e.Camera, force: true)),
            bus.Subscribe<SnapshotDue>(e => SnapshotAsync(e.Camera)),
            bus.Subscribe<RenderCompleted>(e => RenderDone(e.Result)),
            bus.Subscribe<Warnings.CameraWarningChanged>(e => PublishWarnings(e.Camera, e.All)),
        };
        return new Composite(subs);
    }

    /// <summary>Initial values of every camera (called once at start).</summary>
    public void PublishAll()
    {
        foreach (var c in _cameras.All) PublishCamera(c.Slug);
        NodeState();
    }

    /// <summary>Every retained value of one camera: at start, and when this node takes the camera over from another node.</summary>
    public void PublishCamera(string cam)
    {
        if (_cameras.Find(cam) is not { } c) return;
        Availability(cam, c.Status);
        if (_motion.TryGetValue(cam, out var active)) _retained.Set(_t.Motion(cam), active ? "ON" : "OFF");
        else if (_retained.Get(_t.Motion(cam)) == null) _retained.Set(_t.Motion(cam), "OFF");
        State(cam, force: true);
        if (Warnings?.Invoke(cam) is { Count: > 0 } warnings) PublishWarnings(cam, warnings);
        _ = SnapshotAsync(cam);
    }

    /// <summary>P/&lt;cam&gt;/warnings (retained): <c>{"no_frames": {"active": true, "since": …, "message": …}, …}</c>, one key per configured warning.</summary>
    public void PublishWarnings(string cam, IReadOnlyList<Warnings.WarningState> warnings)
    {
        if (_cameras.Find(cam) == null || warnings.Count == 0) return;
        _retained.Set(_t.Warnings(cam), JsonSerializer.SerializeToUtf8Bytes(WarningsJson(warnings)));
    }

    public static JsonObject WarningsJson(IReadOnlyList<Warnings.WarningState> warnings)
    {
        var o = new JsonObject();
        foreach (var w in warnings)
            o[w.Kind] = new JsonObject
            {
                ["active"] = w.Active,
                ["since"] = w.Since?.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'"),
                ["message"] = w.Message,
            };
        return o;
    }

    /// <summary>Periodic refresh: state of every camera (throttled) and the node state.</summary>
    public void Tick()
    {
        foreach (var c in _cameras.All) State(c.Slug, force: false);
        NodeState();
    }

    public void Availability(string cam, CameraStatus status) =>
        _retained.Set(_t.Availability(cam), status == CameraStatus.Online ? "online" : "offline");

    public void NodeState()
    {
        var o = new JsonObject { ["version"] = _version, ["renders_queued"] = _renders.Queued, ["cameras"] = _cameras.All.Count };
        if (UploadsPending is { } pending) o["uploads_pending"] = pending();
        if (Standby?.Invoke() is { } standby)
            o["standby"] = new JsonObject([.. standby.Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)kv.Value))]);
        _retained.Set(_t.NodeState, JsonSerializer.Serialize(o));
    }

    /// <summary>Publishes P/&lt;cam&gt;/state unless one was published less than StateInterval ago (force: always).</summary>
    public void State(string cam, bool force)
    {
        var c = _cameras.Find(cam);
        if (c == null) return;
        var now = _clock();
        lock (_lastState)
        {
            if (!force && _lastState.TryGetValue(cam, out var last) && now - last < StateInterval) return;
            _lastState[cam] = now;
        }
        _retained.Set(_t.State(cam), JsonSerializer.SerializeToUtf8Bytes(StateJson(c)));
    }

    public static JsonObject StateJson(ICamera c)
    {
        var ring = c.Ring;
        var oldest = ring.OldestTime; var newest = ring.NewestTime;
        var err = c.LastError;
        if (err is { Length: > 200 }) err = err[..200];
        return new JsonObject
        {
            ["status"] = c.Status.ToString().ToLowerInvariant(),
            ["fps"] = Math.Round(c.Fps, 2),
            ["buffered_seconds"] = oldest is { } o && newest is { } n ? Math.Round((n - o).TotalSeconds, 1) : 0,
            ["buffered_frames"] = ring.Count,
            ["last_frame_at"] = c.LastFrameAt?.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'"),
            ["last_error"] = err,
            ["last_error_at"] = c.LastErrorAt?.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'"),
            ["motion"] = new JsonObject
            {
                ["enabled"] = c.MotionEnabled,
                ["threshold"] = c.MotionThreshold,
                ["min_area"] = c.Options.Motion.MinArea,
                ["fps"] = c.Options.Motion.Fps,
                ["off_delay"] = c.Options.Motion.OffDelay,
            },
        };
    }

    /// <summary>Newest ring frame → P/&lt;cam&gt;/snapshot, fitted (≤ 640 px wide, ≤ 256 KB) off the bus thread.</summary>
    public Task SnapshotAsync(string cam)
    {
        var c = _cameras.Find(cam);
        if (c == null) return Task.CompletedTask;
        lock (_snapshotBusy) if (!_snapshotBusy.Add(cam)) return Task.CompletedTask; // one at a time per camera
        return Task.Run(() =>
        {
            try
            {
                using var w = c.Ring.Latest();
                if (w == null || w.Count == 0) return;
                var jpeg = w[0].Jpeg;
                byte[] fitted;
                if (_fitter != null) fitted = _fitter(jpeg);
                else if (jpeg.Length <= MaxSnapshotBytes) fitted = jpeg.ToArray();
                else { _log.LogWarning("Snapshot of {Camera} is {Bytes} bytes (> 256 KB) and no fitter is set; skipped", cam, jpeg.Length); return; }
                if (fitted.Length == 0 || fitted.Length > MaxSnapshotBytes)
                {
                    _log.LogWarning("Snapshot of {Camera}: fitted JPEG is {Bytes} bytes; skipped", cam, fitted.Length);
                    return;
                }
                _retained.Set(_t.Snapshot(cam), fitted);
            }
            catch (Exception ex) { _log.LogWarning("Snapshot of {Camera} failed: {Error}", cam, ex.Message); }
            finally { lock (_snapshotBusy) _snapshotBusy.Remove(cam); }
        });
    }

    private void RenderDone(RenderResult r)
    {
        if (!r.Ok || _cameras.Find(r.Camera) == null) return;
        var url = r.Kind switch { ResultKind.Gif => r.Url, ResultKind.Moment => r.GifUrl, _ => null };
        if (!string.IsNullOrEmpty(url) && Uri.TryCreate(url, UriKind.Absolute, out var u) && (u.Scheme == "http" || u.Scheme == "https"))
            _retained.Set(_t.GifUrl(r.Camera), url);
    }

    private sealed class Composite(List<IDisposable> items) : IDisposable
    {
        public void Dispose() { foreach (var i in items) i.Dispose(); }
    }
}
