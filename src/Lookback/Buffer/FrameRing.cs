namespace Lookback.Buffer;

/// <summary>Bounds of one camera's ring. A frame is evicted as soon as any bound is exceeded.</summary>
public readonly record struct RingLimits(int MaxFrames, TimeSpan? MaxAge, long MaxBytes);

/// <summary>
/// Per-camera ring of encoded frames with capture time. One writer (the camera's source), any number of
/// concurrent readers. Bounded by frames, age (relative to the newest frame) and bytes; the newest frame is
/// always kept. Frame buffers come from a <see cref="FramePool"/> (page mappings for large frames on Linux, managed
/// arrays otherwise) and go back to it when the ring has evicted a frame and no <see cref="FrameWindow"/> holds it.
/// The lock is held only for slot bookkeeping: the JPEG copy happens before it and buffers are returned after it.
/// </summary>
public sealed class FrameRing : IDisposable
{
    private readonly object _gate = new();
    private readonly FramePool _pool;
    // Circular slots; capacity is a power of two. Logical index i (0 = oldest) is at (_head + i) & (cap - 1).
    private Frame[] _slots;
    private long[] _ticks;          // UtcTicks of each slot's frame, ascending: binary search without touching Frames
    private int _head, _count;
    private long _bytes;
    private long _sequence;
    private bool _disposed;
    private readonly NewerSignal _newer = new();

    public FrameRing(RingLimits limits, FramePool? pool = null)
    {
        Limits = limits;
        _pool = pool ?? FramePool.Shared;
        var cap = (int)Math.Min(64, System.Numerics.BitOperations.RoundUpToPowerOf2((uint)Math.Max(2, limits.MaxFrames)));
        _slots = new Frame[cap];
        _ticks = new long[cap];
    }

    public RingLimits Limits { get; }

    /// <summary>Copies <paramref name="jpeg"/> and appends it; evicts by the limits. A time older than the newest
    /// frame's is clamped to newest + 1 tick so that times stay ordered. Ignored after <see cref="Dispose"/>.</summary>
    public unsafe void Append(ReadOnlySpan<byte> jpeg, DateTimeOffset time, int width = 0, int height = 0)
    {
        var mapping = _pool.RentNative(jpeg.Length);
        byte[]? buffer = null;
        if (mapping is not null) jpeg.CopyTo(new Span<byte>((void*)mapping.Pointer, jpeg.Length));
        else
        {
            buffer = _pool.Rent(jpeg.Length);
            jpeg.CopyTo(buffer);
        }
        Frame? evicted1 = null;
        List<Frame>? evicted = null;
        TaskCompletionSource? signal = null;
        Frame? rejected = null;
        lock (_gate)
        {
            var frame = mapping is not null
                ? new Frame(mapping, jpeg.Length, _pool, _sequence + 1, Clamp(time), width, height)
                : new Frame(buffer!, jpeg.Length, _pool, _sequence + 1, Clamp(time), width, height);
            if (_disposed) rejected = frame;
            else
            {
                _sequence++;
                if (_count == _slots.Length) Grow();
                var at = (_head + _count) & (_slots.Length - 1);
                _slots[at] = frame;
                _ticks[at] = frame.Time.UtcTicks;
                _count++;
                _bytes += frame.Length;
                var newest = _ticks[at];
                var maxAge = Limits.MaxAge?.Ticks ?? long.MaxValue;
                while (_count > 1 && (_count > Limits.MaxFrames || _bytes > Limits.MaxBytes || newest - _ticks[_head] > maxAge))
                {
                    var old = _slots[_head];
                    _slots[_head] = null!;
                    _head = (_head + 1) & (_slots.Length - 1);
                    _count--;
                    _bytes -= old.Length;
                    if (evicted1 is null) evicted1 = old; else (evicted ??= []).Add(old);
                }
                signal = _newer.Advance();
            }
        }
        rejected?.Release();
        evicted1?.Release();
        if (evicted is not null) foreach (var f in evicted) f.Release();
        signal?.TrySetResult();
    }

    /// <summary>Frames with from &lt;= Time &lt;= to, oldest first, retained until the window is disposed.</summary>
    public FrameWindow Window(DateTimeOffset from, DateTimeOffset to) => Window(from, to, TimeSpan.Zero);

