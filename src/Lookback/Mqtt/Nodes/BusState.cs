using System.Text.Json;

namespace Lookback.Mqtt.Nodes;

/// <summary>One camera as a node announces it on <c>P/nodes/N/cameras</c>.</summary>
public sealed record BusCamera(string Slug, string Name, string Kind, int FailoverPriority, bool Standby);

/// <summary>What a node announces about itself (the retained <c>P/nodes/N/cameras</c>).</summary>
public sealed record BusNodeInfo(string Node, string? Version, string? PublicUrl, string? Started, IReadOnlyList<BusCamera> Cameras);

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

/// <summary>A node as the bus shows it.</summary>
public sealed record BusNodeView(string Node, bool Online, bool Self, string? Version, string? PublicUrl, string? Started,
    DateTimeOffset? LastSeen, IReadOnlyList<BusCamera> Cameras);

/// <summary>A camera of a node as the bus shows it: its announcement, its node's liveness and its retained state.</summary>
public sealed record BusCameraView(string Node, BusCamera Camera, string Status, string? Reason, BusCameraState? State,
    DateTimeOffset? SnapshotAt);

/// <summary>
/// Everything the bus tells about the other nodes, kept in bounded memory: which nodes exist (their retained
/// announcement and online/offline), each camera's retained availability and state, and the newest retained
/// snapshots of the cameras someone looked at (a small LRU). Pure: fed with messages, asked for views; no I/O.
/// Thread-safe (the MQTT receive thread writes, HTTP requests read).
/// </summary>
public sealed class BusState(string selfNode, TimeProvider? time = null)
{
    /// <summary>Nodes remembered; announcements of further nodes are ignored (junk topics cannot grow the table).</summary>
    public const int MaxNodes = 256;
    /// <summary>Cameras read from one announcement.</summary>
    public const int MaxCamerasPerNode = 256;
    /// <summary>Cameras whose state/availability is kept.</summary>
    public const int MaxCameraStates = 4096;
    public const int MaxStateBytes = 8 * 1024;
    /// <summary>Snapshots kept (newest retained JPEG of the cameras looked at most recently).</summary>
    public const int MaxSnapshots = 64;
    public const int MaxSnapshotBytes = 256 * 1024;

    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private readonly object _gate = new();
    private readonly Dictionary<string, NodeEntry> _nodes = new(StringComparer.Ordinal);
    private readonly Dictionary<string, CamEntry> _cams = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (byte[] Jpeg, DateTimeOffset At)> _snapshots = new(StringComparer.Ordinal);
    private readonly LinkedList<string> _snapshotOrder = new(); // most recently used last

    private sealed class NodeEntry
    {
        public bool? Online;
        public BusNodeInfo? Info;
        public DateTimeOffset? LastSeen;
    }

    private sealed class CamEntry
    {
        public string? Availability;
        public BusCameraState? State;
    }

    public string SelfNode => selfNode;
    public int NodeCount { get { lock (_gate) return _nodes.Count; } }
    public int CameraStateCount { get { lock (_gate) return _cams.Count; } }
    public int SnapshotCount { get { lock (_gate) return _snapshots.Count; } }

    /// <summary><c>P/nodes/N</c>: <c>online</c> / <c>offline</c>; an empty (cleared) payload with no announcement forgets the node.</summary>
    public void NodeStatus(string node, string payload)
    {
        var p = payload.Trim();
        lock (_gate)
        {
            if (p.Length == 0)
            {
                if (_nodes.TryGetValue(node, out var n)) { n.Online = null; if (n.Info == null) _nodes.Remove(node); }
                return;
            }
            if (Node(node) is not { } e) return;
            e.Online = p == "online" ? true : p == "offline" ? false : e.Online;
            e.LastSeen = _time.GetUtcNow();
        }
    }

