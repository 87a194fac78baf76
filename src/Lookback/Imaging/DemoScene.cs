using System.Globalization;
using SkiaSharp;

namespace Lookback.Imaging;

/// <summary>
/// A deterministic test scene for demo cameras: sky, ground and a house, a bouncing ball, a drifting cloud,
/// a "person" walking across every 20 s, and a clock with the camera title. Every position is a pure function
/// of the time, so a given time always renders the same picture. One instance keeps its drawing surface and the
/// static backdrop between frames; calls on one instance are serialised (use one instance per camera).
/// </summary>
public sealed unsafe class DemoScene : IDisposable
{
    public static readonly TimeSpan PersonPeriod = TimeSpan.FromSeconds(20);
    private readonly object _gate = new();
    private SKSurface? _surface;
    private SKImage? _backdrop;
    private int _w, _h;

    /// <summary>Renders the scene at time <paramref name="t"/> and encodes it as a JPEG.</summary>
    public byte[] RenderJpeg(DateTimeOffset t, int width, int height, string title, int quality = 80)
    {
        lock (_gate)
        {
            Render(t, width, height, title);
            using var pm = _surface!.PeekPixels();
            var span = new ReadOnlySpan<byte>((void*)pm.GetPixels(), pm.RowBytes * height);
            return Jpeg.Encode(span, width, height, pm.RowBytes, PixelFormat.Rgba, quality);
        }
    }

