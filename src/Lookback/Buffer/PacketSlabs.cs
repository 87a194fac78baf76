using System.Buffers;
using System.Runtime.InteropServices;

namespace Lookback.Buffer;

/// <summary>
/// One fixed-size chunk of a <see cref="PacketRing"/>'s storage: access units are copied into it back to back, and
/// packets are <see cref="ReadOnlyMemory{T}"/> regions of it. Backed by native memory (<see cref="NativeSlabMemory"/>),
/// outside the GC heap: the GC neither counts nor scans a minute of a 4 Mbit/s ring (30 MB), and
/// <c>/api/status</c> shows it apart (<c>memory.packet_slab_bytes</c>). Reference counted: the ring holds one
/// reference while any of its packets lies in the slab, every <see cref="PacketLease"/> (a reader's window) one more; at
/// zero it goes back to its <see cref="PacketSlabPool"/> for reuse. A reader that never disposes its lease only keeps the
/// slab out of the pool: the memory is freed once nothing refers to it (a finalizer), and its bytes are never overwritten meanwhile.
/// </summary>
public sealed class PacketSlab
{
    private readonly PacketSlabPool? _pool;
    private int _refs;

    internal PacketSlab(int capacity, PacketSlabPool? pool)
    {
        _memory = new NativeSlabMemory(capacity);
        _pool = pool;
    }

    private readonly NativeSlabMemory _memory;
    public int Capacity => _memory.Length;
    /// <summary>Bytes written so far (the next packet goes here).</summary>
    public int Used { get; private set; }
    public int Free => Capacity - Used;
    /// <summary>References now (the ring's and the readers'); 0 while pooled.</summary>
    public int References => Volatile.Read(ref _refs);

    /// <summary>Copies <paramref name="data"/> in after the last packet; the region it now occupies.</summary>
    internal ReadOnlyMemory<byte> Write(ReadOnlySpan<byte> data)
    {
        if (data.Length > Free) throw new InvalidOperationException($"{data.Length} bytes do not fit the slab's {Free} free bytes");
        data.CopyTo(_memory.GetSpan()[Used..]);
        ReadOnlyMemory<byte> region = _memory.Memory.Slice(Used, data.Length);
        Used += data.Length;
        return region;
    }

    internal void AddRef() => Interlocked.Increment(ref _refs);

    internal void Release()
    {
        var left = Interlocked.Decrement(ref _refs);
        if (left < 0) throw new InvalidOperationException("packet slab released more often than referenced");
        if (left == 0) _pool?.Return(this);
    }

    /// <summary>Called by the pool when it hands the slab out again.</summary>
    internal void Reset()
    {
        Used = 0;
        _refs = 1;
    }
}

/// <summary>
/// A slab's bytes in native memory (<see cref="NativeMemory"/>), freed by the finalizer once no slab, packet or
/// <see cref="Memory{T}"/> region refers to it: a region keeps its manager alive, so a reader's bytes stay valid for as
/// long as it holds them. The memory is never pinned or moved by the GC and does not count towards its heap.
/// </summary>
internal sealed unsafe class NativeSlabMemory : MemoryManager<byte>
{
    private byte* _pointer;

    public NativeSlabMemory(int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(length);
        Length = length;
        _pointer = (byte*)NativeMemory.Alloc((nuint)length);
    }

    // CA2015 warns that a Span<byte> does not keep its manager alive. Here a span is only taken from a packet's region
    // while the packet (a cut, a snapshot) or its slab (the ring, the pool, a lease) is held, so the finalizer runs only
    // when nothing can read the bytes any more; without it, a slab that a reader never released would leak for good.
#pragma warning disable CA2015
    ~NativeSlabMemory() => Dispose(false);
#pragma warning restore CA2015

    public int Length { get; }

    public override Span<byte> GetSpan() => new(_pointer, Length);

    public override MemoryHandle Pin(int elementIndex = 0)
    {
        if ((uint)elementIndex > (uint)Length) throw new ArgumentOutOfRangeException(nameof(elementIndex));
        return new MemoryHandle(_pointer + elementIndex, default, this);
    }

    public override void Unpin() { }

    /// <summary>Only the finalizer frees: a region handed out may outlive every explicit owner.</summary>
    protected override void Dispose(bool disposing)
    {
        if (disposing) return;
        var p = _pointer;
        _pointer = null;
        if (p != null) NativeMemory.Free(p);
    }
}

/// <summary>
/// Reuses fixed-size <see cref="PacketSlab"/>s across rings (one pool for the process): a slab freed by eviction serves
/// the next fill, so a ring at its bound allocates nothing. Keeps at most <see cref="MaxFree"/> free slabs (the rest are
/// left to the GC). A packet larger than a slab gets an exact, unpooled slab of its own. Thread-safe.
/// </summary>
public sealed class PacketSlabPool(int slabBytes = PacketSlabPool.DefaultSlabBytes, int maxFree = PacketSlabPool.DefaultMaxFree)
{
    /// <summary>1 MiB: ~2 s of a 4 Mbit/s stream (about a GOP); the unused tail of a slab is a few % of it.</summary>
    public const int DefaultSlabBytes = 1 << 20;
    public const int DefaultMaxFree = 4; // a ring at its bound frees one slab as it fills the next: a few spare are enough

    /// <summary>The process's pool.</summary>
    public static PacketSlabPool Shared { get; } = new();

    private readonly Stack<PacketSlab> _free = new();
    private long _allocated, _reused;

    public int SlabBytes { get; } = slabBytes > 0 ? slabBytes : throw new ArgumentOutOfRangeException(nameof(slabBytes));
    public int MaxFree { get; } = maxFree >= 0 ? maxFree : throw new ArgumentOutOfRangeException(nameof(maxFree));
    public int FreeCount { get { lock (_free) return _free.Count; } }
    /// <summary>Slabs allocated (pooled size) since start.</summary>
    public long Allocated => Interlocked.Read(ref _allocated);
    /// <summary>Rents served by a free slab.</summary>
    public long Reused => Interlocked.Read(ref _reused);

    /// <summary>A slab with room for at least <paramref name="bytes"/>, holding one reference (the caller's).</summary>
    public PacketSlab Rent(int bytes)
    {
        if (bytes > SlabBytes)
        {
            var own = new PacketSlab(bytes, null);
            own.Reset();
            return own;
        }
        PacketSlab? slab = null;
        lock (_free) if (_free.Count > 0) slab = _free.Pop();
        if (slab is null)
        {
            slab = new PacketSlab(SlabBytes, this);
            Interlocked.Increment(ref _allocated);
        }
        else Interlocked.Increment(ref _reused);
        slab.Reset();
        return slab;
    }

    internal void Return(PacketSlab slab)
    {
        lock (_free) if (_free.Count < MaxFree) _free.Push(slab);
    }
}

/// <summary>
/// A reader's hold on the slabs under a window of packets (a <see cref="PacketCut"/>): while it is not disposed, eviction
/// may drop the packets from the ring but their bytes stay as they are (the slabs are not reused). Dispose once.
/// </summary>
public sealed class PacketLease : IDisposable
{
    private PacketSlab[]? _slabs;

    /// <summary>Takes a reference on each slab (call under the ring's lock, so none is released meanwhile).</summary>
    internal PacketLease(PacketSlab[] slabs)
    {
        foreach (var s in slabs) s.AddRef();
        _slabs = slabs;
    }

    public int Slabs => _slabs?.Length ?? 0;

    public void Dispose()
    {
        var slabs = Interlocked.Exchange(ref _slabs, null);
        if (slabs is null) return;
        foreach (var s in slabs) s.Release();
    }
}