    /// <summary><c>P/nodes/N/cameras</c>: the node's announcement (null: cleared; the node is forgotten once it is also offline).</summary>
    public void Announcement(string node, BusNodeInfo? info)
    {
        lock (_gate)
        {
            if (info == null)
            {
                if (_nodes.TryGetValue(node, out var n)) { n.Info = null; if (n.Online != true) _nodes.Remove(node); }
                return;
            }
            if (Node(node) is not { } e) return;
            e.Info = info with { Node = node, Cameras = [.. info.Cameras.Take(MaxCamerasPerNode)] };
            e.LastSeen = _time.GetUtcNow();
        }
    }

    /// <summary>Any other sign of life of a node (its <c>P/nodes/N/state</c>).</summary>
    public void Seen(string node)
    {
        lock (_gate) if (_nodes.TryGetValue(node, out var e)) e.LastSeen = _time.GetUtcNow();
    }

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

    /// <summary>Every known node, this one included, sorted by id.</summary>
    public IReadOnlyList<BusNodeView> Nodes()
    {
        lock (_gate)
            return [.. _nodes.OrderBy(n => n.Key, StringComparer.Ordinal).Select(n => new BusNodeView(n.Key, n.Value.Online == true,
                n.Key == selfNode, n.Value.Info?.Version, n.Value.Info?.PublicUrl, n.Value.Info?.Started, n.Value.LastSeen,
                n.Value.Info?.Cameras ?? []))];
    }

    public BusNodeView? FindNode(string node) => Nodes().FirstOrDefault(n => n.Node == node);

    /// <summary>The cameras of one node with their status, or null when the node is unknown.</summary>
    public IReadOnlyList<BusCameraView>? Cameras(string node)
    {
        lock (_gate)
        {
            if (!_nodes.TryGetValue(node, out var n)) return null;
            return [.. (n.Info?.Cameras ?? []).Select(c => ViewLocked(node, n, c))];
        }
    }

    /// <summary>One camera of one node, or null when that node does not announce it.</summary>
    public BusCameraView? Camera(string node, string cam)
    {
        lock (_gate)
        {
            if (!_nodes.TryGetValue(node, out var n) || n.Info?.Cameras.FirstOrDefault(c => c.Slug == cam) is not { } c) return null;
            return ViewLocked(node, n, c);
        }
    }

    /// <summary>
    /// Status of a node's camera: <c>offline</c> when its node is offline; <c>standby</c> when the node announces it as a
    /// spare and another online node serves the slug; otherwise the retained availability (then the state's status).
    /// </summary>
    private BusCameraView ViewLocked(string node, NodeEntry n, BusCamera c)
    {
        _cams.TryGetValue(c.Slug, out var s);
        _snapshots.TryGetValue(c.Slug, out var snap);
        DateTimeOffset? snapAt = snap.Jpeg is null ? null : snap.At;
        if (n.Online != true)
            return new BusCameraView(node, c, "offline", $"node {node} is {(n.Online == false ? "offline" : "not announced online")}", s?.State, snapAt);
        if (c.Standby && ActiveElsewhereLocked(node, c.Slug) is { } other)
            return new BusCameraView(node, c, "standby", $"standby: node {other} serves '{c.Slug}'", null, snapAt);
        var status = s?.Availability ?? s?.State?.Status ?? "starting";
        return new BusCameraView(node, c, status, null, s?.State, snapAt);
    }

    private string? ActiveElsewhereLocked(string node, string slug) => _nodes
        .Where(o => o.Key != node && o.Value.Online == true && o.Value.Info?.Cameras.Any(c => c.Slug == slug && !c.Standby) == true)
        .Select(o => o.Key).OrderBy(k => k, StringComparer.Ordinal).FirstOrDefault();

    private NodeEntry? Node(string node)
    {
        if (_nodes.TryGetValue(node, out var e)) return e;
        if (_nodes.Count >= MaxNodes) return null;
        return _nodes[node] = new NodeEntry();
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