    /// <summary>Renders into <paramref name="dst"/> (RGBA, resized to width x height) instead of encoding.</summary>
    public void RenderPixels(DateTimeOffset t, int width, int height, string title, PixelImage dst)
    {
        if (dst.Format != PixelFormat.Rgba) throw new ArgumentException("RGBA image expected", nameof(dst));
        lock (_gate)
        {
            Render(t, width, height, title);
            dst.Reshape(width, height);
            fixed (byte* p = dst.Pixels)
                _surface!.ReadPixels(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Premul), (IntPtr)p, dst.Stride, 0, 0);
        }
    }

    /// <summary>Centre of the ball at time t, in pixels (pure).</summary>
    public static (float X, float Y) BallPosition(DateTimeOffset t, int width, int height)
    {
        var s = Seconds(t);
        var r = Math.Max(4f, height / 24f);
        var across = Triangle(s / 7.0);                       // left → right → left every 14 s
        var bounce = Math.Abs(Math.Sin(Math.PI * s / 1.6));    // one bounce every 1.6 s
        var ground = height * 0.80f;
        var x = (float)(width * 0.55 + across * (width * 0.40 - r));
        var y = (float)(ground - r - bounce * height * 0.25);
        return (x, y);
    }

    /// <summary>Left edge of the walking person at time t (pure); outside the frame for part of each 20 s period.</summary>
    public static float PersonX(DateTimeOffset t, int width)
    {
        var phase = Seconds(t) % PersonPeriod.TotalSeconds / PersonPeriod.TotalSeconds;   // 0..1
        return (float)(-width * 0.15 + phase * width * 1.3);
    }

    private static double Seconds(DateTimeOffset t) => t.ToUnixTimeMilliseconds() % 86_400_000 / 1000.0;
    private static double Triangle(double x) { var f = x - Math.Floor(x / 2) * 2; return f < 1 ? f : 2 - f; }

    private void Render(DateTimeOffset t, int width, int height, string title)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 16);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 16);
        if (_surface is null || _w != width || _h != height)
        {
            _surface?.Dispose(); _backdrop?.Dispose();
            _surface = SKSurface.Create(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Premul))
                ?? throw new InvalidOperationException("SkiaSharp could not create a surface");
            _w = width; _h = height;
            _backdrop = DrawBackdrop(width, height);
        }
        var c = _surface.Canvas;
        using (var copy = new SKPaint { BlendMode = SKBlendMode.Src })
            c.DrawImage(_backdrop, 0, 0, SKSamplingOptions.Default, copy);                       // replaces every pixel of the last frame
        using var paint = new SKPaint { IsAntialias = true };

        // Cloud drifting slowly (period 60 s).
        var s = Seconds(t);
        var cx = (float)(((s % 60) / 60) * (width * 1.4) - width * 0.2);
        paint.Color = new SKColor(255, 255, 255, 220);
        var cr = height / 16f;
        c.DrawCircle(cx, height * 0.16f, cr, paint);
        c.DrawCircle(cx + cr, height * 0.14f, cr * 1.2f, paint);
        c.DrawCircle(cx + cr * 2.1f, height * 0.16f, cr, paint);

        // Bouncing ball.
        var (bx, by) = BallPosition(t, width, height);
        paint.Color = new SKColor(220, 40, 40);
        c.DrawCircle(bx, by, Math.Max(4f, height / 24f), paint);

        // Walking person: body, head, two swinging legs.
        var px = PersonX(t, width);
        var ph = height * 0.22f; var pw = ph * 0.3f; var feet = height * 0.86f;
        paint.Color = new SKColor(30, 60, 140);
        c.DrawRect(SKRect.Create(px, feet - ph, pw, ph * 0.55f), paint);
        paint.Color = new SKColor(240, 200, 160);
        c.DrawCircle(px + pw / 2, feet - ph - pw * 0.45f, pw * 0.45f, paint);
        paint.Color = new SKColor(40, 40, 40);
        paint.StrokeWidth = Math.Max(2f, pw * 0.25f);
        paint.Style = SKPaintStyle.Stroke;
        var swing = (float)Math.Sin(s * Math.PI * 2) * pw * 0.5f;
        c.DrawLine(px + pw * 0.3f, feet - ph * 0.45f, px + pw * 0.3f + swing, feet, paint);
        c.DrawLine(px + pw * 0.7f, feet - ph * 0.45f, px + pw * 0.7f - swing, feet, paint);
        paint.Style = SKPaintStyle.Fill;

        // Clock and title, top left.
        var clock = t.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture);
        var label = string.IsNullOrEmpty(title) ? clock : title + "  " + clock;
        Overlay.DrawLabel(c, label, Math.Max(10f, height / 26f), bottomLeft: false, width, height);
        c.Flush();
    }

    private static SKImage DrawBackdrop(int width, int height)
    {
        using var surface = SKSurface.Create(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Premul));
        var c = surface.Canvas;
        c.Clear(new SKColor(80, 150, 70));                                // opaque everywhere, also under anti-aliased edges
        var horizon = height * 0.62f;
        using (var sky = new SKPaint())
        {
            sky.Shader = SKShader.CreateLinearGradient(new SKPoint(0, 0), new SKPoint(0, horizon),
                [new SKColor(70, 130, 200), new SKColor(190, 220, 245)], SKShaderTileMode.Clamp);
            c.DrawRect(0, 0, width, horizon, sky);
        }
        using var paint = new SKPaint { IsAntialias = true };
        paint.Color = new SKColor(80, 150, 70);
        c.DrawRect(0, horizon, width, height - horizon, paint);
        paint.Color = new SKColor(150, 140, 120);                         // path
        c.DrawRect(0, height * 0.84f, width, height * 0.05f, paint);
        // House: body, roof, door, window.
        float hx = width * 0.08f, hw = width * 0.28f, hh = height * 0.26f, hb = horizon + height * 0.08f;
        paint.Color = new SKColor(200, 170, 130);
        c.DrawRect(hx, hb - hh, hw, hh, paint);
        using (var builder = new SKPathBuilder())
        {
            builder.MoveTo(hx - hw * 0.08f, hb - hh);
            builder.LineTo(hx + hw / 2, hb - hh - hh * 0.6f);
            builder.LineTo(hx + hw * 1.08f, hb - hh);
            builder.Close();
            using var roof = builder.Detach();
            paint.Color = new SKColor(150, 50, 40);
            c.DrawPath(roof, paint);
        }
        paint.Color = new SKColor(90, 60, 40);
        c.DrawRect(hx + hw * 0.15f, hb - hh * 0.55f, hw * 0.18f, hh * 0.55f, paint);
        paint.Color = new SKColor(230, 240, 250);
        c.DrawRect(hx + hw * 0.55f, hb - hh * 0.75f, hw * 0.3f, hh * 0.3f, paint);
        // A tree.
        paint.Color = new SKColor(100, 70, 40);
        c.DrawRect(width * 0.85f, horizon - height * 0.12f, width * 0.02f, height * 0.14f, paint);
        paint.Color = new SKColor(40, 110, 50);
        c.DrawCircle(width * 0.86f, horizon - height * 0.16f, height * 0.08f, paint);
        return surface.Snapshot();
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _surface?.Dispose(); _backdrop?.Dispose();
            _surface = null; _backdrop = null;
        }
    }
}
