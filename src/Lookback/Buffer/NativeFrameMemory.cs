using System.Buffers;
using System.Runtime.InteropServices;

namespace Lookback.Buffer;

/// <summary>
/// Anonymous private page mappings from libc (<c>mmap</c>/<c>munmap</c>/<c>madvise</c>), resolved at run time from the
/// process's global symbol scope (glibc or musl alike). Only on 64-bit Linux; elsewhere <see cref="IsSupported"/> is false.
/// </summary>
internal static unsafe class PageMemory
{
    private const int ProtRead = 1, ProtWrite = 2;
    private const int MapPrivate = 0x02, MapAnonymous = 0x20;      // the same on x86-64, arm64 and arm
    private const int MadvDontNeed = 4, MadvPopulateWrite = 23;    // POPULATE_WRITE: Linux 5.14+

    private static delegate* unmanaged<nint, nuint, int, int, int, nint, nint> s_mmap;   // set once in the static constructor
    private static delegate* unmanaged<nint, nuint, int> s_munmap;
    private static delegate* unmanaged<nint, nuint, int, int> s_madvise;
    private static delegate* unmanaged<nint, nuint, byte*, int> s_mincore;   // optional (diagnostics and tests)
    private static int s_populateBroken;

    static PageMemory()
    {
        PageSize = Environment.SystemPageSize;
        if (!OperatingSystem.IsLinux() || !Environment.Is64BitProcess) return;
        if (RuntimeInformation.ProcessArchitecture is not (Architecture.X64 or Architecture.Arm64)) return;
        try
        {
            if (!Resolve(NativeLibrary.GetMainProgramHandle()) && NativeLibrary.TryLoad("libc.so.6", out var libc)) Resolve(libc);
        }
        catch (Exception) { s_mmap = null; }
        IsSupported = s_mmap != null && s_munmap != null && s_madvise != null && PageSize is >= 4096 and <= 1 << 20;

        static bool Resolve(nint lib)
        {
            if (!NativeLibrary.TryGetExport(lib, "mmap", out var m) || !NativeLibrary.TryGetExport(lib, "munmap", out var u)
                || !NativeLibrary.TryGetExport(lib, "madvise", out var a)) return false;
            s_mmap = (delegate* unmanaged<nint, nuint, int, int, int, nint, nint>)m;
            s_munmap = (delegate* unmanaged<nint, nuint, int>)u;
            s_madvise = (delegate* unmanaged<nint, nuint, int, int>)a;
            if (NativeLibrary.TryGetExport(lib, "mincore", out var c)) s_mincore = (delegate* unmanaged<nint, nuint, byte*, int>)c;
            return true;
        }
    }

    public static bool IsSupported { get; }
    public static int PageSize { get; }

    public static long RoundUp(long bytes) => (bytes + PageSize - 1) & ~(long)(PageSize - 1);

    /// <summary>A new zero-filled read/write mapping of <paramref name="bytes"/> (a page multiple), or 0 on failure.</summary>
    public static nint Map(long bytes)
    {
        var p = s_mmap(0, (nuint)bytes, ProtRead | ProtWrite, MapPrivate | MapAnonymous, -1, 0);
        return p == -1 ? 0 : p;
    }

    public static bool Unmap(nint p, long bytes) => s_munmap(p, (nuint)bytes) == 0;

    /// <summary>Drops the pages now (RSS falls at once); the range stays mapped and reads as zeros until written.</summary>
    public static bool DontNeed(nint p, long bytes) => s_madvise(p, (nuint)bytes, MadvDontNeed) == 0;

    /// <summary>Resident pages in a mapped range (mincore), or -1 when unknown.</summary>
    public static int ResidentPages(nint p, long bytes)
    {
        if (s_mincore == null) return -1;
        var pages = (int)((bytes + PageSize - 1) / PageSize);
        var vec = new byte[pages];
        fixed (byte* v = vec)
            if (s_mincore(p, (nuint)bytes, v) != 0) return -1;
        var n = 0;
        foreach (var b in vec) n += b & 1;
        return n;
    }

    /// <summary>Faults in the range for writing in one call (instead of one fault per page). False when unsupported.</summary>
    public static bool Populate(nint p, long bytes)
    {
        if (Volatile.Read(ref s_populateBroken) != 0) return false;
        if (s_madvise(p, (nuint)bytes, MadvPopulateWrite) == 0) return true;
        if (Marshal.GetLastSystemError() == 22) Volatile.Write(ref s_populateBroken, 1);   // EINVAL: kernel before 5.14
        return false;
    }
}

/// <summary>
/// One page mapping owned by a <see cref="FramePool"/>: in use by one frame, or in the pool's quarantine (pages
/// dropped, still mapped) waiting to be reused for a frame of a fitting size or to be unmapped once idle.
/// </summary>
internal sealed class NativeMapping(nint pointer, long capacity, int sizeClass)
{
    public readonly nint Pointer = pointer;
    /// <summary>Mapped bytes (a page multiple). Only the pages a frame writes become resident.</summary>
    public readonly long Capacity = capacity;
    /// <summary>The pool size class it serves, or -1 for an unpooled size (never reused).</summary>
    public readonly int SizeClass = sizeClass;
    /// <summary>Environment.TickCount64 when it entered the quarantine.</summary>
    public long FreedAt;
    // Quarantine links: within its size class (head = most recently freed) and across all (head newest, tail oldest).
    public NativeMapping? ClassPrev, ClassNext, AgePrev, AgeNext;
}

/// <summary>
/// The bytes of one native-backed <see cref="Frame"/>, for <see cref="Frame.Jpeg"/>: one instance per frame lifetime
/// (never reused), so a <see cref="Memory{T}"/> kept past the frame's release throws on <c>.Span</c> instead of showing
/// another frame's bytes. <see cref="Pin"/> takes a frame reference (the pages stay valid until the handle is disposed).
/// </summary>
internal sealed unsafe class NativeFrameMemory : MemoryManager<byte>
{
    private readonly byte* _pointer;
    private readonly int _length;
    private readonly Frame _owner;
    private volatile bool _released;

    public NativeFrameMemory(NativeMapping mapping, int length, Frame owner)
    {
        Mapping = mapping; _pointer = (byte*)mapping.Pointer; _length = length; _owner = owner;
    }

    public NativeMapping Mapping { get; }

    public ReadOnlyMemory<byte> Bytes => CreateMemory(_length);

    /// <summary>Called by the frame on its final release, before the pages are dropped.</summary>
    public void MarkReleased() => _released = true;

    public override Span<byte> GetSpan()
    {
        if (_released) throw new ObjectDisposedException(nameof(Frame), "the frame was released");
        return new Span<byte>(_pointer, _length);
    }

    public override MemoryHandle Pin(int elementIndex = 0)
    {
        if ((uint)elementIndex > (uint)_length) throw new ArgumentOutOfRangeException(nameof(elementIndex));
        _owner.AddRef();                                   // throws ObjectDisposedException once released
        return new MemoryHandle(_pointer + elementIndex, default, this);
    }

    public override void Unpin() => _owner.Release();

    protected override void Dispose(bool disposing) { }    // the frame owns the pages
}
