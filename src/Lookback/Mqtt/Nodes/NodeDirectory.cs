using System.Text;

namespace Lookback.Mqtt.Nodes;

public enum NodeLiveness { Unknown, Online, Offline }

/// <summary>What the directory knows of one node.</summary>
/// <param name="Announcement">Its retained <c>P/nodes/N/cameras</c>, null when none was seen.</param>
/// <param name="LastSeen">When the last message about the node arrived.</param>
/// <param name="Current">The announcement belongs to the node's current session: it arrived after the node came online
/// (or both were read together from the broker's retained values). A node that comes back online is not a candidate
/// until it has announced again, so nobody takes it for active while it is still starting.</param>
public sealed record NodeInfo(string NodeId, NodeLiveness Liveness, NodeAnnouncement? Announcement, DateTimeOffset LastSeen, bool Current = false)
{
    public bool Online => Liveness == NodeLiveness.Online;
}

/// <summary>Whether this node answers for one of its slugs, and why not.</summary>
/// <param name="ActiveNode">The node that serves the slug (this node's id when it serves it; null when nobody is known to).</param>
public sealed record SlugOwnership(string Slug, bool Serves, string? ActiveNode)
{
    /// <summary>"standby: node_a serves entrance"; null when this node serves the slug.</summary>
    public string? Reason => Serves ? null : $"standby: {ActiveNode} serves {Slug}";
}

/// <summary>
/// Every node on the bus, fed with the (topic, payload) of <c>P/nodes/+</c> (online/offline, last will) and
/// <c>P/nodes/+/cameras</c> (announcements). Pure state, thread-safe.
/// <para>
/// The active node of a slug: among ONLINE nodes that announce it, non-standby before standby, then the lowest
/// <c>failover_priority</c>, then the ordinal-lowest node id. A node that comes (back) online counts once its new
/// announcement arrived; this node's own counts once it came back from the broker with this run's nonce (a
/// previous run's retained announcement does not). So a returning node becomes active at the same point of the
/// broker's message order at which the others see it arrive: every node computes the same answer from the same
/// ordered stream, and a command is answered by the node that is active at its place in that order.
/// </para>
/// </summary>
public sealed class NodeDirectory
{
    public const int DefaultMaxNodes = 256;
    private readonly string _nodesHead;
    private readonly Func<DateTimeOffset> _clock;
    private readonly int _maxNodes;
    private readonly object _gate = new();
    private readonly Dictionary<string, NodeInfo> _nodes = new(StringComparer.Ordinal);
    private long _version;

    public NodeDirectory(string topicPrefix, string self, string selfNonce, Func<DateTimeOffset>? clock = null, int maxNodes = DefaultMaxNodes)
    {
        _nodesHead = topicPrefix + "/nodes/";
        Self = self; SelfNonce = selfNonce;
        _clock = clock ?? (() => DateTimeOffset.UtcNow);
        _maxNodes = maxNodes;
    }

    /// <summary>This node's id and this run's nonce.</summary>
    public string Self { get; }
    public string SelfNonce { get; }
    /// <summary>Incremented on every change (cheap "did anything change" checks).</summary>
    public long Version => Interlocked.Read(ref _version);

    /// <summary>Every known node, ordered by id.</summary>
    public IReadOnlyList<NodeInfo> Nodes
    {
        get { lock (_gate) return [.. _nodes.Values.OrderBy(n => n.NodeId, StringComparer.Ordinal)]; }
    }

    public NodeInfo? Find(string node) { lock (_gate) return _nodes.GetValueOrDefault(node); }

    /// <summary>True once this run's own announcement came back and this node is online in the directory.</summary>
    public bool SelfSynced
    {
        get { lock (_gate) return _nodes.TryGetValue(Self, out var n) && IsCandidate(n); }
    }

