using Lookback.Imaging;
using SkiaSharp;

namespace Lookback.Tests.Imaging;

public class SkiaTests
{
    [Fact]
    public void SkiaSharp_native_library_loads_and_draws_text()
    {
        using var bmp = new SKBitmap(200, 50, SKColorType.Rgba8888, SKAlphaType.Premul);
        using (var canvas = new SKCanvas(bmp))
        {
            canvas.Clear(SKColors.Black);
            using var font = new SKFont(Overlay.Typeface, 24);
            using var paint = new SKPaint { Color = SKColors.White };
            canvas.DrawText("12:34:56", 5, 35, SKTextAlign.Left, font, paint);
        }
        Assert.True(Overlay.HasFont, "no font with glyphs found by fontconfig");
        var lit = 0;
        for (var y = 0; y < 50; y++) for (var x = 0; x < 200; x++) if (bmp.GetPixel(x, y).Red > 128) lit++;
        Assert.InRange(lit, 50, 5000);
    }

    [Fact]
    public void DrawTimestamp_draws_a_box_in_the_lower_left_only()
    {
        const int w = 640, h = 360;
        var px = new byte[w * h * 4];
        for (var i = 0; i < px.Length; i += 4) { px[i] = 200; px[i + 1] = 200; px[i + 2] = 200; px[i + 3] = 255; }
        var before = (byte[])px.Clone();
        Overlay.DrawTimestamp(px, w, h, w * 4, "2026-11-22 17:35:01");

        int Changed(int x0, int y0, int x1, int y1)
        {
            var n = 0;
            for (var y = y0; y < y1; y++) for (var x = x0; x < x1; x++) if (px[(y * w + x) * 4] != before[(y * w + x) * 4]) n++;
            return n;
        }
        Assert.Equal(0, Changed(0, 0, w, h / 2));            // top half untouched
        Assert.Equal(0, Changed(w / 2, 0, w, h));            // right half untouched
        Assert.True(Changed(0, h - h / 8, w / 2, h) > 1000); // box drawn
        // Text is white on a darker box: both brighter and darker pixels than the background exist there.
        var row = h - 20; var darker = 0; var whiter = 0;
        for (var y = h - 30; y < h - 8; y++)
        for (var x = 0; x < w / 2; x++) { var v = px[(y * w + x) * 4]; if (v < 150) darker++; if (v > 230) whiter++; }
        Assert.True(darker > 100 && whiter > 20, $"darker {darker} whiter {whiter} (row {row})");
        Assert.All(Enumerable.Range(0, w * h), i => Assert.Equal(255, px[i * 4 + 3]));
    }

    [Fact]
    public void DrawTimestamp_validates_buffers()
    {
        Assert.Throws<ArgumentException>(() => Overlay.DrawTimestamp(new byte[100], 10, 10, 40, "x"));
        Assert.Throws<ArgumentException>(() => Overlay.DrawTimestamp(new byte[400], 10, 10, 40, "x", PixelFormat.Rgb));
    }

    [Fact]
    public void DemoScene_is_a_pure_function_of_time()
    {
        using var a = new DemoScene();
        using var b = new DemoScene();
        var t = new DateTimeOffset(2026, 11, 22, 17, 35, 1, TimeSpan.Zero);
        var j1 = a.RenderJpeg(t, 768, 576, "Demo");
        var j2 = b.RenderJpeg(t, 768, 576, "Demo");
        Assert.Equal(j1, j2);
        Assert.True(Jpeg.TryReadHeader(j1, out var w, out var h));
        Assert.Equal((768, 576), (w, h));
        Assert.NotEqual(j1, a.RenderJpeg(t.AddMilliseconds(200), 768, 576, "Demo"));
        Assert.Equal(j1, a.RenderJpeg(t, 768, 576, "Demo"));
    }

    [Fact]
    public void DemoScene_shapes_move()
    {
        var t = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
        Assert.NotEqual(DemoScene.BallPosition(t, 768, 576), DemoScene.BallPosition(t.AddSeconds(0.5), 768, 576));
        var x0 = DemoScene.PersonX(t.AddSeconds(1), 768);
        var x1 = DemoScene.PersonX(t.AddSeconds(10), 768);
        Assert.True(x1 > x0 + 300);
        Assert.Equal(x0, DemoScene.PersonX(t.AddSeconds(21), 768), 3);   // every 20 s
        // Frames a second apart differ where the person walks (motion for the detector).
        using var scene = new DemoScene();
        var g0 = Jpeg.DecodeGray(scene.RenderJpeg(t.AddSeconds(5), 768, 576, "x"), 144).Span.ToArray();
        var g1 = Jpeg.DecodeGray(scene.RenderJpeg(t.AddSeconds(6), 768, 576, "x"), 144).Span.ToArray();
        var diff = g0.Zip(g1).Count(p => Math.Abs(p.First - p.Second) > 25);
        Assert.True(diff > 100, $"{diff} pixels changed");
    }

    [Fact]
    public void DemoScene_renders_fast()
    {
        using var scene = new DemoScene();
        var t = DateTimeOffset.UnixEpoch;
        scene.RenderJpeg(t, 768, 576, "Demo");
        var sw = System.Diagnostics.Stopwatch.StartNew();
        const int n = 20;
        for (var i = 0; i < n; i++) scene.RenderJpeg(t.AddMilliseconds(i * 200), 768, 576, "Demo");
        var ms = sw.Elapsed.TotalMilliseconds / n;
        Assert.True(ms < 40, $"{ms:F1} ms per frame");   // bench: well under 20 ms; loose bound for a shared CI box
    }
}
