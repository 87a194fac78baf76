namespace Lookback.Buffer;

/// <summary>
/// One encoded JPEG frame held by a <see cref="FrameRing"/>. A reader keeps a frame valid by holding the
/// <see cref="FrameWindow"/> it came in and disposing it when done: the frame's buffer is pooled and goes back to
/// its <see cref="FramePool"/> once the ring has evicted it and no window holds it any more.
/// Do not keep <see cref="Jpeg"/> (or spans over it) beyond the window's lifetime.
/// </summary>
/// <remarks>
/// The bytes are either a managed array or, for large frames on Linux, a page mapping of the pool (see
/// <see cref="FramePool"/>). For a native frame, <c>Jpeg.Span</c> on a <see cref="ReadOnlyMemory{T}"/> kept past the
/// release throws <see cref="ObjectDisposedException"/>; a span or pointer taken before the release reads zeros or a
/// newer frame's bytes for at least the pool's quarantine time (never a crash within it). <c>Jpeg.Pin()</c> holds a
/// frame reference until the handle is disposed.
/// </remarks>
public sealed class Frame
{
    private byte[]? _data;
    private readonly NativeFrameMemory? _native;
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

    /// <summary>A frame over a page mapping rented from <paramref name="pool"/> with <see cref="FramePool.RentNative"/>.</summary>
    internal Frame(NativeMapping mapping, int length, FramePool pool, long sequence, DateTimeOffset time, int width, int height)
    {
        _native = new NativeFrameMemory(mapping, length, this);
        _length = length; _pool = pool; _refs = 1;
        Sequence = sequence; Time = time; Width = width; Height = height;
    }

    /// <summary>Runs only for a pooled frame that became unreachable while still referenced (a window never disposed).
    /// A managed buffer is left to the GC (someone may still hold a Memory over it); a mapping goes to the pool's
    /// quarantine (nothing managed can reach it any more: a Memory or pin over it would have kept this frame alive).
    /// Either way the pool's accounting is corrected.</summary>
    ~Frame()
    {
        if (Volatile.Read(ref _refs) <= 0) return;
        if (_data is { } d) _pool?.Forget(d, _length);
        else if (_native is { } n) { n.MarkReleased(); _pool?.ReturnNative(n.Mapping, _length, forgotten: true); }
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
            if (Volatile.Read(ref _refs) > 0)
            {
                if (_data is { } d) return new ReadOnlyMemory<byte>(d, 0, _length);
                if (_native is { } n) return n.Bytes;
            }
            throw new ObjectDisposedException(nameof(Frame), "the frame was released");
        }
    }

    public int Length => _length;

    /// <summary>True when the bytes live in a page mapping rather than a managed array. For tests and diagnostics.</summary>
    internal bool IsNative => _native is not null;
    internal NativeMapping? Mapping => _native?.Mapping;

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
        if (_native is { } n)
        {
            n.MarkReleased();
            GC.SuppressFinalize(this);
            _pool!.ReturnNative(n.Mapping, _length, forgotten: false);
        }
        else if (_pool is not null && d is not null)
        {
            GC.SuppressFinalize(this);
            _pool.Return(d, _length);
        }
    }
}
