namespace Lookback.Buffer;

/// <summary>
/// One encoded JPEG frame held by a <see cref="FrameRing"/>. A reader keeps a frame valid by holding the
/// <see cref="FrameWindow"/> it came in and disposing it when done: the frame's buffer is pooled and goes back to
/// its <see cref="FramePool"/> once the ring has evicted it and no window holds it any more.
/// Do not keep <see cref="Jpeg"/> (or spans over it) beyond the window's lifetime.
/// </summary>
public sealed class Frame
{
    private byte[]? _data;
    private readonly int _length;
    private readonly FramePool? _pool;
    private int _refs;

    /// <summary>An unpooled frame over <paramref name="data"/> (for tests and adapters); never returned to a pool.</summary>
    internal Frame(byte[] data, long sequence, DateTimeOffset time, int width, int height)
        : this(data, data.Length, null, sequence, time, width, height) { }

    internal Frame(byte[] buffer, int length, FramePool? pool, long sequence, DateTimeOffset time, int width, int height)
    {
        _data = buffer; _length = length; _pool = pool; _refs = 1;
        Sequence = sequence; Time = time; Width = width; Height = height;
        if (pool is null) GC.SuppressFinalize(this);
    }

    /// <summary>Runs only for a pooled frame that became unreachable while still referenced (a window never disposed):
    /// its buffer is left to the GC (someone may still hold a Memory over it) and the pool's accounting is corrected.</summary>
    ~Frame()
    {
        if (Volatile.Read(ref _refs) > 0 && _data is { } d) _pool?.Forget(d, _length);
    }

    public long Sequence { get; }
    public DateTimeOffset Time { get; }
    /// <summary>Pixel size when the source knows it (0 when unknown).</summary>
    public int Width { get; }
    public int Height { get; }

    /// <summary>The JPEG bytes. Throws <see cref="ObjectDisposedException"/> once the frame has been released.</summary>
    public ReadOnlyMemory<byte> Jpeg
    {
        get
        {
            var d = _data;
            if (d is null || Volatile.Read(ref _refs) <= 0) throw new ObjectDisposedException(nameof(Frame), "the frame was released");
            return new ReadOnlyMemory<byte>(d, 0, _length);
        }
    }

    public int Length => _length;

    /// <summary>Current references (the ring's own plus one per open window); 0 once released. For tests and diagnostics.</summary>
    internal int RefCount => Volatile.Read(ref _refs);

    internal void AddRef()
    {
        while (true)
        {
            var r = Volatile.Read(ref _refs);
            if (r <= 0) throw new ObjectDisposedException(nameof(Frame), "the frame was already released");
            if (Interlocked.CompareExchange(ref _refs, r + 1, r) == r) return;
        }
    }

    internal void Release()
    {
        var r = Interlocked.Decrement(ref _refs);
        if (r > 0) return;
        if (r < 0) { Interlocked.Increment(ref _refs); throw new InvalidOperationException("frame released more often than referenced"); }
        var d = _data;
        _data = null;
        if (_pool is not null && d is not null)
        {
            GC.SuppressFinalize(this);
            _pool.Return(d, _length);
        }
    }
}
