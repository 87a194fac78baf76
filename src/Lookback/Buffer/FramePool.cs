namespace Lookback.Buffer;

/// <summary>Tuning of a <see cref="FramePool"/>. The defaults keep the total overhead over the JPEG bytes held under 5 %.</summary>
public sealed record FramePoolOptions
{
    /// <summary>Each size class is this much larger than the one below (rounding waste is at most this, ~half on average).</summary>
    public double ClassGrowth { get; init; } = 0.02;
    /// <summary>Buffers smaller than this are allocated exactly and not pooled (their waste would be relatively large).</summary>
    public int SmallestClass { get; init; } = 8 * 1024;
    /// <summary>Buffers larger than this are allocated exactly and not pooled.</summary>
    public int LargestClass { get; init; } = 32 * 1024 * 1024;
    /// <summary>A rent may take a free buffer from up to this many classes above the exact one (a hit instead of an allocation).</summary>
    public int FitClasses { get; init; } = 1;
    /// <summary>Free buffers kept per class.</summary>
    public int MaxFreePerClass { get; init; } = 4;
    /// <summary>Free (pooled but unused) bytes allowed: <see cref="BaseFreeBytes"/> + <see cref="FreeFraction"/> × bytes in use, at most <see cref="MaxFreeBytes"/>.</summary>
    public long BaseFreeBytes { get; init; } = 2 * 1024 * 1024;
    public double FreeFraction { get; init; } = 0.015;
    public long MaxFreeBytes { get; init; } = 64 * 1024 * 1024;
}

/// <summary>Counters and the pool's own accounting of its overhead over the bytes its users asked for.</summary>
public readonly record struct FramePoolStats(
    long Rents, long Returns, long Hits, long Misses, long Unpooled, long Dropped, long Forgotten,
    long BuffersInUse, long BytesRequested, long BytesRented, long FreeBuffers, long FreeBytes)
{
    /// <summary>Managed memory per held frame besides its bytes: the Frame object, the array header, the ring's slot and time entries.</summary>
    public const int PerFrameObjectBytes = 136;

    /// <summary>Capacity rented beyond what was asked for (size-class rounding).</summary>
    public long RoundingBytes => BytesRented - BytesRequested;
    public long ObjectBytes => BuffersInUse * PerFrameObjectBytes;
    /// <summary>Rounding + free lists + per-frame objects.</summary>
    public long OverheadBytes => RoundingBytes + FreeBytes + ObjectBytes;
    /// <summary><see cref="OverheadBytes"/> / <see cref="BytesRequested"/>.</summary>
    public double OverheadRatio => BytesRequested == 0 ? 0 : (double)OverheadBytes / BytesRequested;
}

/// <summary>
/// Pool of frame buffers in fine size classes (each ~2 % above the last) so that held bytes waste little, unlike
/// ArrayPool's power-of-two buckets. Per-class bounded free lists and a global cap on free bytes that scales with the
/// bytes in use. Thread-safe (one short lock per rent/return).
/// </summary>
public sealed class FramePool
{
    public static FramePool Shared { get; } = new();

    private readonly object _gate = new();
    private readonly int[] _classSizes;
    private readonly byte[]?[][] _free;     // per class: a stack of free buffers
    private readonly int[] _freeCount;
    private long _rents, _returns, _hits, _misses, _unpooled, _dropped, _forgotten;
    private long _inUse, _requested, _rented, _freeBuffers, _freeBytes;

    public FramePool(FramePoolOptions? options = null)
    {
        Options = options ?? new FramePoolOptions();
        if (Options.ClassGrowth is <= 0 or > 1) throw new ArgumentOutOfRangeException(nameof(options), "ClassGrowth must be in (0, 1]");
        if (Options.SmallestClass < 64 || Options.LargestClass < Options.SmallestClass) throw new ArgumentOutOfRangeException(nameof(options), "class bounds");
        var sizes = new List<int>();
        long s = Align(Options.SmallestClass);
        while (true)
        {
            sizes.Add((int)s);
            if (s >= Options.LargestClass) break;
            s = Math.Min(Array.MaxLength, Align(Math.Max(s + 64, (long)Math.Ceiling(s * (1 + Options.ClassGrowth)))));
        }
        _classSizes = [.. sizes];
        _free = new byte[]?[_classSizes.Length][];
        _freeCount = new int[_classSizes.Length];
        static long Align(long v) => (v + 63) & ~63L;
    }

