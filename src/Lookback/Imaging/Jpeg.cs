using System.Runtime.CompilerServices;
using static Lookback.Imaging.TurboJpeg;

namespace Lookback.Imaging;

/// <summary>
/// JPEG decode, scaled decode and encode through libjpeg-turbo's TurboJPEG API (libturbojpeg.so.0).
/// Thread-safe: each thread uses its own lazily created TurboJPEG handles.
/// Corrupt input throws <see cref="JpegException"/> (never an access violation: lengths and sizes are checked).
/// </summary>
public static unsafe class Jpeg
{
    /// <summary>Largest decoded image accepted (pixels), so a hostile header cannot make us allocate gigabytes.</summary>
    public const long MaxDecodedPixels = 120_000_000;

    [ThreadStatic] private static TjHandle? _decompressor;
    [ThreadStatic] private static TjHandle? _compressor;

    private static TjHandle Decompressor => _decompressor ??= TjHandle.Create(compress: false);
    private static TjHandle Compressor => _compressor ??= TjHandle.Create(compress: true);

    /// <summary>
    /// After a failed call a TurboJPEG handle can keep state from the bad stream (seen: a later valid JPEG failing
    /// with "Bogus Huffman table definition"), so the handle is dropped and the next call gets a fresh one.
    /// </summary>
    private static JpegException Fail(TjHandle handle, bool compress)
    {
        var ex = new JpegException(ErrorString(handle.Raw));
        if (compress) _compressor = null; else _decompressor = null;
        handle.Dispose();
        return ex;
    }

    /// <summary>Reads width and height from the JPEG header; false when it is not a decodable JPEG header.</summary>
    public static bool TryReadHeader(ReadOnlySpan<byte> jpeg, out int width, out int height)
    {
        width = height = 0;
        if (!LooksLikeJpeg(jpeg)) return false;
        var h = Decompressor;
        int r, w, hh;
        fixed (byte* p = jpeg) r = tjDecompressHeader3(h.Raw, p, (nuint)jpeg.Length, out w, out hh, out _, out _);
        if (r != 0) { Fail(h, compress: false); return false; }
        GC.KeepAlive(h);
        if (w <= 0 || hh <= 0) return false;
        width = w; height = hh;
        return true;
    }

    /// <summary>
    /// Decodes straight to 8-bit gray at the smallest of the scales 1/1, 1/2, 1/4, 1/8 whose height stays
    /// &gt;= <paramref name="minHeight"/> (1/1 when the JPEG is already smaller). Allocation-free when
    /// <paramref name="reuse"/> is big enough; returns <paramref name="reuse"/> (or a new image).
    /// </summary>
    public static GrayImage DecodeGray(ReadOnlySpan<byte> jpeg, int minHeight, GrayImage? reuse = null)
    {
        // Measured (libjpeg-turbo 2.1.5, 768x576 4:2:0 q80 ~80 KB, bench `decodestudy`): ~85-90 % of this call is Huffman
        // decoding, which covers all components (interleaved scan); Cb/Cr are parsed but neither IDCT'd nor upsampled for
        // TJPF_GRAY. At 1/4 the reduced 2x2 IDCT ignores FASTDCT, FASTUPSAMPLE has nothing to do, and the separate
        // header parse costs < 1 µs: the cost follows the compressed size (q50 ~33 KB: about half).
        var (w, h) = Header(jpeg);
        var sf = PickPowerOfTwo(h, Math.Max(1, minHeight), 8);
        var dst = reuse ?? new GrayImage();
        DecodeInto(jpeg, w, h, sf, dst, TJFLAG_FASTDCT);
        return dst;
    }

    /// <summary>
    /// Decodes to colour pixels at scale 1/<paramref name="scaleDenominator"/> (1, 2, 4 or 8).
    /// <paramref name="reuse"/> must have the same <paramref name="format"/>.
    /// </summary>
    public static PixelImage DecodeRgb(ReadOnlySpan<byte> jpeg, int scaleDenominator = 1, PixelFormat format = PixelFormat.Rgba,
        PixelImage? reuse = null)
    {
        if (scaleDenominator is not (1 or 2 or 4 or 8))
            throw new ArgumentOutOfRangeException(nameof(scaleDenominator), scaleDenominator, "1, 2, 4 or 8");
        var (w, h) = Header(jpeg);
        var dst = Target(reuse, format);
        DecodeInto(jpeg, w, h, new ScalingFactor { Num = 1, Denom = scaleDenominator }, dst, TJFLAG_FASTUPSAMPLE);
        return dst;
    }

