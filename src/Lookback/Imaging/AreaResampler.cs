namespace Lookback.Imaging;

/// <summary>
/// Separable area-average (box with fractional coverage) resampler for 4-byte pixels: each destination pixel is the
/// mean of the source area it covers. Right for the reductions left after TurboJPEG's M/8 scaling (≤ 2×), and much
/// faster here than SkiaSharp's raster ScalePixels (measured 20–60 ms for 720→640).
/// </summary>
internal static class AreaResampler
{
    private const int Shift = 14, One = 1 << Shift;

    public static void Resample4(PixelImage src, PixelImage dst)
    {
        int sw = src.Width, sh = src.Height, dw = dst.Width, dh = dst.Height;
        var (xs, xn, xw) = Coefficients(sw, dw);
        var (ys, yn, yw) = Coefficients(sh, dh);
        var tmp = new byte[dw * 4 * sh];
        var s = src.Pixels; var d = dst.Pixels;
        var xt = xw.Length / dw; var yt = yw.Length / dh;
        for (var y = 0; y < sh; y++)
        {
            var row = y * src.Stride; var outRow = y * dw * 4;
            for (var x = 0; x < dw; x++)
            {
                int r = 0, g = 0, b = 0, a = 0, p = row + xs[x] * 4, wi = x * xt;
                for (var k = 0; k < xn[x]; k++, p += 4)
                {
                    var w = xw[wi + k];
                    r += s[p] * w; g += s[p + 1] * w; b += s[p + 2] * w; a += s[p + 3] * w;
                }
                var o = outRow + x * 4;
                tmp[o] = (byte)((r + One / 2) >> Shift); tmp[o + 1] = (byte)((g + One / 2) >> Shift);
                tmp[o + 2] = (byte)((b + One / 2) >> Shift); tmp[o + 3] = (byte)((a + One / 2) >> Shift);
            }
        }
        var rowBytes = dw * 4;
        var acc = new int[rowBytes];
        for (var y = 0; y < dh; y++)
        {
            Array.Clear(acc);
            for (var k = 0; k < yn[y]; k++)
            {
                var w = yw[y * yt + k];
                var baseIdx = (ys[y] + k) * rowBytes;
                for (var i = 0; i < rowBytes; i++) acc[i] += tmp[baseIdx + i] * w;
            }
            var o = y * dst.Stride;
            for (var i = 0; i < rowBytes; i++) d[o + i] = (byte)((acc[i] + One / 2) >> Shift);
        }
    }

    /// <summary>Per destination index: first source index, tap count, and fixed-point weights summing to One.</summary>
    private static (int[] Start, int[] Count, int[] Weights) Coefficients(int srcLen, int dstLen)
    {
        var scale = (double)srcLen / dstLen;
        var taps = (int)Math.Ceiling(scale) + 1;
        var start = new int[dstLen]; var count = new int[dstLen]; var weights = new int[dstLen * taps];
        for (var i = 0; i < dstLen; i++)
        {
            double lo = i * scale, hi = Math.Min(srcLen, (i + 1) * scale);
            var first = Math.Min(srcLen - 1, (int)Math.Floor(lo));
            var last = Math.Max(first, Math.Min(srcLen - 1, (int)Math.Ceiling(hi) - 1));
            var n = Math.Min(taps, last - first + 1);
            start[i] = first; count[i] = n;
            var sum = 0; var span = hi - lo;
            for (var k = 0; k < n; k++)
            {
                var cover = Math.Min(hi, first + k + 1) - Math.Max(lo, first + k);
                var w = (int)Math.Round(Math.Max(0, cover) / span * One);
                weights[i * taps + k] = w; sum += w;
            }
            weights[i * taps] += One - sum;   // exact normalisation
        }
        return (start, count, weights);
    }
}
