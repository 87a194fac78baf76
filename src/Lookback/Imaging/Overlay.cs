using SkiaSharp;

namespace Lookback.Imaging;

/// <summary>Text drawn onto frames before they are encoded (e.g. the capture time on GIF frames).</summary>
public static unsafe class Overlay
{
    private static SKTypeface? _typeface;

    /// <summary>A monospaced bold face when one is installed (DejaVu Sans Mono, Noto Sans Mono, ...), else Skia's default.</summary>
    internal static SKTypeface Typeface => _typeface ??= PickTypeface();

    private static SKTypeface PickTypeface()
    {
        foreach (var family in (string[])["DejaVu Sans Mono", "Noto Sans Mono", "Liberation Mono", "monospace"])
        {
            var tf = SKTypeface.FromFamilyName(family, SKFontStyle.Bold);
            if (tf is not null && tf.GlyphCount > 0) return tf;
        }
        return SKTypeface.Default;
    }

    /// <summary>True when a typeface with glyphs was found (fontconfig fonts installed); without one text is not drawn.</summary>
    public static bool HasFont => Typeface.GlyphCount > 0;

    /// <summary>
    /// Draws <paramref name="text"/> (e.g. <c>2026-11-22 17:35:01</c>) into the lower-left corner of an RGBA (or BGRA)
    /// frame, white on a dark translucent box. Changes only the pixels under the box. <paramref name="fontSize"/>
    /// defaults to height/24 (at least 10 px).
    /// </summary>
    public static void DrawTimestamp(Span<byte> pixels, int width, int height, int stride, string text,
        PixelFormat format = PixelFormat.Rgba, float fontSize = 0)
    {
        if (format is not (PixelFormat.Rgba or PixelFormat.Bgra)) throw new ArgumentException("RGBA or BGRA pixels only", nameof(format));
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        if (stride < width * 4) throw new ArgumentOutOfRangeException(nameof(stride));
        if (pixels.Length < (long)stride * (height - 1) + width * 4) throw new ArgumentException("pixel buffer too short", nameof(pixels));
        if (string.IsNullOrEmpty(text)) return;
        var ct = format == PixelFormat.Rgba ? SKColorType.Rgba8888 : SKColorType.Bgra8888;
        fixed (byte* p = pixels)
        {
            using var surface = SKSurface.Create(new SKImageInfo(width, height, ct, SKAlphaType.Premul), (IntPtr)p, stride)
                ?? throw new InvalidOperationException("SkiaSharp could not wrap the pixels");
            DrawLabel(surface.Canvas, text, fontSize > 0 ? fontSize : Math.Max(10f, height / 24f), bottomLeft: true, width, height);
        }
    }

    /// <summary>Draws the label in the lower-left (or upper-left) corner of a canvas of the given size.</summary>
    internal static void DrawLabel(SKCanvas canvas, string text, float size, bool bottomLeft, int width, int height)
    {
        using var font = new SKFont(Typeface, size) { Edging = SKFontEdging.Antialias };
        using var box = new SKPaint { Color = new SKColor(0, 0, 0, 140), IsAntialias = false };
        using var ink = new SKPaint { Color = SKColors.White, IsAntialias = true };
        var metrics = font.Metrics;
        var textWidth = font.MeasureText(text);
        var pad = MathF.Round(size * 0.3f);
        var margin = MathF.Round(size * 0.4f);
        var boxH = MathF.Ceiling(-metrics.Ascent + metrics.Descent + 2 * pad);
        var boxW = MathF.Ceiling(textWidth + 2 * pad);
        var top = bottomLeft ? height - margin - boxH : margin;
        var rect = SKRect.Create(margin, top, Math.Min(boxW, width - margin), boxH);
        canvas.DrawRect(rect, box);
        canvas.DrawText(text, margin + pad, top + pad - metrics.Ascent, SKTextAlign.Left, font, ink);
    }
}
