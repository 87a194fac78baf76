using Lookback.Config;
using Lookback.Motion;

namespace Lookback.Tests.Motion;

/// <summary>SIMD kernels against the scalar reference, on sizes that exercise every tail and border.</summary>
public class MotionKernelTests
{
    public static TheoryData<int, int> Sizes() => new() { { 8, 8 }, { 17, 5 }, { 33, 19 }, { 161, 90 }, { 320, 180 }, { 243, 135 } };

    [Theory]
    [MemberData(nameof(Sizes))]
    public void Blur_matches_reference(int w, int h)
    {
        int stride = w + 7;
        var src = ScalarReference.RandomImage(stride, h, w * 31 + h, binary: false);
        var dst = new byte[w * h];
        MotionKernels.Blur3x3(src, stride, dst, new ushort[w * h], w, h);
        Assert.Equal(ScalarReference.Blur3x3(src, stride, w, h), dst);
    }

    [Theory]
    [MemberData(nameof(Sizes))]
    public void Min_and_max_filters_match_reference(int w, int h)
    {
        var src = ScalarReference.RandomImage(w, h, w + h, binary: false);
        var tmp = new byte[w * h];
        foreach (int r in new[] { 0, 1, 2, 3 })
        {
            var mn = new byte[w * h]; var mx = new byte[w * h];
            MotionKernels.Min(src, mn, tmp, w, h, r);
            MotionKernels.Max(src, mx, tmp, w, h, r);
            Assert.Equal(ScalarReference.MinMax(src, w, h, r, max: false), mn);
            Assert.Equal(ScalarReference.MinMax(src, w, h, r, max: true), mx);
        }
    }

    [Theory]
    [MemberData(nameof(Sizes))]
    public void Difference_threshold_matches_reference(int w, int h)
    {
        int n = w * h;
        var cur = ScalarReference.RandomImage(w, h, 1 + w, false);
        var bg = ScalarReference.RandomImage(w, h, 2 + w, false);
        var mask = ScalarReference.RandomImage(w, h, 3 + w, true);
        var lo = ScalarReference.MinMax(bg, w, h, 1, false);
        var hi = ScalarReference.MinMax(bg, w, h, 1, true);
        foreach (int t in new[] { 1, 25, 100, 254 })
        {
            var state = new byte[n]; var changed = new byte[n];
            int count = MotionKernels.Difference(cur, lo, hi, mask, state, changed, n, t);
            var expected = ScalarReference.Threshold(cur, lo, hi, mask, t);
            Assert.Equal(expected, changed);
            Assert.Equal(expected.Count(b => b != 0), count);
            for (int i = 0; i < n; i++)
                Assert.Equal((cur[i] > hi[i] + t ? 1 : 0) | (cur[i] < lo[i] - t ? 2 : 0), state[i]);
        }
    }

    [Theory]
    [MemberData(nameof(Sizes))]
    public void Fused_neighbourhood_compare_matches_min_max_then_difference(int w, int h)
    {
        int n = w * h;
        var cur = ScalarReference.RandomImage(w, h, 11 + w, false);
        var bg = ScalarReference.RandomImage(w, h, 12 + w, false);
        var mask = ScalarReference.RandomImage(w, h, 13 + w, true);
        var rowBuf = new byte[MotionKernels.RowBufferLength(w)];
        foreach (int r in new[] { 0, 1, 2, 3 })
        {
            var lo = ScalarReference.MinMax(bg, w, h, r, false);
            var hi = ScalarReference.MinMax(bg, w, h, r, true);
            foreach (int t in new[] { 1, 25, 100, 254 })
            {
                var state = new byte[n]; var changed = new byte[n];
                int count = MotionKernels.CompareWithNeighbourhood(cur, bg, mask, state, changed, rowBuf, w, h, r, t);
                var expected = ScalarReference.Threshold(cur, lo, hi, mask, t);
                Assert.Equal(expected, changed);
                Assert.Equal(expected.Count(b => b != 0), count);
                for (int i = 0; i < n; i++)
                    Assert.Equal((cur[i] > hi[i] + t ? 1 : 0) | (cur[i] < lo[i] - t ? 2 : 0), state[i]);
            }
        }
    }

