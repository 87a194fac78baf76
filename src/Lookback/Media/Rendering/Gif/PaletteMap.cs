namespace Lookback.Media.Rendering.Gif;

/// <summary>
/// Maps RGBA pixels to palette indices with 4x4 ordered (Bayer) dithering: each channel plus a Bayer threshold
/// (1 or 2) is cut to 6 bits, and a 2^18-entry table gives the nearest palette colour of that 6-bit cell. The table is
/// filled lazily (a frame uses a few thousand cells), so it is cheap to make per GIF; concurrent fills write the
/// same value, so one map serves all threads. Ordered dithering is stable between frames: a static background maps
/// to the same indices in every frame, which the frame differencing turns into transparent pixels.
/// </summary>
public sealed class PaletteMap
{
    private const int Bits = 6, Cells = 1 << (3 * Bits);
    /// <summary>
    /// 4x4 Bayer thresholds reduced to a two-level pattern: 1 or 2 added before cutting to 6 bits (2 = plain rounding).
    /// Measured on the three footage kinds against full-amplitude (0..3) dithering and none: small amplitude gave the
    /// best SSIM (like ffmpeg's bayer_scale=4, whose offsets are only -1..2) and smaller files than full amplitude.
    /// </summary>
    private static readonly byte[] Dither = [1, 2, 1, 2, 2, 1, 2, 1, 1, 2, 1, 2, 2, 1, 2, 1];
    private static readonly byte[] Cut = MakeCut();

    private readonly short[] _lut = new short[Cells];
    private readonly int[] _r, _g, _b;

    /// <param name="palette">Colours as 0xRRGGBB; the index of a colour is its position.</param>
    public PaletteMap(IReadOnlyList<int> palette)
    {
        if (palette.Count is < 1 or > 256) throw new ArgumentOutOfRangeException(nameof(palette), palette.Count, "1..256 colours");
        _r = new int[palette.Count]; _g = new int[palette.Count]; _b = new int[palette.Count];
        for (var i = 0; i < palette.Count; i++) { _r[i] = (palette[i] >> 16) & 255; _g[i] = (palette[i] >> 8) & 255; _b[i] = palette[i] & 255; }
        Array.Fill(_lut, (short)-1);
    }

    /// <summary>The palette index nearest to the colour (no dithering).</summary>
    public int Nearest(int r, int g, int b) => Lookup((Cut[r + 2] << 12) | (Cut[g + 2] << 6) | Cut[b + 2]);

    /// <summary>Writes one index per pixel of the RGBA image into <paramref name="indices"/> (width * height, row-major).</summary>
    public void Map(ReadOnlySpan<byte> rgba, int width, int height, int stride, Span<byte> indices)
    {
        if (indices.Length < width * height) throw new ArgumentException("index buffer too small", nameof(indices));
        var cut = Cut; var lut = _lut;
        for (var y = 0; y < height; y++)
        {
            var row = rgba.Slice(y * stride, width * 4);
            var outRow = indices.Slice(y * width, width);
            var by = (y & 3) * 4;
            for (var x = 0; x < width; x++)
            {
                int t = Dither[by + (x & 3)], p = x * 4;
                var cell = (cut[row[p] + t] << 12) | (cut[row[p + 1] + t] << 6) | cut[row[p + 2] + t];
                int v = lut[cell];
                outRow[x] = (byte)(v >= 0 ? v : Lookup(cell));
            }
        }
    }

    private int Lookup(int cell)
    {
        int v = _lut[cell];
        if (v >= 0) return v;
        int r = Expand(cell >> 12), g = Expand((cell >> 6) & 63), b = Expand(cell & 63);
        int best = 0, bestD = int.MaxValue;
        for (var i = 0; i < _r.Length; i++)
        {
            int dr = _r[i] - r, dg = _g[i] - g, db = _b[i] - b;
            // weighted (3,6,1) ~ luma: measured best for SSIM (RenderBench footage) of the weights tried
            var d = 3 * dr * dr + 6 * dg * dg + db * db;
            if (d < bestD) { bestD = d; best = i; }
        }
        _lut[cell] = (short)best;
        return best;
    }

    private static int Expand(int q) => (q << 2) | (q >> 4);

    private static byte[] MakeCut()
    {
        var c = new byte[256 + 4];
        for (var i = 0; i < c.Length; i++) c[i] = (byte)(Math.Min(i, 255) >> (8 - Bits));
        return c;
    }
}
