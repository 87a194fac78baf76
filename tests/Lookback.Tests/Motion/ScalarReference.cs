namespace Lookback.Tests.Motion;

/// <summary>The obvious per-pixel loops the SIMD kernels must agree with.</summary>
internal static class ScalarReference
{
    static int Reflect101(int i, int n) => i < 0 ? -i : i >= n ? 2 * n - 2 - i : i;

    public static byte[] Blur3x3(byte[] src, int stride, int w, int h)
    {
        var k = new[] { 1, 2, 1 };
        var d = new byte[w * h];
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                int s = 0;
                for (int dy = -1; dy <= 1; dy++)
                    for (int dx = -1; dx <= 1; dx++)
                        s += k[dy + 1] * k[dx + 1] * src[Reflect101(y + dy, h) * stride + Reflect101(x + dx, w)];
                d[y * w + x] = (byte)((s + 8) >> 4);
            }
        return d;
    }

    public static byte[] MinMax(byte[] src, int w, int h, int r, bool max)
    {
        var d = new byte[w * h];
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                int v = max ? 0 : 255;
                for (int yy = Math.Max(0, y - r); yy <= Math.Min(h - 1, y + r); yy++)
                    for (int xx = Math.Max(0, x - r); xx <= Math.Min(w - 1, x + r); xx++)
                        v = max ? Math.Max(v, src[yy * w + xx]) : Math.Min(v, src[yy * w + xx]);
                d[y * w + x] = (byte)v;
            }
        return d;
    }

    /// <summary>Changed mask (255/0) of |cur outside [lo − t, hi + t]| and not masked.</summary>
    public static byte[] Threshold(byte[] cur, byte[] lo, byte[] hi, byte[] mask, int t)
    {
        var d = new byte[cur.Length];
        for (int i = 0; i < cur.Length; i++)
            d[i] = mask[i] == 0 && (cur[i] < lo[i] - t || cur[i] > hi[i] + t) ? (byte)255 : (byte)0;
        return d;
    }

    /// <summary>8-connected components by flood fill: (area, x0, y0, x1, y1) sorted.</summary>
    public static List<(int Area, int X0, int Y0, int X1, int Y1)> Components(byte[] img, int w, int h, int minArea)
    {
        var seen = new bool[w * h];
        var list = new List<(int, int, int, int, int)>();
        var stack = new Stack<int>();
        for (int s = 0; s < w * h; s++)
        {
            if (img[s] == 0 || seen[s]) continue;
            int area = 0, x0 = w, y0 = h, x1 = 0, y1 = 0;
            seen[s] = true; stack.Push(s);
            while (stack.Count > 0)
            {
                int p = stack.Pop(), px = p % w, py = p / w;
                area++; x0 = Math.Min(x0, px); y0 = Math.Min(y0, py); x1 = Math.Max(x1, px + 1); y1 = Math.Max(y1, py + 1);
                for (int dy = -1; dy <= 1; dy++)
                    for (int dx = -1; dx <= 1; dx++)
                    {
                        int nx = px + dx, ny = py + dy;
                        if (nx < 0 || ny < 0 || nx >= w || ny >= h) continue;
                        int q = ny * w + nx;
                        if (img[q] != 0 && !seen[q]) { seen[q] = true; stack.Push(q); }
                    }
            }
            if (area >= minArea) list.Add((area, x0, y0, x1, y1));
        }
        list.Sort();
        return list;
    }

    /// <summary>A test image: random blobs, speckle and noise, all sizes of runs (binary when <paramref name="binary"/>).</summary>
    public static byte[] RandomImage(int w, int h, int seed, bool binary)
    {
        var r = new Random(seed);
        var img = new byte[w * h];
        if (!binary) { r.NextBytes(img); return img; }
        for (int k = 0; k < 12; k++)
        {
            int bw = r.Next(1, Math.Max(2, w / 4)), bh = r.Next(1, Math.Max(2, h / 4)), bx = r.Next(0, w), by = r.Next(0, h);
            for (int y = by; y < Math.Min(h, by + bh); y++)
                for (int x = bx; x < Math.Min(w, bx + bw); x++) img[y * w + x] = 255;
        }
        for (int k = 0; k < w * h / 20; k++) img[r.Next(w * h)] = 255;
        return img;
    }
}