    [Theory]
    [MemberData(nameof(Sizes))]
    public void Scene_change_probe_matches_a_3x3_scan(int w, int h)
    {
        var cur = ScalarReference.RandomImage(w, h, 21 + w, false);
        var bg = ScalarReference.RandomImage(w, h, 22 + w, false);
        var mask = ScalarReference.RandomImage(w, h, 23 + w, true);
        var rowBuf = new byte[MotionKernels.RowBufferLength(w)];
        var lo = ScalarReference.MinMax(bg, w, h, 1, false);
        var hi = ScalarReference.MinMax(bg, w, h, 1, true);
        foreach (int step in new[] { 1, 2, 3, 5 })
            foreach (int t in new[] { 1, 25, 100 })
            {
                int total = 0, changed = 0;
                for (int y = 1; y < h - 1; y += step)
                    for (int x = 1; x < w - 1; x += step)
                    {
                        int i = y * w + x;
                        if (mask[i] != 0) continue;
                        total++;
                        if (cur[i] < lo[i] - t || cur[i] > hi[i] + t) changed++;
                    }
                int got = MotionKernels.SceneChangeCount(cur, bg, mask, MotionKernels.SampleColumns(w, step), rowBuf, w, h, step, t, out int gotTotal);
                Assert.Equal(total, gotTotal);
                Assert.Equal(changed, got);
            }
    }

    [Theory]
    [MemberData(nameof(Sizes))]
    public void Opening_matches_min_then_max(int w, int h)
    {
        foreach (bool binary in new[] { true, false })
        {
            var img = ScalarReference.RandomImage(w, h, 31 + w, binary);
            var expected = ScalarReference.MinMax(ScalarReference.MinMax(img, w, h, 1, false), w, h, 1, true);
            MotionKernels.Open3x3(img, new byte[w * h], new byte[MotionKernels.RowBufferLength(w)], w, h);
            Assert.Equal(expected, img);
        }
    }

    [Theory]
    [MemberData(nameof(Sizes))]
    public void Components_match_flood_fill(int w, int h)
    {
        for (int seed = 0; seed < 3; seed++)
        {
            var img = ScalarReference.RandomImage(w, h, seed * 7 + w, binary: true);
            var cc = new ConnectedComponents(w, h);
            var output = new Component[w * h];
            foreach (int minArea in new[] { 1, 5 })
            {
                int k = cc.Label(img, minArea, output, out long area);
                var mine = output.Take(k).Select(c => (c.Area, c.X0, c.Y0, c.X1, c.Y1)).Order().ToList();
                var expected = ScalarReference.Components(img, w, h, minArea);
                Assert.Equal(expected, mine);
                Assert.Equal(expected.Sum(c => (long)c.Area), area);
            }
        }
    }

    [Fact]
    public void Components_handle_u_shapes_and_diagonals()
    {
        // a U (merges late), a diagonal line (8-connected only), a full row and column
        const int w = 40, h = 20;
        var img = new byte[w * h];
        for (int y = 2; y < 12; y++) { img[y * w + 2] = 255; img[y * w + 10] = 255; }
        for (int x = 2; x <= 10; x++) img[11 * w + x] = 255;
        for (int i = 0; i < 8; i++) img[(2 + i) * w + 15 + i] = 255;
        for (int x = 0; x < w; x++) img[19 * w + x] = 255;
        var cc = new ConnectedComponents(w, h);
        var output = new Component[64];
        int k = cc.Label(img, 1, output, out _);
        Assert.Equal(ScalarReference.Components(img, w, h, 1),
            output.Take(k).Select(c => (c.Area, c.X0, c.Y0, c.X1, c.Y1)).Order().ToList());
        Assert.Equal(3, k);
    }

