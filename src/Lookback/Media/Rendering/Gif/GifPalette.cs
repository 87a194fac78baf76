namespace Lookback.Media.Rendering.Gif;

/// <summary>
/// Colour statistics of sampled frames in a 5-bit-per-channel histogram (32768 cells; each cell also keeps the sum of
/// its exact 8-bit colours so a palette entry is the true mean of what it stands for).
/// </summary>
public sealed class ColorHistogram
{
    public const int Bits = 5, Cells = 1 << (3 * Bits);
    internal readonly long[] Count = new long[Cells];
    internal readonly long[] SumR = new long[Cells], SumG = new long[Cells], SumB = new long[Cells];

    public static int Cell(int r, int g, int b) => (r >> 3) << 10 | (g >> 3) << 5 | (b >> 3);

    /// <summary>Adds every <paramref name="step"/>-th pixel of every <paramref name="step"/>-th row of an RGBA image.</summary>
    public void AddRgba(ReadOnlySpan<byte> rgba, int width, int height, int stride, int step = 1)
    {
        for (var y = 0; y < height; y += step)
        {
            var row = rgba.Slice(y * stride, width * 4);
            for (var x = 0; x < row.Length; x += 4 * step)
                Add(row[x], row[x + 1], row[x + 2]);
        }
    }

    public void Add(int r, int g, int b, long weight = 1)
    {
        var c = Cell(r, g, b);
        Count[c] += weight; SumR[c] += r * weight; SumG[c] += g * weight; SumB[c] += b * weight;
    }

    public void AddFrom(ColorHistogram other)
    {
        for (var i = 0; i < Cells; i++)
        {
            if (other.Count[i] == 0) continue;
            Count[i] += other.Count[i]; SumR[i] += other.SumR[i]; SumG[i] += other.SumG[i]; SumB[i] += other.SumB[i];
        }
    }
}

/// <summary>
/// Median cut over the histogram's occupied cells: repeatedly splits the box with the largest squared error along
/// its widest-spread channel at the weighted median, until there are <c>maxColors</c> boxes; each colour is its box's
/// mean. Deterministic (same histogram → same palette).
/// </summary>
public static class MedianCut
{
    private struct Box
    {
        public int Start, Length;
        public double Error;
        public int Channel;
    }

    /// <summary>Up to <paramref name="maxColors"/> colours as packed 0xRRGGBB.</summary>
    public static int[] Build(ColorHistogram h, int maxColors)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxColors, 1);
        var cells = new List<int>();
        for (var i = 0; i < ColorHistogram.Cells; i++) if (h.Count[i] > 0) cells.Add(i);
        if (cells.Count == 0) return [0];
        var items = cells.ToArray();
        var boxes = new List<Box> { Measure(h, items, 0, items.Length) };
        while (boxes.Count < maxColors)
        {
            var bi = -1;
            for (var i = 0; i < boxes.Count; i++)
                if (boxes[i].Length > 1 && boxes[i].Error > 0 && (bi < 0 || boxes[i].Error > boxes[bi].Error)) bi = i;
            if (bi < 0) break;
            var b = boxes[bi];
            var span = items.AsSpan(b.Start, b.Length);
            var shift = 10 - 5 * b.Channel;
            SortBy(span, shift);
            long total = 0;
            foreach (var c in span) total += h.Count[c];
            long acc = 0; var cut = 1;
            for (var i = 0; i < span.Length - 1; i++)
            {
                acc += h.Count[span[i]];
                cut = i + 1;
                if (acc * 2 >= total) break;
            }
            boxes[bi] = Measure(h, items, b.Start, cut);
            boxes.Add(Measure(h, items, b.Start + cut, b.Length - cut));
        }
        var palette = new int[boxes.Count];
        for (var i = 0; i < boxes.Count; i++)
        {
            long n = 0, r = 0, g = 0, bl = 0;
            foreach (var c in items.AsSpan(boxes[i].Start, boxes[i].Length)) { n += h.Count[c]; r += h.SumR[c]; g += h.SumG[c]; bl += h.SumB[c]; }
            palette[i] = (int)((r + n / 2) / n) << 16 | (int)((g + n / 2) / n) << 8 | (int)((bl + n / 2) / n);
        }
        Array.Sort(palette);   // stable order for tests and for LZW-friendly index neighbourhoods
        return palette;
    }

    private static void SortBy(Span<int> cells, int shift)
    {
        // key: channel value then cell, so the sort is total and deterministic
        for (var i = 0; i < cells.Length; i++) cells[i] |= ((cells[i] >> shift) & 31) << 15;
        cells.Sort();
        for (var i = 0; i < cells.Length; i++) cells[i] &= ColorHistogram.Cells - 1;
    }

    private static Box Measure(ColorHistogram h, int[] items, int start, int length)
    {
        double cnt = 0;
        Span<double> s = stackalloc double[3], s2 = stackalloc double[3];
        foreach (var c in items.AsSpan(start, length))
        {
            double k = h.Count[c];
            cnt += k;
            double r = h.SumR[c] / k, g = h.SumG[c] / k, b = h.SumB[c] / k;
            s[0] += r * k; s[1] += g * k; s[2] += b * k;
            s2[0] += r * r * k; s2[1] += g * g * k; s2[2] += b * b * k;
        }
        var best = 0; double err = 0, bestVar = -1;
        for (var ch = 0; ch < 3; ch++)
        {
            var v = s2[ch] - s[ch] * s[ch] / cnt;
            err += v;
            if (v > bestVar) { bestVar = v; best = ch; }
        }
        return new Box { Start = start, Length = length, Error = err, Channel = best };
    }
}
