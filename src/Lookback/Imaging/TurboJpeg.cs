using System.Runtime.InteropServices;

namespace Lookback.Imaging;

/// <summary>
/// P/Invoke surface of libjpeg-turbo's TurboJPEG 2.x API (libturbojpeg.so.0, the same soname on x64 and arm64).
/// <c>unsigned long</c> is 64-bit on LP64 Linux, hence <see cref="nuint"/>.
/// </summary>
internal static unsafe partial class TurboJpeg
{
    private const string Lib = "libturbojpeg.so.0";

    // Pixel formats (TJPF_*), sub-sampling (TJSAMP_*), flags (TJFLAG_*), error codes (TJERR_*).
    public const int TJPF_GRAY = 6;
    public const int TJSAMP_444 = 0, TJSAMP_422 = 1, TJSAMP_420 = 2, TJSAMP_GRAY = 3;
    public const int TJFLAG_FASTUPSAMPLE = 256, TJFLAG_NOREALLOC = 1024, TJFLAG_FASTDCT = 2048, TJFLAG_ACCURATEDCT = 4096;
    public const int TJERR_WARNING = 0, TJERR_FATAL = 1;

    [StructLayout(LayoutKind.Sequential)]
    public struct ScalingFactor { public int Num; public int Denom; }

    [LibraryImport(Lib)] public static partial IntPtr tjInitDecompress();
    [LibraryImport(Lib)] public static partial IntPtr tjInitCompress();
    [LibraryImport(Lib)] public static partial int tjDestroy(IntPtr handle);

    [LibraryImport(Lib)]
    public static partial int tjDecompressHeader3(IntPtr handle, byte* jpegBuf, nuint jpegSize,
        out int width, out int height, out int jpegSubsamp, out int jpegColorspace);

    [LibraryImport(Lib)]
    public static partial int tjDecompress2(IntPtr handle, byte* jpegBuf, nuint jpegSize, byte* dstBuf,
        int width, int pitch, int height, int pixelFormat, int flags);

    [LibraryImport(Lib)]
    public static partial int tjCompress2(IntPtr handle, byte* srcBuf, int width, int pitch, int height, int pixelFormat,
        byte** jpegBuf, nuint* jpegSize, int jpegSubsamp, int jpegQual, int flags);

    [LibraryImport(Lib)] public static partial nuint tjBufSize(int width, int height, int jpegSubsamp);
    [LibraryImport(Lib)] public static partial void tjFree(byte* buffer);
    [LibraryImport(Lib)] public static partial byte* tjGetErrorStr2(IntPtr handle);
    [LibraryImport(Lib)] public static partial int tjGetErrorCode(IntPtr handle);
    [LibraryImport(Lib)] public static partial ScalingFactor* tjGetScalingFactors(out int numScalingFactors);

    public static string ErrorString(IntPtr handle)
    {
        var p = tjGetErrorStr2(handle);
        return p == null ? "unknown TurboJPEG error" : Marshal.PtrToStringUTF8((IntPtr)p) ?? "unknown TurboJPEG error";
    }

    /// <summary>TJSCALED: the scaled dimension, rounded up.</summary>
    public static int Scaled(int dim, ScalingFactor sf) => (int)(((long)dim * sf.Num + sf.Denom - 1) / sf.Denom);

    private static ScalingFactor[]? _factors;

    /// <summary>Supported scaling factors &lt;= 1, largest first (1/1, 7/8, 3/4, ... 1/8).</summary>
    public static ScalingFactor[] DownscaleFactors => _factors ??= LoadFactors();

    private static ScalingFactor[] LoadFactors()
    {
        var p = tjGetScalingFactors(out var n);
        var list = new List<ScalingFactor>();
        if (p != null)
            for (var i = 0; i < n; i++)
                if (p[i].Num > 0 && p[i].Denom > 0 && p[i].Num <= p[i].Denom) list.Add(p[i]);
        if (list.Count == 0) list.Add(new ScalingFactor { Num = 1, Denom = 1 });
        list.Sort((a, b) => ((double)b.Num / b.Denom).CompareTo((double)a.Num / a.Denom));
        return [.. list];
    }
}

/// <summary>
/// Owns one TurboJPEG handle. Handles are not thread-safe: <see cref="Jpeg"/> keeps one decompressor and one
/// compressor per thread (lazily created, [ThreadStatic]); the handle is destroyed by the finalizer when the
/// thread dies and its reference goes away, so nothing leaks.
/// </summary>
internal sealed class TjHandle : SafeHandle
{
    private TjHandle() : base(IntPtr.Zero, ownsHandle: true) { }

    public override bool IsInvalid => handle == IntPtr.Zero;

    public static TjHandle Create(bool compress)
    {
        var h = new TjHandle();
        var raw = compress ? TurboJpeg.tjInitCompress() : TurboJpeg.tjInitDecompress();
        if (raw == IntPtr.Zero)
        {
            h.SetHandleAsInvalid();
            throw new JpegException("TurboJPEG: could not create a " + (compress ? "compressor" : "decompressor"));
        }
        h.SetHandle(raw);
        return h;
    }

    /// <summary>The raw pointer. Valid while this object is reachable (callers keep it alive with GC.KeepAlive).</summary>
    public IntPtr Raw => handle;

    protected override bool ReleaseHandle() => TurboJpeg.tjDestroy(handle) == 0;
}