    /// <summary>
    /// Decodes to colour pixels at the smallest TurboJPEG scale (M/8 steps: 1/1, 7/8, 3/4 ... 1/8) whose width
    /// stays &gt;= <paramref name="minWidth"/> — the cheapest decode to resample to <paramref name="minWidth"/> from.
    /// </summary>
    public static PixelImage DecodeForWidth(ReadOnlySpan<byte> jpeg, int minWidth, PixelFormat format = PixelFormat.Rgba,
        PixelImage? reuse = null)
    {
        var (w, h) = Header(jpeg);
        var sf = PickAny(w, Math.Max(1, minWidth));
        var dst = Target(reuse, format);
        DecodeInto(jpeg, w, h, sf, dst, 0);
        return dst;
    }

    /// <summary>Encodes pixels to a JPEG (4:2:0 by default; gray input encodes a gray JPEG). Quality 1..100.</summary>
    public static byte[] Encode(ReadOnlySpan<byte> pixels, int width, int height, int stride, PixelFormat format, int quality = 85,
        ChromaSubsampling subsampling = ChromaSubsampling.S420)
    {
        if (width <= 0 || height <= 0 || width > 65500 || height > 65500)
            throw new ArgumentOutOfRangeException(nameof(width), $"{width}x{height}: JPEG sizes are 1..65500");
        ArgumentOutOfRangeException.ThrowIfLessThan(quality, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(quality, 100);
        var bpp = format.BytesPerPixel();
        if (stride < width * bpp) throw new ArgumentOutOfRangeException(nameof(stride), stride, $"less than width * {bpp}");
        if (pixels.Length < (long)stride * (height - 1) + (long)width * bpp)
            throw new ArgumentException($"{pixels.Length} bytes is too short for {width}x{height} stride {stride}", nameof(pixels));
        var samp = format == PixelFormat.Gray ? TJSAMP_GRAY : (int)subsampling;

        var h = Compressor;
        byte* outBuf = null;
        nuint outSize = 0;
        try
        {
            int r;
            fixed (byte* src = pixels)
                r = tjCompress2(h.Raw, src, width, stride, height, (int)format, &outBuf, &outSize, samp, quality, TJFLAG_FASTDCT);
            if (r != 0) throw Fail(h, compress: true);
            if (outBuf == null || outSize == 0 || outSize > int.MaxValue) throw new JpegException("TurboJPEG returned no data");
            var result = GC.AllocateUninitializedArray<byte>((int)outSize);
            new ReadOnlySpan<byte>(outBuf, (int)outSize).CopyTo(result);
            return result;
        }
        finally
        {
            if (outBuf != null) tjFree(outBuf);
            GC.KeepAlive(h);
        }
    }

    /// <summary>Encodes a decoded image.</summary>
    public static byte[] Encode(PixelImage image, int quality = 85, ChromaSubsampling subsampling = ChromaSubsampling.S420) =>
        Encode(image.Span, image.Width, image.Height, image.Stride, image.Format, quality, subsampling);

    /// <summary>
    /// Re-encodes so that the width is exactly <paramref name="maxWidth"/> (aspect kept); returns a copy of the
    /// input when it is already that narrow. Decodes at the largest TurboJPEG reduction that keeps the width
    /// &gt;= maxWidth, then resamples (area average) to maxWidth.
    /// </summary>
    public static byte[] Resize(ReadOnlySpan<byte> jpeg, int maxWidth, int quality = 85)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxWidth, 1);
        var (w, h) = Header(jpeg);
        if (w <= maxWidth) return jpeg.ToArray();
        var img = ResampleToWidth(jpeg, w, h, maxWidth);
        return Encode(img, quality);
    }

    /// <summary>
    /// Makes a JPEG fit an MQTT payload: at most <paramref name="maxWidth"/> wide and <paramref name="maxBytes"/> long.
    /// Returns the input (copied) when it already fits; otherwise lowers quality 85, 70, 55, 40, 25 and then the
    /// width (by 3/4 steps) until it fits. Throws <see cref="JpegException"/> when even 64 px at quality 25 does not.
    /// </summary>
    public static byte[] FitForMqtt(ReadOnlySpan<byte> jpeg, int maxWidth = 640, int maxBytes = 256 * 1024)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxWidth, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxBytes, 1);
        var (w, h) = Header(jpeg);
        if (w <= maxWidth && jpeg.Length <= maxBytes) return jpeg.ToArray();
        ReadOnlySpan<int> qualities = [85, 70, 55, 40, 25];
        var width = Math.Min(w, maxWidth);
        while (true)
        {
            var img = width == w ? DecodeRgb(jpeg, 1, PixelFormat.Rgba) : ResampleToWidth(jpeg, w, h, width);
            foreach (var q in qualities)
            {
                var bytes = Encode(img, q);
                if (bytes.Length <= maxBytes) return bytes;
            }
            if (width <= 64) throw new JpegException($"cannot fit a {w}x{h} JPEG into {maxBytes} bytes");
            width = Math.Max(64, width * 3 / 4);
        }
    }

    /// <summary>Decodes with TurboJPEG scaling, then resamples to exactly <paramref name="width"/> (RGBA).</summary>
    internal static PixelImage ResampleToWidth(ReadOnlySpan<byte> jpeg, int w, int h, int width)
    {
        var height = Math.Max(1, (int)Math.Round((double)h * width / w));
        var src = DecodeForWidth(jpeg, width, PixelFormat.Rgba);
        if (src.Width == width && src.Height == height) return src;
        var dst = new PixelImage(width, height, PixelFormat.Rgba);
        Resample(src, dst);
        return dst;
    }

    /// <summary>Resamples <paramref name="src"/> into <paramref name="dst"/> (same 4-byte format, e.g. RGBA) with an area-average filter.</summary>
    public static void Resample(PixelImage src, PixelImage dst)
    {
        if (src.Format != dst.Format || src.BytesPerPixel != 4)
            throw new ArgumentException("Resample needs 4-byte images (RGBA, BGRA, RGBX, BGRX) of the same format");
        if (src.Width < 1 || src.Height < 1 || dst.Width < 1 || dst.Height < 1) throw new ArgumentException("empty image");
        AreaResampler.Resample4(src, dst);
    }

    // ---------------------------------------------------------------------------------------------------------

    private static bool LooksLikeJpeg(ReadOnlySpan<byte> jpeg) => jpeg.Length >= 4 && jpeg[0] == 0xFF && jpeg[1] == 0xD8;

    private static (int W, int H) Header(ReadOnlySpan<byte> jpeg)
    {
        if (jpeg.IsEmpty) throw new JpegException("empty JPEG");
        if (!LooksLikeJpeg(jpeg)) throw new JpegException("not a JPEG (no SOI marker)");
        var h = Decompressor;
        int r, w, hh;
        fixed (byte* p = jpeg) r = tjDecompressHeader3(h.Raw, p, (nuint)jpeg.Length, out w, out hh, out _, out _);
        try
        {
            if (r != 0) throw Fail(h, compress: false);
            if (w <= 0 || hh <= 0) throw new JpegException($"bad JPEG size {w}x{hh}");
            return (w, hh);
        }
        finally { GC.KeepAlive(h); }
    }

    private static PixelImage Target(PixelImage? reuse, PixelFormat format)
    {
        if (reuse is null) return new PixelImage(0, 0, format);
        if (reuse.Format != format) throw new ArgumentException($"reuse image is {reuse.Format}, not {format}", nameof(reuse));
        return reuse;
    }

    /// <summary>Smallest of 1/1, 1/2 .. 1/maxDenom whose scaled <paramref name="dim"/> stays >= min.</summary>
    private static ScalingFactor PickPowerOfTwo(int dim, int min, int maxDenom)
    {
        var best = new ScalingFactor { Num = 1, Denom = 1 };
        for (var d = 2; d <= maxDenom; d *= 2)
        {
            var sf = new ScalingFactor { Num = 1, Denom = d };
            if (Scaled(dim, sf) >= min) best = sf; else break;
        }
        return best;
    }

    /// <summary>Smallest supported factor &lt;= 1 whose scaled <paramref name="dim"/> stays >= min.</summary>
    private static ScalingFactor PickAny(int dim, int min)
    {
        var best = new ScalingFactor { Num = 1, Denom = 1 };
        foreach (var sf in DownscaleFactors)   // largest first
        {
            if (Scaled(dim, sf) >= min) best = sf; else break;
        }
        return best;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void DecodeInto(ReadOnlySpan<byte> jpeg, int w, int h, ScalingFactor sf, PixelImage dst, int flags)
    {
        int sw = Scaled(w, sf), sh = Scaled(h, sf);
        if ((long)sw * sh > MaxDecodedPixels) throw new JpegException($"JPEG too large to decode: {sw}x{sh}");
        dst.Reshape(sw, sh);
        dst.ScaleNumerator = sf.Num; dst.ScaleDenominator = sf.Denom;
        var handle = Decompressor;
        try
        {
            int r;
            fixed (byte* src = jpeg)
            fixed (byte* p = dst.Pixels)
                // With width/height = the scaled size TurboJPEG picks exactly this scaling factor; the buffer holds Stride*sh bytes.
                r = tjDecompress2(handle.Raw, src, (nuint)jpeg.Length, p, sw, dst.Stride, sh, (int)dst.Format, flags);
            if (r != 0)
            {
                if (tjGetErrorCode(handle.Raw) != TJERR_WARNING) throw Fail(handle, compress: false);
                dst.Warning = Fail(handle, compress: false).Message;   // usable picture, but start the next one clean
            }
        }
        finally { GC.KeepAlive(handle); }
    }
}
