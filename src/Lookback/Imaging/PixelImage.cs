namespace Lookback.Imaging;

/// <summary>Pixel layouts; the values are TurboJPEG's TJPF_* constants.</summary>
public enum PixelFormat
{
    Rgb = 0, Bgr = 1, Rgbx = 2, Bgrx = 3, Gray = 6,
    /// <summary>8-bit R,G,B,A in memory order (SkiaSharp <c>Rgba8888</c>). Decoders write A = 255.</summary>
    Rgba = 7,
    /// <summary>8-bit B,G,R,A in memory order (SkiaSharp <c>Bgra8888</c>).</summary>
    Bgra = 8,
}

/// <summary>Chroma sub-sampling of an encoded JPEG (TJSAMP_* values).</summary>
public enum ChromaSubsampling { S444 = 0, S422 = 1, S420 = 2, Gray = 3 }

public static class PixelFormats
{
    public static int BytesPerPixel(this PixelFormat f) => f switch
    {
        PixelFormat.Gray => 1,
        PixelFormat.Rgb or PixelFormat.Bgr => 3,
        PixelFormat.Rgbx or PixelFormat.Bgrx or PixelFormat.Rgba or PixelFormat.Bgra => 4,
        _ => throw new ArgumentOutOfRangeException(nameof(f), f, "unsupported pixel format"),
    };
}

/// <summary>
/// A decoded image whose pixel buffer is reused across frames: pass it back as <c>reuse</c> and the decoder
/// only reallocates when the new image needs more bytes than <see cref="Pixels"/> holds.
/// Row <c>y</c> starts at <c>y * Stride</c>; <see cref="Pixels"/> may be longer than <c>Stride * Height</c>.
/// </summary>
public class PixelImage
{
    public PixelImage(int width, int height, PixelFormat format)
    {
        Format = format;
        Pixels = [];
        Reshape(width, height);
    }

    public byte[] Pixels { get; private set; }
    public int Width { get; private set; }
    public int Height { get; private set; }
    public int Stride { get; private set; }
    public PixelFormat Format { get; }
    public int BytesPerPixel => Format.BytesPerPixel();

    /// <summary>
    /// libjpeg's warning when the last decode succeeded only partly (e.g. "Premature end of JPEG file": the
    /// missing rows are flat gray). Null for a clean decode. Motion analysis should skip such frames.
    /// </summary>
    public string? Warning { get; internal set; }

    /// <summary>The scale the last decode used relative to the JPEG (e.g. 1/4 → Numerator 1, Denominator 4).</summary>
    public int ScaleNumerator { get; internal set; } = 1;
    public int ScaleDenominator { get; internal set; } = 1;

    /// <summary>The bytes of the image (Stride * Height).</summary>
    public Span<byte> Span => Pixels.AsSpan(0, Stride * Height);
    public Span<byte> Row(int y) => Pixels.AsSpan(y * Stride, Width * BytesPerPixel);

    /// <summary>Sets the size (tight stride), growing <see cref="Pixels"/> only when it is too small.</summary>
    public void Reshape(int width, int height)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(width);
        ArgumentOutOfRangeException.ThrowIfNegative(height);
        var stride = checked(width * Format.BytesPerPixel());
        var need = checked(stride * height);
        if (Pixels.Length < need) Pixels = GC.AllocateUninitializedArray<byte>(need);
        Width = width; Height = height; Stride = stride;
        Warning = null;
    }
}

/// <summary>An 8-bit gray image (one byte per pixel), e.g. for motion analysis.</summary>
public sealed class GrayImage(int width = 0, int height = 0) : PixelImage(width, height, PixelFormat.Gray);

/// <summary>A JPEG could not be read or written. The message is TurboJPEG's own error string where there is one.</summary>
public sealed class JpegException(string message) : Exception(message);