    [Fact]
    public void Background_update_matches_reference_and_converges()
    {
        const int n = 1000 + 7;
        var r = new Random(5);
        var cur = new byte[n]; r.NextBytes(cur);
        var fg = new byte[n]; for (int i = 0; i < n; i++) fg[i] = (byte)(i % 3 == 0 ? 1 : 0);
        var bg = new ushort[n]; for (int i = 0; i < n; i++) bg[i] = (ushort)r.Next(0, 255 * 256 + 1);
        var expected = bg.Select((b, i) => { int k = fg[i] != 0 ? 8 : 5; return (ushort)(b - (b >> k) + (cur[i] << (8 - k))); }).ToArray();
        MotionKernels.UpdateBackground(cur, fg, bg, n, 5, 8);
        Assert.Equal(expected, bg);
        for (int it = 0; it < 3000; it++) MotionKernels.UpdateBackground(cur, fg, bg, n, 5, 8);
        var bytes = new byte[n];
        MotionKernels.BackgroundToBytes(bg, bytes, n);
        for (int i = 0; i < n; i++) Assert.InRange(bytes[i] - cur[i], 0, 1);
    }

    [Fact]
    public void Gain_is_folded_into_the_background()
    {
        var bg = new ushort[] { 0, 100 << 8, 200 << 8, 250 << 8, 10 << 8, 50 << 8, 60 << 8, 70 << 8, 80 << 8 };
        MotionKernels.ApplyGain(bg, bg.Length, 1.2, -5);
        var bytes = new byte[bg.Length];
        MotionKernels.BackgroundToBytes(bg, bytes, bg.Length);
        Assert.Equal(new byte[] { 0, 115, 235, 255, 7, 55, 67, 79, 91 }, bytes);
    }

    [Fact]
    public void Gain_vector_path_matches_the_scalar_formula()
    {
        const int n = 4096 + 5;
        var r = new Random(9);
        foreach (var (gain, offset) in new[] { (1.2, -5.0), (0.7, 3.3), (1.0, 0.8), (3.9, -100.0), (0.26, 40.0) })
        {
            var bg = new ushort[n]; for (int i = 0; i < n; i++) bg[i] = (ushort)r.Next(0, 255 * 256 + 1);
            var expected = bg.Select(b => (ushort)Math.Clamp(b * (float)gain + (float)(offset * 256 + 0.5), 0f, 255f * 256f)).ToArray();
            MotionKernels.ApplyGain(bg, n, gain, offset);
            Assert.Equal(expected, bg);
        }
    }

    [Fact]
    public void Flicker_suppresses_flipping_pixels_only()
    {
        const int n = 35;
        var prev = new byte[n]; var act = new byte[n];
        var state = new byte[n]; var changed = new byte[n];
        int last = 0;
        for (int f = 0; f < 6; f++)
        {
            for (int i = 0; i < n; i++)
            {
                state[i] = i < 16 ? (byte)(f % 2 == 0 ? 1 : 2) : (byte)1; // first 16 flip every frame, rest steady
                changed[i] = 255;
            }
            last = MotionKernels.Flicker(state, prev, act, changed, n, 40, 2, 120, 240);
        }
        Assert.Equal(n - 16, last);
        Assert.All(changed.Take(16), b => Assert.Equal(0, b));
        Assert.All(changed.Skip(16), b => Assert.Equal(255, b));
    }

    [Fact]
    public void Polygons_rasterise_by_pixel_centres()
    {
        var mask = new byte[10 * 10];
        PolygonRaster.Fill(new Polygon([new(0, 0), new(0.5, 0), new(0.5, 0.5), new(0, 0.5)]), mask, 10, 10);
        Assert.Equal(25, mask.Count(b => b != 0));
        Assert.Equal(255, mask[4 * 10 + 4]);
        Assert.Equal(0, mask[5 * 10 + 5]);
        var tri = PolygonRaster.Rasterize([new Polygon([new(0, 0), new(1, 0), new(0, 1)])], 100, 100);
        Assert.InRange(tri.Count(b => b != 0), 4900, 5100);
    }
}
