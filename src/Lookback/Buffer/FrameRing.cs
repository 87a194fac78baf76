namespace Lookback.Buffer;

/// <summary>Bounds of one camera's ring. A frame is evicted as soon as any bound is exceeded.</summary>
public readonly record struct RingLimits(int MaxFrames, TimeSpan? MaxAge, long MaxBytes);

/// <summary>
/// Per-camera ring of encoded frames with capture time. One writer (the camera's source), any number of
/// concurrent readers. Bounded by frames, age (relative to the newest frame) and bytes.
/// </summary>
public sealed class FrameRing : IDisposable
{
    private readonly object _gate = new();
    private readonly Queue<Frame> _frames = new();
    private long _bytes;
    private long _sequence;
    private TaskCompletionSource _next = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public FrameRing(RingLimits limits, FramePool? pool = null) => Limits = limits;

    public RingLimits Limits { get; }

    /// <summary>Copies <paramref name="jpeg"/> and appends it; evicts by the limits.</summary>
    public void Append(ReadOnlySpan<byte> jpeg, DateTimeOffset time, int width = 0, int height = 0)
    {
        TaskCompletionSource signal;
        lock (_gate)
        {
            var f = new Frame(jpeg.ToArray(), ++_sequence, time, width, height);
            _frames.Enqueue(f);
            _bytes += f.Length;
            while (_frames.Count > 1 && (_frames.Count > Limits.MaxFrames || _bytes > Limits.MaxBytes
                   || (Limits.MaxAge is { } age && time - _frames.Peek().Time > age)))
                _bytes -= _frames.Dequeue().Length;
            signal = _next;
            _next = new(TaskCreationOptions.RunContinuationsAsynchronously);
        }
        signal.TrySetResult();
    }

    /// <summary>Frames with from &lt;= Time &lt;= to, oldest first, retained until the window is disposed.</summary>
    public FrameWindow Window(DateTimeOffset from, DateTimeOffset to)
    {
        lock (_gate) return new FrameWindow(_frames.Where(f => f.Time >= from && f.Time <= to).ToArray());
    }

    /// <summary>The newest frame retained (a window of one), or null when empty.</summary>
    public FrameWindow? Latest()
    {
        lock (_gate) return _frames.Count == 0 ? null : new FrameWindow([_frames.Last()]);
    }

    public int Count { get { lock (_gate) return _frames.Count; } }
    public long Bytes { get { lock (_gate) return _bytes; } }
    public DateTimeOffset? OldestTime { get { lock (_gate) return _frames.Count == 0 ? null : _frames.Peek().Time; } }
    public DateTimeOffset? NewestTime { get { lock (_gate) return _frames.Count == 0 ? null : _frames.Last().Time; } }
    public long NewestSequence { get { lock (_gate) return _sequence; } }

    /// <summary>Completes when a frame newer than <paramref name="afterSequence"/> is appended (or on cancel).</summary>
    public async Task WaitForFrameAsync(long afterSequence, CancellationToken ct)
    {
        while (true)
        {
            Task t;
            lock (_gate) { if (_sequence > afterSequence) return; t = _next.Task; }
            await t.WaitAsync(ct).ConfigureAwait(false);
        }
    }

    public void Dispose() { lock (_gate) { _frames.Clear(); _bytes = 0; } }
}

/// <summary>A set of retained frames, oldest first. Dispose releases them.</summary>
public sealed class FrameWindow(Frame[] frames) : IReadOnlyList<Frame>, IDisposable
{
    public Frame this[int index] => frames[index];
    public int Count => frames.Length;
    public IEnumerator<Frame> GetEnumerator() => ((IEnumerable<Frame>)frames).GetEnumerator();
    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
    public void Dispose() { }
}

/// <summary>Pool of frame buffers sized in fine classes so that held bytes waste at most a few percent.</summary>
public sealed class FramePool
{
    public static FramePool Shared { get; } = new();
}
