using System.Text.Json;

namespace Lookback.Mqtt.Nodes;

/// <summary>The retained <c>P/&lt;cam&gt;/state</c> fields the bus view shows.</summary>
public sealed record BusCameraState(string? Status, double Fps, double BufferedSeconds, int BufferedFrames,
    string? LastFrameAt, string? LastError, bool? MotionEnabled)
{
    /// <summary>Parses a state payload; null when it is not a JSON object (a bad payload never throws).</summary>
    public static BusCameraState? Parse(ReadOnlySpan<byte> payload)
    {
        if (payload.IsEmpty || payload.Length > BusState.MaxStateBytes) return null;
        try
        {
            var r = new Utf8JsonReader(payload);
            using var d = JsonDocument.ParseValue(ref r);
            var o = d.RootElement;
            if (o.ValueKind != JsonValueKind.Object) return null;
            bool? motion = o.TryGetProperty("motion", out var m) && m.ValueKind == JsonValueKind.Object
                && m.TryGetProperty("enabled", out var en) && en.ValueKind is JsonValueKind.True or JsonValueKind.False ? en.GetBoolean() : null;
            return new BusCameraState(Str(o, "status"), Num(o, "fps"), Num(o, "buffered_seconds"), (int)Num(o, "buffered_frames"),
                Str(o, "last_frame_at"), Str(o, "last_error"), motion);
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException) { return null; }
    }

    private static string? Str(JsonElement o, string name) =>
        o.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? Cut(v.GetString()!, 200) : null;

    private static double Num(JsonElement o, string name) =>
        o.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetDouble(out var d) && double.IsFinite(d)
            ? Math.Clamp(d, 0, 1e9) : 0;

    private static string Cut(string s, int max) => s.Length <= max ? s : s[..max];
}

/// <summary>A camera of a node as the bus shows it: its announcement, its node's liveness and its retained state.</summary>
public sealed record BusCameraView(string Node, AnnouncedCamera Camera, string Status, string? Reason, BusCameraState? State,
    DateTimeOffset? SnapshotAt);

/// <summary>
/// What the bus tells about the cameras of every node, kept in bounded memory: each camera's retained availability
/// and state, and the newest retained snapshots of the cameras someone looked at (a small LRU). The nodes themselves
/// (announcements, online/offline, who serves a slug) come from the <see cref="NodeDirectory"/>. Pure: fed with
/// messages, asked for views; no I/O. Thread-safe (the MQTT receive thread writes, HTTP requests read).
/// </summary>
public sealed class BusState(NodeDirectory nodes, TimeProvider? time = null)
{
    /// <summary>Cameras whose state/availability is kept.</summary>
    public const int MaxCameraStates = 4096;
    public const int MaxStateBytes = 8 * 1024;
    /// <summary>Snapshots kept (newest retained JPEG of the cameras looked at most recently).</summary>
    public const int MaxSnapshots = 64;
    public const int MaxSnapshotBytes = 256 * 1024;

    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private readonly object _gate = new();
    private readonly Dictionary<string, CamEntry> _cams = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (byte[] Jpeg, DateTimeOffset At)> _snapshots = new(StringComparer.Ordinal);
    private readonly LinkedList<string> _snapshotOrder = new(); // most recently used last

    private sealed class CamEntry
    {
        public string? Availability;
        public BusCameraState? State;
    }

    public NodeDirectory Nodes => nodes;
    public int CameraStateCount { get { lock (_gate) return _cams.Count; } }
    public int SnapshotCount { get { lock (_gate) return _snapshots.Count; } }
    /// <summary><c>P/&lt;cam&gt;/availability</c>.</summary>
    public void Availability(string cam, string payload)
    {
        var p = payload.Trim();
        lock (_gate)
        {
            if (p.Length == 0) { if (_cams.TryGetValue(cam, out var c0)) c0.Availability = null; return; }
            if (Cam(cam) is { } c) c.Availability = p is "online" or "offline" ? p : c.Availability;
        }
    }

