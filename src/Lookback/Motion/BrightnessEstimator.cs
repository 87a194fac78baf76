namespace Lookback.Motion;

/// <summary>Global brightness change of a frame against the background: frame ≈ Gain·bg + Offset.</summary>
internal readonly record struct BrightnessFit(double Gain, double Offset, double InlierFraction, bool Plausible, double Level = 128, double Noise = 0);

/// <summary>
/// Fits frame ≈ gain·background + offset on a sparse grid (~1500 samples) with iteratively re-weighted trimming:
/// start from the median difference, then least squares on the samples whose residual is within
/// max(6, 3·1.48·MAD), three times. A moving object (outliers) does not bias it; saturated samples are ignored.
/// Allocation-free after construction.
/// </summary>
internal sealed class BrightnessEstimator
{
    readonly int _w, _h, _step;
    readonly short[] _b, _c; // sample values
    readonly bool[] _inlier; // the previous iteration's inlier set
    readonly double[] _res;  // this iteration's absolute residuals
    readonly int[] _hist = new int[512];

    public BrightnessEstimator(int width, int height)
    {
        _w = width; _h = height;
        _step = Math.Max(2, (int)Math.Round(Math.Sqrt(width * (double)height / 1500)));
        int cap = ((width + _step - 1) / _step) * ((height + _step - 1) / _step);
        _b = new short[cap]; _c = new short[cap]; _inlier = new bool[cap]; _res = new double[cap];
    }

    /// <summary>Gains outside this range mean the scene itself changed (night vision, covered lens), not the light.</summary>
    public const double MinGain = 0.25, MaxGain = 4;

    public BrightnessFit Estimate(ReadOnlySpan<byte> cur, ReadOnlySpan<ushort> bg, ReadOnlySpan<byte> mask)
    {
        int n = 0, w = _w, half = _step / 2;
        for (int y = half; y < _h; y += _step)
            for (int x = half; x < w; x += _step)
            {
                int i = y * w + x;
                if (mask[i] != 0) continue;
                int c = cur[i], b = (bg[i] + 128) >> 8;
                if (c <= 2 || c >= 253 || b >= 253) continue; // clipped: no information about the gain
                _b[n] = (short)b; _c[n] = (short)c; n++;
            }
        if (n < 16) return new(1, 0, 1, true);

        // start: offset = median of differences
        Array.Clear(_hist);
        for (int i = 0; i < n; i++) _hist[_c[i] - _b[i] + 255]++;
        double gain = 1, offset = Median(_hist, n) - 255;
        double inlierFraction = 1, level = 128, noise = 0;
        for (int iter = 0; iter < 3; iter++)
        {
            Array.Clear(_hist);
            var bs = _b.AsSpan(0, n); var cs = _c.AsSpan(0, n); var rs = _res.AsSpan(0, n);
            for (int i = 0; i < rs.Length; i++)
            {
                double res = Math.Abs(cs[i] - (gain * bs[i] + offset));
                rs[i] = res;
                _hist[Math.Min((int)res, 511)]++;
            }
            double mad = Median(_hist, n);
            noise = 1.4826 * mad;
            double limit = Math.Max(6, 3 * 1.4826 * mad);
            double sb = 0, sc = 0, sbb = 0, sbc = 0; int m = 0, flips = 0;
            for (int i = 0; i < rs.Length; i++)
            {
                double b = bs[i], c = cs[i];
                bool inlier = rs[i] <= limit;
                if (inlier != _inlier[i]) { flips++; _inlier[i] = inlier; }
                if (!inlier) continue;
                sb += b; sc += c; sbb += b * b; sbc += b * c; m++;
            }
            // the same inliers as last time give the same fit (same sums, same order): the rest would repeat it exactly
            if (iter > 0 && flips == 0) break;
            inlierFraction = (double)m / n;
            if (m < 16) break;
            double mb = sb / m, mc = sc / m;
            level = mc;
            double varB = sbb / m - mb * mb, cov = sbc / m - mb * mc;
            if (varB < 25) { gain = 1; offset = mc - mb; }   // flat scene: only an offset is observable
            else { gain = cov / varB; offset = mc - gain * mb; }
        }
        bool plausible = gain is >= MinGain and <= MaxGain && inlierFraction >= 0.3;
        return new(gain, offset, inlierFraction, plausible, level, noise);
    }

    static int Median(int[] hist, int n)
    {
        int half = (n + 1) / 2, acc = 0;
        for (int i = 0; i < hist.Length; i++)
        {
            acc += hist[i];
            if (acc >= half) return i;
        }
        return hist.Length - 1;
    }
}
