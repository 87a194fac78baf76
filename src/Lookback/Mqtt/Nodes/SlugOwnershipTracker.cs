namespace Lookback.Mqtt.Nodes;

/// <summary>
/// This node's configured slugs and, for each, whether it serves it now (<see cref="NodeDirectory.Ownership"/>).
/// <see cref="Evaluate"/> after every directory change returns what changed, so each change is logged once.
/// Before anything is known every slug is served (a node alone on the bus answers at once).
/// </summary>
public sealed class SlugOwnershipTracker
{
    private readonly NodeDirectory _nodes;
    private readonly object _gate = new();
    private readonly Dictionary<string, SlugOwnership> _current = new(StringComparer.Ordinal);

    public SlugOwnershipTracker(NodeDirectory nodes, IEnumerable<string> slugs)
    {
        _nodes = nodes;
        foreach (var s in slugs) _current[s] = new SlugOwnership(s, true, nodes.Self);
    }

    /// <summary>False for a slug on standby and for a slug this node does not have.</summary>
    public bool Serves(string slug) { lock (_gate) return _current.TryGetValue(slug, out var o) && o.Serves; }

    public SlugOwnership? Get(string slug) { lock (_gate) return _current.GetValueOrDefault(slug); }

    /// <summary>A change: <paramref name="Now"/> is the new ownership, <paramref name="Before"/> the previous one.</summary>
    public sealed record Change(SlugOwnership Before, SlugOwnership Now);

    /// <summary>Recomputes every slug; returns those whose serving node changed.</summary>
    public IReadOnlyList<Change> Evaluate()
    {
        lock (_gate)
        {
            var changes = new List<Change>();
            foreach (var slug in _current.Keys.ToList())
            {
                var before = _current[slug];
                var now = _nodes.Ownership(slug);
                if (now == before) continue;
                _current[slug] = now;
                changes.Add(new Change(before, now));
            }
            return changes;
        }
    }
}