    public FramePoolOptions Options { get; }

    /// <summary>Sizes of the classes, ascending.</summary>
    public ReadOnlySpan<int> ClassSizes => _classSizes;

    /// <summary>The capacity <see cref="Rent"/> returns for <paramref name="length"/> on a miss.</summary>
    public int CapacityFor(int length)
    {
        var c = ClassOf(length);
        return c < 0 ? length : _classSizes[c];
    }

    /// <summary>A buffer of at least <paramref name="length"/> bytes (contents undefined). Give it back with <see cref="Return"/>.</summary>
    public byte[] Rent(int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        var c = ClassOf(length);
        byte[]? buffer = null;
        lock (_gate)
        {
            _rents++;
            if (c < 0) _unpooled++;
            else
            {
                var last = Math.Min(_classSizes.Length - 1, c + Options.FitClasses);
                for (var k = c; k <= last && buffer is null; k++)
                {
                    if (_freeCount[k] == 0) continue;
                    var n = --_freeCount[k];
                    buffer = _free[k][n];
                    _free[k][n] = null;
                    _freeBuffers--; _freeBytes -= buffer!.Length;
                }
                if (buffer is null) _misses++; else _hits++;
            }
        }
        buffer ??= GC.AllocateUninitializedArray<byte>(c < 0 ? length : _classSizes[c]);
        lock (_gate) { _inUse++; _requested += length; _rented += buffer.Length; }
        return buffer;
    }

    /// <summary>Gives back a buffer from <see cref="Rent"/>; <paramref name="length"/> is the length that was asked for.</summary>
    public void Return(byte[] buffer, int length)
    {
        ArgumentNullException.ThrowIfNull(buffer);
        lock (_gate)
        {
            _returns++; _inUse--; _requested -= length; _rented -= buffer.Length;
            var c = Array.BinarySearch(_classSizes, buffer.Length);   // exact class sizes only; others were unpooled
            if (c < 0) return;
            if (_freeCount[c] >= Options.MaxFreePerClass || _freeBytes + buffer.Length > FreeCap()) { _dropped++; return; }
            var stack = _free[c] ??= new byte[]?[Options.MaxFreePerClass];
            stack[_freeCount[c]++] = buffer;
            _freeBuffers++; _freeBytes += buffer.Length;
        }
    }

    /// <summary>Accounting for a buffer that will never come back (its frame was collected while referenced).</summary>
    internal void Forget(byte[] buffer, int length)
    {
        lock (_gate) { _forgotten++; _inUse--; _requested -= length; _rented -= buffer.Length; }
    }

    /// <summary>Drops free buffers until at most <paramref name="keepBytes"/> free bytes remain (largest classes first).</summary>
    public void Trim(long keepBytes = 0)
    {
        lock (_gate)
        {
            for (var c = _classSizes.Length - 1; c >= 0 && _freeBytes > keepBytes; c--)
                while (_freeCount[c] > 0 && _freeBytes > keepBytes)
                {
                    var n = --_freeCount[c];
                    _freeBytes -= _free[c]![n]!.Length; _freeBuffers--;
                    _free[c]![n] = null;
                }
        }
    }

    public FramePoolStats GetStats()
    {
        lock (_gate)
            return new FramePoolStats(_rents, _returns, _hits, _misses, _unpooled, _dropped, _forgotten,
                _inUse, _requested, _rented, _freeBuffers, _freeBytes);
    }

    private long FreeCap() => Math.Min(Options.MaxFreeBytes, Options.BaseFreeBytes + (long)(Options.FreeFraction * _rented));

    /// <summary>Index of the smallest class holding <paramref name="length"/>, or -1 when it is not pooled.</summary>
    private int ClassOf(int length)
    {
        if (length < Options.SmallestClass || length > _classSizes[^1]) return -1;
        var i = Array.BinarySearch(_classSizes, length);
        return i >= 0 ? i : ~i;
    }
}
