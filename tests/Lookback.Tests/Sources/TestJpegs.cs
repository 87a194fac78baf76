using System.Collections.Concurrent;
using SkiaSharp;

namespace Lookback.Tests.Sources;

/// <summary>Real JPEGs for tests, encoded with SkiaSharp and cached per (width, height, seed, quality).</summary>
public static class TestJpegs
{
    private static readonly ConcurrentDictionary<(int, int, int, int), byte[]> Cache = new();

    /// <summary>A baseline JPEG of the given size; different seeds give different pictures (and bytes).</summary>
    public static byte[] Make(int width = 320, int height = 240, int seed = 0, int quality = 80) =>
        Cache.GetOrAdd((width, height, seed, quality), static k =>
        {
            var (w, h, seed, q) = k;
            using var bmp = new SKBitmap(w, h);
            using (var canvas = new SKCanvas(bmp))
            {
                using var shader = SKShader.CreateLinearGradient(new SKPoint(0, 0), new SKPoint(w, h),
                    [new SKColor((byte)(seed * 37), 80, 160), new SKColor(240, (byte)(seed * 91), 40)], SKShaderTileMode.Clamp);
                using var paint = new SKPaint { Shader = shader };
                canvas.DrawRect(0, 0, w, h, paint);
                var rnd = new Random(seed);
                using var box = new SKPaint { Color = new SKColor((byte)rnd.Next(256), (byte)rnd.Next(256), (byte)rnd.Next(256)) };
                for (var i = 0; i < 12; i++)
                    canvas.DrawRect(rnd.Next(w), rnd.Next(h), rnd.Next(8, Math.Max(9, w / 4)), rnd.Next(8, Math.Max(9, h / 4)), box);
                // fine noise so that sizes are realistic for camera pictures
                for (var y = 0; y < h; y += 2)
                for (var x = 0; x < w; x += 2)
                    if (rnd.Next(3) == 0) bmp.SetPixel(x, y, new SKColor((byte)rnd.Next(256), (byte)rnd.Next(256), (byte)rnd.Next(256)));
            }
            using var img = SKImage.FromBitmap(bmp);
            using var data = img.Encode(SKEncodedImageFormat.Jpeg, q);
            return data.ToArray();
        });

    /// <summary>N distinct frames.</summary>
    public static byte[][] Frames(int count, int width = 160, int height = 120) =>
        Enumerable.Range(1, count).Select(i => Make(width, height, seed: i)).ToArray();
}
