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

    /// <summary>Back large frames with page mappings (see <see cref="FramePool"/>): true/false, or null to follow
    /// <see cref="FramePool.NativeBuffersEnabled"/> at each rent. Ignored where <see cref="FramePool.NativeBuffersSupported"/> is false.</summary>
    public bool? NativeBuffers { get; init; }
    /// <summary>Frames of at least this many bytes (and at least 16 pages) get a page mapping; smaller ones a managed array.</summary>
    public int NativeMinBytes { get; init; } = 64 * 1024;
    /// <summary>A quarantined mapping may serve a frame up to this many size classes smaller than the one it was made
    /// for. Costs address space only: the pages past the frame's length are never touched.</summary>
    public int NativeFitClasses { get; init; } = 12;
    /// <summary>Mappings kept in the quarantine (pages dropped, still mapped) beyond which idle ones are unmapped.</summary>
    public int QuarantineCap { get; init; } = 64;
    /// <summary>A released mapping stays mapped at least this long (a stray reader sees zeros, not a fault).</summary>
    public TimeSpan QuarantineTime { get; init; } = TimeSpan.FromSeconds(10);
    /// <summary>Fault in a mapping's pages in one madvise(MADV_POPULATE_WRITE) before the copy (Linux 5.14+).</summary>
    public bool Prefault { get; init; } = true;
}

