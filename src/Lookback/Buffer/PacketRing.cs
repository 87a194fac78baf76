namespace Lookback.Buffer;

/// <summary>
/// One stream-copied video access unit in the <see cref="PacketRing"/>: its PES packet, its wall-clock time, whether it
/// is a keyframe, the run (ffmpeg start or discontinuity) it belongs to, that run's program tables and PID. An
/// <see cref="Audio"/> packet (AAC, one PES of a few frames) is on its own PID; its <see cref="Codec"/> is the video's.
/// In the ring, <see cref="Data"/> is a region of a <see cref="PacketSlab"/> (<see cref="Slab"/>): read it through a
/// <see cref="PacketCut"/>, which holds the slab (a <see cref="PacketRing.Snapshot"/>'s bytes may be overwritten once
/// the ring has evicted them and reused their slab).
/// </summary>
public sealed record StreamPacket(ReadOnlyMemory<byte> Data, RunAnchor Anchor, TimeSpan Offset, bool Key, int Run, byte[] Header, StreamCodec Codec, int Pid = 0x100,
    bool Audio = false)
{
    /// <summary>A packet at a fixed time.</summary>
    public StreamPacket(byte[] data, DateTimeOffset time, bool key, int run, byte[] header, StreamCodec codec, int pid = 0x100)
        : this(data, new RunAnchor(time), TimeSpan.Zero, key, run, header, codec, pid) { }

    public DateTimeOffset Time => Anchor.Time + Offset;

    /// <summary>The slab that holds <see cref="Data"/> (null for a packet not stored in a ring).</summary>
    public PacketSlab? Slab { get; init; }
}

/// <summary>
/// What a remux from the ring gets: the packets from a keyframe to the end of the window, all of one unbroken run.
/// <see cref="Lead"/> is how much earlier than the asked start it begins (the keyframe before it); <see cref="Gap"/>
/// says the window had a break (restart, outage) or reached past the ring, so this is only the longest unbroken run.
/// A cut from <see cref="PacketRing.Cut(DateTimeOffset, DateTimeOffset)"/> holds the slabs under its packets
/// (<see cref="Lease"/>): their bytes stay valid while the ring evicts, until the cut is disposed (then the slabs may be
/// reused; a cut never disposed only keeps them from the pool).
/// </summary>
public sealed record PacketCut(IReadOnlyList<StreamPacket> Packets, DateTimeOffset Start, DateTimeOffset End, TimeSpan Lead, bool Gap)
    : IDisposable
{
    /// <summary>The hold on the packets' slabs (null for a cut of packets outside a ring).</summary>
    public PacketLease? Lease { get; init; }
    public void Dispose() => Lease?.Dispose();

    public StreamCodec Codec => Packets[0].Codec;
    public byte[] Header => Packets[0].Header;
    public int Pid => Packets[0].Pid;
    public bool HasAudio => Packets.Any(p => p.Audio);
    public long Bytes => Packets.Sum(p => (long)p.Data.Length);
}

/// <summary>
/// The RAM ring of a stream camera's own video packets (no re-encode): bounded by age and bytes, evicting whole GOPs
/// so that the oldest packet kept is always a keyframe; a new run (ffmpeg restart, timestamp jump) is kept from its
/// first keyframe on. Thread-safe; pure (times come with the packets).
/// </summary>
/// <remarks>
/// Storage: each appended access unit is copied once, back to back, into fixed-size pooled <see cref="PacketSlab"/>s
/// (1 MiB, native memory outside the GC heap, see <see cref="PacketSlabPool"/>) instead of an array of its own, so the GC heap holds
/// the stream's bytes plus a slab's tail rather than thousands of arrays (many on the large object heap, which the GC
/// keeps committed after eviction: RSS ran ~2-3x the ring). A slab goes back to the pool once eviction has passed its
/// last packet and no reader's <see cref="PacketCut"/> holds it (reference counted).
/// </remarks>
public sealed class PacketRing
{
    /// <summary>The default <c>buffer_seconds</c> of stream cameras' packet rings.</summary>
    public const double DefaultSeconds = 60;
    /// <summary>Two packets further apart than this (in the same run) are a break.</summary>
    public static readonly TimeSpan BreakLimit = TimeSpan.FromSeconds(2);
    /// <summary>How far the covered span may fall short of the window's ends without being called a gap.</summary>
    public static readonly TimeSpan GapTolerance = TimeSpan.FromSeconds(1);