    /// <summary><c>P/&lt;cam&gt;/state</c> (a payload that is not a JSON object is ignored).</summary>
    public void State(string cam, ReadOnlySpan<byte> payload)
    {
        if (payload.IsEmpty) { lock (_gate) if (_cams.TryGetValue(cam, out var c0)) c0.State = null; return; }
        var s = BusCameraState.Parse(payload);
        if (s == null) return;
        lock (_gate) if (Cam(cam) is { } c) c.State = s;
    }

    /// <summary><c>P/&lt;cam&gt;/snapshot</c>: kept when it looks like a JPEG and is small enough; the least recently used beyond <see cref="MaxSnapshots"/> are dropped.</summary>
    public void Snapshot(string cam, ReadOnlySpan<byte> jpeg)
    {
        lock (_gate)
        {
            if (jpeg.Length < 4 || jpeg.Length > MaxSnapshotBytes || jpeg[0] != 0xFF || jpeg[1] != 0xD8)
            {
                if (jpeg.IsEmpty) RemoveSnapshotLocked(cam);
                return;
            }
            _snapshots[cam] = (jpeg.ToArray(), _time.GetUtcNow());
            TouchLocked(cam);
            while (_snapshots.Count > MaxSnapshots && _snapshotOrder.First is { } oldest) RemoveSnapshotLocked(oldest.Value);
        }
    }

    /// <summary>The newest retained snapshot of a camera, or null; marks it recently used.</summary>
    public (byte[] Jpeg, DateTimeOffset At)? GetSnapshot(string cam)
    {
        lock (_gate)
        {
            if (!_snapshots.TryGetValue(cam, out var s)) return null;
            TouchLocked(cam);
            return s;
        }
    }

    /// <summary>Cameras whose snapshot is kept (least recently used first): the lazy subscriber drops the others' subscriptions.</summary>
    public IReadOnlyList<string> SnapshotCameras() { lock (_gate) return [.. _snapshotOrder]; }

    /// <summary>The cameras of one node with their status, or null when the node is unknown.</summary>
    public IReadOnlyList<BusCameraView>? Cameras(string node)
    {
        if (nodes.Find(node) is not { } n) return null;
        return [.. (n.Announcement?.Cameras ?? []).Select(c => View(n, c))];
    }

    /// <summary>One camera of one node, or null when that node does not announce it.</summary>
    public BusCameraView? Camera(string node, string cam) =>
        nodes.Find(node) is { Announcement: { } a } n && a.Find(cam) is { } c ? View(n, c) : null;

    /// <summary>
    /// Status of a node's camera: <c>offline</c> when its node is not online; <c>standby</c> when another node is the
    /// active one for the slug (<see cref="NodeDirectory.ActiveNode"/>); otherwise the retained availability (then the
    /// state's status, then <c>starting</c>).
    /// </summary>
    private BusCameraView View(NodeInfo n, AnnouncedCamera c)
    {
        CamEntry? s;
        DateTimeOffset? snapAt;
        lock (_gate)
        {
            _cams.TryGetValue(c.Slug, out s);
            snapAt = _snapshots.TryGetValue(c.Slug, out var snap) ? snap.At : null;
        }
        if (!n.Online)
            return new BusCameraView(n.NodeId, c, "offline", $"node {n.NodeId} is {(n.Liveness == NodeLiveness.Offline ? "offline" : "not announced online")}", s?.State, snapAt);
        if (nodes.ActiveNode(c.Slug) is { } active && active != n.NodeId)
            return new BusCameraView(n.NodeId, c, "standby", new SlugOwnership(c.Slug, false, active).Reason, null, snapAt);
        return new BusCameraView(n.NodeId, c, s?.Availability ?? s?.State?.Status ?? "starting", null, s?.State, snapAt);
    }

    private CamEntry? Cam(string cam)
    {
        if (_cams.TryGetValue(cam, out var e)) return e;
        if (_cams.Count >= MaxCameraStates) return null;
        return _cams[cam] = new CamEntry();
    }

    private void TouchLocked(string cam)
    {
        _snapshotOrder.Remove(cam);
        _snapshotOrder.AddLast(cam);
    }

    private void RemoveSnapshotLocked(string cam)
    {
        _snapshots.Remove(cam);
        _snapshotOrder.Remove(cam);
    }
}