    /// <summary>
    /// As <see cref="Window(DateTimeOffset, DateTimeOffset)"/>, plus the frame on screen at <paramref name="from"/>: the newest
    /// frame before it, when it is at most <paramref name="lookBehind"/> older (a late frame at the window's start does not
    /// shorten a render).
    /// </summary>
    public FrameWindow Window(DateTimeOffset from, DateTimeOffset to, TimeSpan lookBehind)
    {
        lock (_gate)
        {
            var lo = LowerBound(from.UtcTicks);
            var mask0 = _slots.Length - 1;
            if (lo > 0 && (lo == _count || _ticks[(_head + lo) & mask0] > from.UtcTicks)
                && from.UtcTicks - _ticks[(_head + lo - 1) & mask0] <= lookBehind.Ticks) lo--;
            var hi = to.UtcTicks == long.MaxValue ? _count : LowerBound(to.UtcTicks + 1);
            if (hi <= lo) return new FrameWindow([], referenced: true);
            var frames = new Frame[hi - lo];
            var mask = _slots.Length - 1;
            for (var i = 0; i < frames.Length; i++)
            {
                var f = _slots[(_head + lo + i) & mask];
                f.AddRef();
                frames[i] = f;
            }
            return new FrameWindow(frames, referenced: true);
        }
    }

    /// <summary>The newest frame retained (a window of one), or null when empty.</summary>
    public FrameWindow? Latest()
    {
        lock (_gate)
        {
            if (_count == 0) return null;
            var f = _slots[(_head + _count - 1) & (_slots.Length - 1)];
            f.AddRef();
            return new FrameWindow([f], referenced: true);
        }
    }

    public int Count { get { lock (_gate) return _count; } }
    public long Bytes { get { lock (_gate) return _bytes; } }
    public DateTimeOffset? OldestTime { get { lock (_gate) return _count == 0 ? null : _slots[_head].Time; } }
    public DateTimeOffset? NewestTime { get { lock (_gate) return _count == 0 ? null : _slots[(_head + _count - 1) & (_slots.Length - 1)].Time; } }
    public long NewestSequence { get { lock (_gate) return _sequence; } }

    /// <summary>Completes when a frame newer than <paramref name="afterSequence"/> is appended (or on cancel).</summary>
    public Task WaitForFrameAsync(long afterSequence, CancellationToken ct) => _newer.WaitAsync(_gate, () => _sequence > afterSequence, ct);

    /// <summary>Releases every frame (buffers go back to the pool once no window holds them). Later appends are ignored.</summary>
    public void Dispose()
    {
        Frame[] frames;
        lock (_gate)
        {
            if (_disposed) return;
            _disposed = true;
            frames = new Frame[_count];
            for (var i = 0; i < _count; i++)
            {
                var at = (_head + i) & (_slots.Length - 1);
                frames[i] = _slots[at];
                _slots[at] = null!;
            }
            _head = _count = 0;
            _bytes = 0;
        }
        foreach (var f in frames) f.Release();
    }

    private DateTimeOffset Clamp(DateTimeOffset time)
    {
        if (_count == 0) return time;
        var newest = _slots[(_head + _count - 1) & (_slots.Length - 1)].Time;
        return time < newest ? newest.AddTicks(1) : time;
    }

    /// <summary>First logical index whose time is &gt;= <paramref name="ticks"/> (_count when none).</summary>
    private int LowerBound(long ticks)
    {
        int lo = 0, hi = _count;
        var mask = _slots.Length - 1;
        while (lo < hi)
        {
            var mid = (lo + hi) >>> 1;
            if (_ticks[(_head + mid) & mask] < ticks) lo = mid + 1; else hi = mid;
        }
        return lo;
    }

    private void Grow()
    {
        var cap = _slots.Length * 2;
        var slots = new Frame[cap];
        var ticks = new long[cap];
        for (var i = 0; i < _count; i++)
        {
            var at = (_head + i) & (_slots.Length - 1);
            slots[i] = _slots[at];
            ticks[i] = _ticks[at];
        }
        _slots = slots; _ticks = ticks; _head = 0;
    }
}