/// <summary>Counters and the pool's own accounting of its overhead over the bytes its users asked for.</summary>
/// <remarks>
/// Counters cover both kinds of buffer: <see cref="Hits"/> are rents served from a free list or the quarantine.
/// For a native buffer <see cref="BytesRented"/> counts the pages its frame touches (what is resident), not its mapping;
/// quarantined mappings have no resident pages and count in <see cref="MappedBytes"/> only.
/// </remarks>
public readonly record struct FramePoolStats(
    long Rents, long Returns, long Hits, long Misses, long Unpooled, long Dropped, long Forgotten,
    long BuffersInUse, long BytesRequested, long BytesRented, long FreeBuffers, long FreeBytes,
    long NativeInUse = 0, long Mapped = 0, long Unmapped = 0, long MappedBytes = 0,
    long QuarantinedMappings = 0, long QuarantinedBytes = 0, long NativeFailures = 0)
{
    /// <summary>Managed memory per held frame besides its bytes: the Frame object, the array header, the ring's slot and time entries.</summary>
    public const int PerFrameObjectBytes = 136;
    /// <summary>The same for a native frame: the Frame, its MemoryManager and the mapping's record instead of the array header.</summary>
    public const int PerNativeFrameObjectBytes = 232;

    /// <summary>Live mappings (in use or quarantined).</summary>
    public long Mappings => Mapped - Unmapped;
    /// <summary>Capacity rented beyond what was asked for (size-class rounding; page rounding for native buffers).</summary>
    public long RoundingBytes => BytesRented - BytesRequested;
    public long ObjectBytes => (BuffersInUse - NativeInUse) * PerFrameObjectBytes + NativeInUse * PerNativeFrameObjectBytes;
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
/// <remarks>
/// <para>Large frames (<see cref="FramePoolOptions.NativeMinBytes"/>, 64 KB) on 64-bit Linux get their own anonymous page
/// mapping instead of a managed array (<see cref="RentNative"/>): the GC keeps freed large-object-heap memory committed,
/// so with managed arrays RSS ran ~50 % over the bytes held; a mapping's pages go back to the OS the moment its frame
/// is released. Waste is under one page per frame. Small frames stay managed (they do not fragment the LOH).</para>
/// <para>Release of a mapping: madvise(MADV_DONTNEED) first (RSS drops now; the range stays mapped and reads as zeros),
/// then the quarantine: a free list per size class from which a new frame of a fitting size reuses the mapping (no
/// mmap/munmap, no new VMA). A quarantined mapping is unmapped only when it has been idle for
/// <see cref="FramePoolOptions.QuarantineTime"/> (10 s) and the quarantine holds more than
/// <see cref="FramePoolOptions.QuarantineCap"/> mappings.</para>
/// <para>Residual risk: a consumer that ignores the contract and keeps a raw span or pointer (not a Memory: its Span
/// throws once the frame is released; not a pin: that holds a reference) reads zeros or another frame's bytes for at
/// least 10 s, and faults (crashing the process) only if it reads later still after the mapping was unmapped.</para>
/// <para>Managed fallback: <see cref="NativeBuffersEnabled"/> (static switch; env LOOKBACK_NATIVE_FRAMES=0 turns it off),
/// <see cref="FramePoolOptions.NativeBuffers"/>, and any mmap failure fall back to managed arrays.</para>
/// </remarks>
public sealed class FramePool
{
    public static FramePool Shared { get; } = new();

    /// <summary>Process-wide switch for native frame buffers (pools whose <see cref="FramePoolOptions.NativeBuffers"/> is null).</summary>
    public static bool NativeBuffersEnabled { get; set; } =
        Environment.GetEnvironmentVariable("LOOKBACK_NATIVE_FRAMES") is not ("0" or "false" or "False" or "FALSE");

    /// <summary>Whether this platform can back frames with page mappings (64-bit Linux on x64/arm64 with libc).</summary>
    public static bool NativeBuffersSupported => PageMemory.IsSupported;

    private readonly object _gate = new();
    private readonly int[] _classSizes;
    private readonly byte[]?[][] _free;     // per class: a stack of free buffers
    private readonly int[] _freeCount;
    private long _rents, _returns, _hits, _misses, _unpooled, _dropped, _forgotten;
    private long _inUse, _requested, _rented, _freeBuffers, _freeBytes;
    // Native buffers: per-class quarantine lists and one age list over all quarantined mappings.
    private readonly NativeMapping?[] _quarantine;
    private NativeMapping? _ageHead, _ageTail;
    private long _nativeInUse, _mapped, _unmapped, _mappedBytes, _quarantined, _quarantinedBytes, _nativeFailures;
    private readonly int _nativeMin;

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
        _quarantine = new NativeMapping?[_classSizes.Length];
        _nativeMin = Math.Max(Options.NativeMinBytes, 16 * PageMemory.PageSize);
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

    /// <summary>Whether a frame of <paramref name="length"/> bytes would get a page mapping now.</summary>
    public bool UsesNativeFor(int length) =>
        length >= _nativeMin && PageMemory.IsSupported && (Options.NativeBuffers ?? NativeBuffersEnabled);

    /// <summary>
    /// A page mapping for a frame of <paramref name="length"/> bytes (its first <paramref name="length"/> bytes are
    /// writable and, on a fresh or quarantined mapping, zero), or null when the frame should use a managed buffer
    /// (<see cref="Rent"/>): too small, native buffers off or unsupported, or mmap failed. Give it back with
    /// <see cref="ReturnNative"/> (a native <see cref="Frame"/> does so on its final release).
    /// </summary>
    internal NativeMapping? RentNative(int length)
    {
        if (!UsesNativeFor(length)) return null;
        var c = ClassOf(length);
        NativeMapping? m = null;
        var resident = PageMemory.RoundUp(length);
        lock (_gate)
        {
            if (c >= 0)
            {
                var last = Math.Min(_classSizes.Length - 1, c + Options.NativeFitClasses);
                for (var k = c; k <= last && m is null; k++) m = _quarantine[k];
                if (m is not null) { Unlink(m); _hits++; _rents++; Take(); }
            }
        }
        if (m is null)
        {
            var capacity = PageMemory.RoundUp(c < 0 ? length : _classSizes[c]);
            var p = PageMemory.Map(capacity);
            lock (_gate)
            {
                if (p == 0) { _nativeFailures++; return null; }
                m = new NativeMapping(p, capacity, c);
                _mapped++; _mappedBytes += capacity;
                _rents++;
                if (c < 0) _unpooled++; else _misses++;
                Take();
            }
        }
        if (Options.Prefault) PageMemory.Populate(m.Pointer, resident);
        return m;

        void Take() { _inUse++; _nativeInUse++; _requested += length; _rented += resident; }
    }

    /// <summary>Gives back a mapping from <see cref="RentNative"/> (<paramref name="length"/> as asked for): drops its
    /// pages now and quarantines it. <paramref name="forgotten"/>: its frame was finalized while still referenced.</summary>
    internal void ReturnNative(NativeMapping m, int length, bool forgotten)
    {
        PageMemory.DontNeed(m.Pointer, m.Capacity);
        List<NativeMapping>? victims;
        lock (_gate)
        {
            if (forgotten) _forgotten++; else _returns++;
            _inUse--; _nativeInUse--; _requested -= length; _rented -= PageMemory.RoundUp(length);
            var now = Environment.TickCount64;
            m.FreedAt = now;
            if (m.SizeClass >= 0)
            {
                m.ClassNext = _quarantine[m.SizeClass];
                if (m.ClassNext is not null) m.ClassNext.ClassPrev = m;
                _quarantine[m.SizeClass] = m;
            }
            m.AgeNext = _ageHead;
            if (_ageHead is not null) _ageHead.AgePrev = m; else _ageTail = m;
            _ageHead = m;
            _quarantined++; _quarantinedBytes += m.Capacity;
            victims = CollectIdle(now, Options.QuarantineCap);
        }
        UnmapAll(victims);
    }

    /// <summary>Quarantined mappings idle for the quarantine time, oldest first, while more than <paramref name="keep"/> remain; unlinked.</summary>
    private List<NativeMapping>? CollectIdle(long now, int keep)
    {
        List<NativeMapping>? victims = null;
        var idle = (long)Options.QuarantineTime.TotalMilliseconds;
        while (_quarantined > keep && _ageTail is { } t && now - t.FreedAt >= idle)
        {
            Unlink(t);
            (victims ??= []).Add(t);
        }
        return victims;
    }

    private void UnmapAll(List<NativeMapping>? victims)
    {
        if (victims is null) return;
        long bytes = 0;
        foreach (var v in victims)
        {
            PageMemory.Unmap(v.Pointer, v.Capacity);
            bytes += v.Capacity;
        }
        lock (_gate) { _unmapped += victims.Count; _mappedBytes -= bytes; }
    }

    /// <summary>Takes <paramref name="m"/> out of the quarantine's lists (under the lock).</summary>
    private void Unlink(NativeMapping m)
    {
        if (m.SizeClass >= 0)
        {
            if (m.ClassPrev is not null) m.ClassPrev.ClassNext = m.ClassNext; else _quarantine[m.SizeClass] = m.ClassNext;
            if (m.ClassNext is not null) m.ClassNext.ClassPrev = m.ClassPrev;
        }
        if (m.AgePrev is not null) m.AgePrev.AgeNext = m.AgeNext; else _ageHead = m.AgeNext;
        if (m.AgeNext is not null) m.AgeNext.AgePrev = m.AgePrev; else _ageTail = m.AgePrev;
        m.ClassPrev = m.ClassNext = m.AgePrev = m.AgeNext = null;
        _quarantined--; _quarantinedBytes -= m.Capacity;
    }

    /// <summary>Accounting for a buffer that will never come back (its frame was collected while referenced).</summary>
    internal void Forget(byte[] buffer, int length)
    {
        lock (_gate) { _forgotten++; _inUse--; _requested -= length; _rented -= buffer.Length; }
    }

    /// <summary>Drops free buffers until at most <paramref name="keepBytes"/> free bytes remain (largest classes first),
    /// and unmaps every quarantined mapping idle for the quarantine time (whatever the cap).</summary>
    public void Trim(long keepBytes = 0)
    {
        List<NativeMapping>? victims;
        lock (_gate)
        {
            victims = CollectIdle(Environment.TickCount64, 0);
            for (var c = _classSizes.Length - 1; c >= 0 && _freeBytes > keepBytes; c--)
                while (_freeCount[c] > 0 && _freeBytes > keepBytes)
                {
                    var n = --_freeCount[c];
                    _freeBytes -= _free[c]![n]!.Length; _freeBuffers--;
                    _free[c]![n] = null;
                }
        }
        UnmapAll(victims);
    }

    public FramePoolStats GetStats()
    {
        lock (_gate)
            return new FramePoolStats(_rents, _returns, _hits, _misses, _unpooled, _dropped, _forgotten,
                _inUse, _requested, _rented, _freeBuffers, _freeBytes,
                _nativeInUse, _mapped, _unmapped, _mappedBytes, _quarantined, _quarantinedBytes, _nativeFailures);
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
