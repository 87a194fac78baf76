using Lookback.Imaging;

namespace Lookback.Tests.Imaging;

internal static class TestImages
{
    /// <summary>RGBA gradient with some structure (so JPEG sizes are realistic), deterministic.</summary>
    public static byte[] Rgba(int w, int h, int seed = 0)
    {
        var px = new byte[w * h * 4];
        for (var y = 0; y < h; y++)
        for (var x = 0; x < w; x++)
        {
            var i = (y * w + x) * 4;
            px[i] = (byte)(x * 255 / Math.Max(1, w - 1));
            px[i + 1] = (byte)(y * 255 / Math.Max(1, h - 1));
            px[i + 2] = (byte)(((x / 16 + y / 16 + seed) & 1) * 200);
            px[i + 3] = 255;
        }
        return px;
    }

    public static byte[] Jpeg(int w, int h, int quality = 85, int seed = 0) =>
        Lookback.Imaging.Jpeg.Encode(Rgba(w, h, seed), w, h, w * 4, PixelFormat.Rgba, quality);

    public static byte[] Uniform(int w, int h, byte r, byte g, byte b)
    {
        var px = new byte[w * h * 3];
        for (var i = 0; i < px.Length; i += 3) { px[i] = r; px[i + 1] = g; px[i + 2] = b; }
        return Lookback.Imaging.Jpeg.Encode(px, w, h, w * 3, PixelFormat.Rgb, 95);
    }

    public static byte[] NoiseJpeg(int w, int h, int quality, int seed)
    {
        var rnd = new Random(seed);
        var px = new byte[w * h * 3];
        rnd.NextBytes(px);
        return Lookback.Imaging.Jpeg.Encode(px, w, h, w * 3, PixelFormat.Rgb, quality);
    }
}
