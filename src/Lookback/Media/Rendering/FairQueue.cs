namespace Lookback.Media.Rendering;

/// <summary>
/// A queue of lanes served round robin: each key (camera + origin) has its own FIFO lane bounded by
/// <c>laneCapacity</c>, and readers take one item from each non-empty lane in turn. A flood on one lane fills only
/// that lane (further writes are refused: "busy") and every other lane still gets the next free reader.
/// Lanes are removed when empty, so keys leave no trace. Thread-safe; readers wait asynchronously.
/// </summary>
public sealed class FairQueue<TKey, T>(int laneCapacity) where TKey : notnull
{
    private readonly object _gate = new();
    private readonly Dictionary<TKey, Queue<T>> _lanes = [];
    private readonly LinkedList<TKey> _turns = new(); // non-empty lanes, next to serve first
    private readonly SemaphoreSlim _items = new(0);
    private readonly CancellationTokenSource _completed = new();
    private int _count;

    public int LaneCapacity { get; } = Math.Max(1, laneCapacity);
    public int Count => Volatile.Read(ref _count);
    public bool IsCompleted => _completed.IsCancellationRequested;

    /// <summary>Items waiting in the lane of <paramref name="key"/>.</summary>
    public int CountOf(TKey key) { lock (_gate) return _lanes.TryGetValue(key, out var q) ? q.Count : 0; }

    /// <summary>Lanes holding items now.</summary>
    public int Lanes { get { lock (_gate) return _lanes.Count; } }

    /// <summary>Adds to the lane of <paramref name="key"/>; false when that lane is full (unless <paramref name="overCapacity"/>) or the queue is completed.</summary>
    public bool TryWrite(TKey key, T item, bool overCapacity = false)
    {
        lock (_gate)
        {
            if (_completed.IsCancellationRequested) return false;
            if (!_lanes.TryGetValue(key, out var lane))
            {
                lane = new Queue<T>();
                _lanes[key] = lane;
                _turns.AddLast(key);
            }
            else if (!overCapacity && lane.Count >= LaneCapacity) return false;
            lane.Enqueue(item);
            _count++;
        }
        _items.Release();
        return true;
    }

    /// <summary>Takes the next item round robin; false once the queue is completed and empty.</summary>
    public async ValueTask<(bool Ok, T Item)> ReadAsync()
    {
        while (true)
        {
            if (TryTake(out var item)) return (true, item);
            try { await _items.WaitAsync(_completed.Token).ConfigureAwait(false); }
            catch (OperationCanceledException) { if (TryTake(out item)) return (true, item); return (false, default!); }
            if (TryTake(out item)) return (true, item);
        }
    }

    private bool TryTake(out T item)
    {
        lock (_gate)
        {
            item = default!;
            if (_turns.First is not { } first) return false;
            var key = first.Value;
            var lane = _lanes[key];
            item = lane.Dequeue();
            _count--;
            _turns.RemoveFirst();
            if (lane.Count > 0) _turns.AddLast(key);
            else _lanes.Remove(key);
            return true;
        }
    }

    /// <summary>Refuses further writes; readers drain what is queued, then <see cref="ReadAsync"/> answers false.</summary>
    public void Complete()
    {
        lock (_gate) { if (!_completed.IsCancellationRequested) _completed.Cancel(); }
    }
}