    private readonly object _gate = new();
    private readonly List<StreamPacket> _items = [];
    private int _head;
    private long _bytes;
    private int _waitingRun = -1; // a run whose first keyframe has not come yet
    private int _lastRun = -1;
    private StreamPacket? _newestVideo;
    private readonly PacketSlabPool _pool;
    private readonly Queue<PacketSlab> _slabs = new(); // the slabs the ring holds a reference on, oldest first; the last is _write
    private PacketSlab? _write;
    private long _slabBytes;
    private TaskCompletionSource _appended = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public PacketRing(TimeSpan maxAge, long maxBytes, PacketSlabPool? pool = null)
    {
        _pool = pool ?? PacketSlabPool.Shared;
        if (maxAge <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(maxAge));
        if (maxBytes <= 0) throw new ArgumentOutOfRangeException(nameof(maxBytes));
        MaxAge = maxAge;
        MaxBytes = maxBytes;
    }

    public TimeSpan MaxAge { get; }
    public long MaxBytes { get; }
    public long Bytes { get { lock (_gate) return _bytes; } }
    /// <summary>The slab capacity the ring holds (its packets' bytes, the unused tail of the newest slab and the evicted
    /// head of the oldest): what the packets cost in memory.</summary>
    public long SlabBytes { get { lock (_gate) return _slabBytes; } }
    /// <summary>Slabs the ring holds.</summary>
    public int Slabs { get { lock (_gate) return _slabs.Count; } }
    public int Count { get { lock (_gate) return _items.Count - _head; } }
    public DateTimeOffset? OldestTime { get { lock (_gate) return _items.Count > _head ? _items[_head].Time : null; } }
    /// <summary>The time of the newest video packet (what a moment's end waits for).</summary>
    public DateTimeOffset? NewestTime { get { lock (_gate) return _items.Count > _head ? _newestVideo?.Time : null; } }
    /// <summary>Why the ring cannot be used for this camera right now (codec it cannot cut, no timestamps); null when fine.</summary>
    public string? Unusable { get; set; }

    /// <summary>Adds a packet (packets of a run before its first keyframe are dropped) and evicts what the limits ask.</summary>
    public bool Append(StreamPacket p)
    {
        TaskCompletionSource appended;
        lock (_gate)
        {
            if (p.Run != _lastRun) { _lastRun = p.Run; _waitingRun = p.Run; }
            if (_waitingRun == p.Run)
            {
                if (!p.Key) return false;
                _waitingRun = -1;
            }
            p = Store(p);
            _items.Add(p);
            if (!p.Audio) _newestVideo = p;
            _bytes += p.Data.Length;
            Evict();
            appended = _appended;
            _appended = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }
        appended.TrySetResult();
        return true;
    }

    /// <summary>Completes when the next packet is appended.</summary>
    public Task NextAppendAsync(CancellationToken ct)
    {
        lock (_gate) return _appended.Task.WaitAsync(ct);
    }

    /// <summary>Waits until a packet at or after <paramref name="time"/> is in the ring; false when the wait ran out.</summary>
    public async Task<bool> WaitForAsync(DateTimeOffset time, TimeSpan maxWait, CancellationToken ct)
    {
        using var timeout = new CancellationTokenSource(maxWait);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, timeout.Token);
        try
        {
            while (true)
            {
                var next = NextAppendAsync(linked.Token);
                if (NewestTime is { } t && t >= time) return true;
                await next.ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !ct.IsCancellationRequested) { return false; }
    }

    /// <summary>The packet with its bytes copied into the ring's newest slab (a new slab when they do not fit).</summary>
    private StreamPacket Store(StreamPacket p)
    {
        var length = p.Data.Length;
        if (_write is null || _write.Free < length)
        {
            _write = _pool.Rent(length); // holds the ring's reference
            _slabs.Enqueue(_write);
            _slabBytes += _write.Capacity;
        }
        return p with { Data = _write.Write(p.Data.Span), Slab = _write };
    }

    /// <summary>Releases the slabs before the oldest packet kept (the newest slab stays: it is being filled).</summary>
    private void ReleaseEvicted()
    {
        var oldest = _items.Count > _head ? _items[_head].Slab : null;
        while (_slabs.Count > 0 && _slabs.Peek() is var s && s != oldest && s != _write)
        {
            _slabs.Dequeue();
            _slabBytes -= s.Capacity;
            s.Release();
        }
    }

