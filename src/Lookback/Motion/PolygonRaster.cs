using Lookback.Config;

namespace Lookback.Motion;

/// <summary>Rasterises normalised (0..1) polygons into byte masks: a pixel is inside when its centre is (even-odd rule).</summary>
public static class PolygonRaster
{
    /// <summary>Sets <paramref name="value"/> on every pixel of <paramref name="mask"/> (w*h) whose centre lies inside the polygon.</summary>
    public static void Fill(Polygon polygon, Span<byte> mask, int width, int height, byte value = 255)
    {
        var pts = polygon.Points;
        int n = pts.Count;
        if (n < 3) return;
        Span<double> xs = n <= 64 ? stackalloc double[n] : new double[n];
        for (int y = 0; y < height; y++)
        {
            double py = (y + 0.5) / height;
            int k = 0;
            for (int i = 0, j = n - 1; i < n; j = i++)
            {
                double yi = pts[i].Y, yj = pts[j].Y;
                if ((yi > py) != (yj > py))
                    xs[k++] = pts[i].X + (py - yi) / (yj - yi) * (pts[j].X - pts[i].X);
            }
            if (k < 2) continue;
            xs.Slice(0, k).Sort();
            for (int e = 0; e + 1 < k; e += 2)
            {
                // pixel x is inside when xs[e] <= (x + 0.5)/w < xs[e+1]
                int x0 = Math.Max(0, (int)Math.Ceiling(xs[e] * width - 0.5));
                int x1 = Math.Min(width, (int)Math.Ceiling(xs[e + 1] * width - 0.5));
                if (x1 > x0) mask.Slice(y * width + x0, x1 - x0).Fill(value);
            }
        }
    }

    /// <summary>A new w*h mask with 255 inside any of the polygons.</summary>
    public static byte[] Rasterize(IEnumerable<Polygon> polygons, int width, int height)
    {
        var mask = new byte[width * height];
        foreach (var p in polygons) Fill(p, mask, width, height);
        return mask;
    }
}
