using System.Collections.Concurrent;
using System.Diagnostics.Tracing;

namespace Lookback.Bench;

/// <summary>
/// Tallies the runtime's GC AllocationTick events (one per ~100 KB allocated) by heap (small / large / pinned), type
/// and object size: what keeps allocating on the large object heap, whose garbage the GC leaves committed (RSS).
/// </summary>
internal sealed class LargeAllocations : EventListener
{
    private readonly ConcurrentDictionary<(string Heap, string Type, long Size), long> _ticks = new();
    private volatile bool _on;

    public void Start() => _on = true;
    public void Stop() => _on = false;

    protected override void OnEventSourceCreated(EventSource source)
    {
        if (source.Name == "Microsoft-Windows-DotNETRuntime") EnableEvents(source, EventLevel.Verbose, (EventKeywords)0x1); // GC
    }

    protected override void OnEventWritten(EventWrittenEventArgs e)
    {
        if (!_on || e.EventName is null || !e.EventName.StartsWith("GCAllocationTick", StringComparison.Ordinal) || e.PayloadNames is null) return;
        object? Get(string name) { var i = e.PayloadNames.IndexOf(name); return i >= 0 ? e.Payload![i] : null; }
        var kind = Convert.ToInt32(Get("AllocationKind") ?? 0);
        var type = Get("TypeName") as string ?? "?";
        var size = Convert.ToInt64(Get("ObjectSize") ?? 0L);
        var amount = Convert.ToInt64(Get("AllocationAmount64") ?? Get("AllocationAmount") ?? 0L);
        var heap = kind switch { 1 => "LOH", 2 => "POH", _ => "SOH" };
        _ticks.AddOrUpdate((heap, type, heap == "SOH" ? 0 : size), amount, (_, v) => v + amount);
    }

    /// <summary>Rows "| heap | type | object size | MB allocated |", largest first.</summary>
    public IEnumerable<string> Table(double seconds, int top = 12)
    {
        yield return $"| heap | type | object size (B) | MB allocated per minute (AllocationTick) |";
        yield return "|---|---|---:|---:|";
        foreach (var ((heap, type, size), amount) in _ticks.OrderByDescending(kv => kv.Value).Take(top))
            yield return $"| {heap} | {type} | {(size == 0 ? "-" : size.ToString())} | {amount / 1e6 * 60 / seconds:0.0} |";
    }
}