    private void Evict()
    {
        var newest = _items[^1].Time;
        while (_items.Count > _head)
        {
            var next = NextKey(_head + 1);
            var tooOld = next < _items.Count && _items[next].Time <= newest - MaxAge; // what stays still spans MaxAge
            if (!tooOld && _bytes <= MaxBytes) break;
            for (var i = _head; i < next; i++) { _bytes -= _items[i].Data.Length; _items[i] = null!; }
            _head = next;
            if (_head == _items.Count) { _items.Clear(); _head = 0; _waitingRun = _lastRun; break; } // one GOP over the limit: start again at the next keyframe
        }
        if (_head > 1024 && _head * 2 > _items.Count) { _items.RemoveRange(0, _head); _head = 0; }
        ReleaseEvicted();
    }

    private int NextKey(int from)
    {
        for (var i = from; i < _items.Count; i++) if (_items[i].Key) return i;
        return _items.Count;
    }

    /// <summary>A snapshot of the packets (oldest first). For their times and sizes: their bytes are only held by a
    /// <see cref="Cut(DateTimeOffset, DateTimeOffset)"/>.</summary>
    public IReadOnlyList<StreamPacket> Snapshot()
    {
        lock (_gate) return _items.GetRange(_head, _items.Count - _head);
    }

    /// <summary>The cut for [<paramref name="from"/>, <paramref name="to"/>]; null when nothing of it is in the ring.</summary>
    /// <remarks>The cut holds the slabs under its packets until it is disposed (their bytes stay valid while eviction runs).</remarks>
    public PacketCut? Cut(DateTimeOffset from, DateTimeOffset to)
    {
        lock (_gate)
        {
            if (Cut(_items.GetRange(_head, _items.Count - _head), from, to) is not { } cut) return null;
            var slabs = new List<PacketSlab>();
            foreach (var p in cut.Packets)
                if (p.Slab is { } s && (slabs.Count == 0 || slabs[^1] != s)) slabs.Add(s);
            return cut with { Lease = new PacketLease([.. slabs]) };
        }
    }

    /// <summary>
    /// Pure: split the packets into unbroken runs, cut each from the keyframe at or before <paramref name="from"/> (or its
    /// first keyframe) to the last packet at or before <paramref name="to"/>, and take the run covering most of the window.
    /// </summary>
    public static PacketCut? Cut(IReadOnlyList<StreamPacket> packets, DateTimeOffset from, DateTimeOffset to)
    {
        PacketCut? best = null;
        TimeSpan bestCover = TimeSpan.MinValue;
        var overlapping = 0;
        var i = 0;
        while (i < packets.Count)
        {
            var end = i + 1;
            while (end < packets.Count && packets[end].Run == packets[i].Run && packets[end].Time - packets[end - 1].Time <= BreakLimit) end++;
            var cut = CutRun(packets, i, end, from, to);
            if (cut is not null)
            {
                overlapping++;
                var cover = Min(cut.End, to) - Max(cut.Start, from);
                if (cover > bestCover) { best = cut; bestCover = cover; }
            }
            i = end;
        }
        if (best is null) return null;
        var gap = overlapping > 1 || best.Start > from + GapTolerance || best.End < to - GapTolerance;
        return best with { Gap = gap };
    }

    private static PacketCut? CutRun(IReadOnlyList<StreamPacket> p, int start, int end, DateTimeOffset from, DateTimeOffset to)
    {
        int key = -1, last = -1;
        for (var i = start; i < end && p[i].Time <= to; i++)
        {
            if (p[i].Key && (p[i].Time <= from || key < 0)) key = i;
            last = i;
        }
        if (key < 0 || last < key) return null;
        if (p[last].Time < from) return null; // the run ended before the window
        var list = new StreamPacket[last - key + 1];
        for (var i = key; i <= last; i++) list[i - key] = p[i];
        var lead = from - p[key].Time;
        return new PacketCut(list, p[key].Time, p[last].Time, lead > TimeSpan.Zero ? lead : TimeSpan.Zero, false);
    }

    private static DateTimeOffset Min(DateTimeOffset a, DateTimeOffset b) => a < b ? a : b;
    private static DateTimeOffset Max(DateTimeOffset a, DateTimeOffset b) => a > b ? a : b;
}