    /// <summary>
    /// Feeds one message. Returns true when <paramref name="topic"/> is <c>P/nodes/N</c> or <c>P/nodes/N/cameras</c>
    /// (whether or not it changed anything); <paramref name="changed"/> says whether the directory changed.
    /// <paramref name="retained"/>: the message came with the retain flag, i.e. it was read from the broker's retained
    /// values on subscribing (live messages come without it).
    /// </summary>
    public bool Apply(string topic, ReadOnlySpan<byte> payload, out bool changed, bool retained = false)
    {
        changed = false;
        if (!topic.StartsWith(_nodesHead, StringComparison.Ordinal)) return false;
        var rest = topic.AsSpan(_nodesHead.Length);
        var slash = rest.IndexOf('/');
        string node;
        if (slash < 0) node = rest.ToString();
        else if (rest[(slash + 1)..].SequenceEqual("cameras")) node = rest[..slash].ToString();
        else return false;
        if (!Discovery.IsSlug(node)) return false;
        if (slash < 0)
        {
            var text = payload.Length <= 16 ? Encoding.UTF8.GetString(payload).Trim() : "";
            NodeLiveness? l = text switch { "online" => NodeLiveness.Online, "offline" => NodeLiveness.Offline, "" when payload.IsEmpty => NodeLiveness.Unknown, _ => null };
            // Coming online starts a new session: its announcement is current once it announces again. Values read
            // together from the retained store describe one state (this node's own always announces after connecting).
            if (l is { } liveness)
                changed = Update(node, n => n with
                {
                    Liveness = liveness,
                    Current = liveness == NodeLiveness.Online && n.Liveness != NodeLiveness.Online ? retained && node != Self : n.Current,
                });
        }
        else
        {
            var a = NodeAnnouncement.Parse(node, payload);
            if (a != null || payload.IsEmpty) changed = Update(node, n => n with { Announcement = a, Current = a != null });
        }
        return true;
    }

    /// <summary>This node lost its connection (the broker publishes its last will): it is offline until its "online" comes back.</summary>
    public bool MarkSelfOffline() => Update(Self, n => n with { Liveness = NodeLiveness.Offline });

    private bool Update(string node, Func<NodeInfo, NodeInfo> change)
    {
        lock (_gate)
        {
            var now = _clock();
            if (!_nodes.TryGetValue(node, out var old))
            {
                if (_nodes.Count >= _maxNodes) return false;
                old = new NodeInfo(node, NodeLiveness.Unknown, null, now);
            }
            var next = change(old) with { LastSeen = now };
            if (next.Liveness == NodeLiveness.Unknown && next.Announcement == null) _nodes.Remove(node);
            else _nodes[node] = next;
            var changed = next.Liveness != old.Liveness || next.Current != old.Current
                          || !ReferenceEquals(next.Announcement, old.Announcement) && !SameAnnouncement(next.Announcement, old.Announcement);
            if (changed) Interlocked.Increment(ref _version);
            return changed;
        }
    }

    private static bool SameAnnouncement(NodeAnnouncement? a, NodeAnnouncement? b) =>
        a == null ? b == null : b != null && a with { Cameras = [] } == b with { Cameras = [] } && a.Cameras.SequenceEqual(b.Cameras);

    private bool IsCandidate(NodeInfo n) =>
        n.Online && n.Current && n.Announcement != null && (n.NodeId != Self || n.Announcement.Nonce == SelfNonce);

    /// <summary>The node that serves <paramref name="slug"/>: deterministic from the online nodes' announcements; null when none announces it.</summary>
    public string? ActiveNode(string slug)
    {
        lock (_gate)
        {
            string? best = null; AnnouncedCamera? bestCam = null;
            foreach (var n in _nodes.Values)
            {
                if (!IsCandidate(n) || n.Announcement!.Find(slug) is not { } c) continue;
                if (best == null || Better(c, n.NodeId, bestCam!, best)) { best = n.NodeId; bestCam = c; }
            }
            return best;
        }
    }

    private static bool Better(AnnouncedCamera c, string node, AnnouncedCamera than, string thanNode)
    {
        if (c.Standby != than.Standby) return !c.Standby;
        if (c.FailoverPriority != than.FailoverPriority) return c.FailoverPriority < than.FailoverPriority;
        return string.CompareOrdinal(node, thanNode) < 0;
    }

    /// <summary>
    /// Whether this node answers for its configured <paramref name="slug"/>: when it is the active node, or when no
    /// node is known to serve the slug (before this node's own announcement came back, a node alone on the bus answers at once).
    /// </summary>
    public SlugOwnership Ownership(string slug)
    {
        var active = ActiveNode(slug);
        return active == null || active == Self ? new SlugOwnership(slug, true, Self) : new SlugOwnership(slug, false, active);
    }

    /// <summary>
    /// Another running process uses this node id: <c>P/nodes/Self</c> is online with an announcement whose nonce is not
    /// this run's. Meaningful before this run published anything (a previous run's retained announcement after a crash
    /// comes with <c>offline</c>, its last will, and is no clash). Null when there is no clash.
    /// </summary>
    public NodeAnnouncement? Clash()
    {
        lock (_gate)
            return _nodes.TryGetValue(Self, out var n) && n.Online && n.Announcement is { } a && a.Nonce != SelfNonce ? a : null;
    }
}
