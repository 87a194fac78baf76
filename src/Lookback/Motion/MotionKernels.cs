using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Lookback.Motion;

/// <summary>
/// The per-pixel passes of the detector, written with portable <see cref="Vector128"/> (SSE2 on x64, NEON on arm64)
/// and a scalar tail. All buffers are dense (stride == width) except the input of <see cref="Blur3x3"/>.
/// Each kernel has an obvious scalar twin in the tests (and an OpenCV cross-check).
/// </summary>
internal static class MotionKernels
{
    // ---------------------------------------------------------------- blur

    /// <summary>
    /// 3x3 Gaussian [1 2 1]x[1 2 1]/16, separable, rounding half up, border reflect-101 (OpenCV's default).
    /// <paramref name="tmp"/> holds w*h ushorts (the horizontal pass). Requires w, h >= 2.
    /// </summary>
    public static void Blur3x3(ReadOnlySpan<byte> src, int stride, Span<byte> dst, Span<ushort> tmp, int w, int h)
    {
        for (int y = 0; y < h; y++)
        {
            ReadOnlySpan<byte> s = src.Slice(y * stride, w);
            Span<ushort> t = tmp.Slice(y * w, w);
            ref byte sr = ref MemoryMarshal.GetReference(s);
            ref ushort tr = ref MemoryMarshal.GetReference(t);
            t[0] = (ushort)(2 * s[0] + 2 * s[1]);
            t[w - 1] = (ushort)(2 * s[w - 1] + 2 * s[w - 2]);
            int x = 1;
            for (; x + 17 <= w; x += 16)
            {
                var a = Vector128.LoadUnsafe(ref sr, (nuint)(x - 1));
                var b = Vector128.LoadUnsafe(ref sr, (nuint)x);
                var c = Vector128.LoadUnsafe(ref sr, (nuint)(x + 1));
                var (al, ah) = Vector128.Widen(a);
                var (bl, bh) = Vector128.Widen(b);
                var (cl, ch) = Vector128.Widen(c);
                (al + (bl << 1) + cl).StoreUnsafe(ref tr, (nuint)x);
                (ah + (bh << 1) + ch).StoreUnsafe(ref tr, (nuint)(x + 8));
            }
            for (; x < w - 1; x++) t[x] = (ushort)(s[x - 1] + 2 * s[x] + s[x + 1]);
        }
        var eight = Vector128.Create((ushort)8);
        for (int y = 0; y < h; y++)
        {
            int ya = y == 0 ? 1 : y - 1, yc = y == h - 1 ? h - 2 : y + 1;
            ref ushort r0 = ref MemoryMarshal.GetReference(tmp.Slice(ya * w, w));
            ref ushort r1 = ref MemoryMarshal.GetReference(tmp.Slice(y * w, w));
            ref ushort r2 = ref MemoryMarshal.GetReference(tmp.Slice(yc * w, w));
            Span<byte> d = dst.Slice(y * w, w);
            ref byte dr = ref MemoryMarshal.GetReference(d);
            int x = 0;
            for (; x + 16 <= w; x += 16)
            {
                var lo = (Vector128.LoadUnsafe(ref r0, (nuint)x) + (Vector128.LoadUnsafe(ref r1, (nuint)x) << 1)
                          + Vector128.LoadUnsafe(ref r2, (nuint)x) + eight) >> 4;
                var hi = (Vector128.LoadUnsafe(ref r0, (nuint)(x + 8)) + (Vector128.LoadUnsafe(ref r1, (nuint)(x + 8)) << 1)
                          + Vector128.LoadUnsafe(ref r2, (nuint)(x + 8)) + eight) >> 4;
                Vector128.Narrow(lo, hi).StoreUnsafe(ref dr, (nuint)x);
            }
            for (; x < w; x++)
                d[x] = (byte)((Unsafe.Add(ref r0, x) + 2 * Unsafe.Add(ref r1, x) + Unsafe.Add(ref r2, x) + 8) >> 4);
        }
    }

    // ---------------------------------------------------------------- min / max filters

    internal interface IByteOp
    {
        static abstract Vector128<byte> Op(Vector128<byte> a, Vector128<byte> b);
        static abstract byte Op(byte a, byte b);
    }

    internal readonly struct MinOp : IByteOp
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector128<byte> Op(Vector128<byte> a, Vector128<byte> b) => Vector128.Min(a, b);
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static byte Op(byte a, byte b) => a < b ? a : b;
    }

    internal readonly struct MaxOp : IByteOp
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector128<byte> Op(Vector128<byte> a, Vector128<byte> b) => Vector128.Max(a, b);
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static byte Op(byte a, byte b) => a > b ? a : b;
    }

    /// <summary>Min filter over a (2r+1)x(2r+1) square, window clipped at the border (OpenCV erode's default).</summary>
    public static void Min(ReadOnlySpan<byte> src, Span<byte> dst, Span<byte> tmp, int w, int h, int r)
        => Filter<MinOp>(src, dst, tmp, w, h, r);

    /// <summary>Max filter over a (2r+1)x(2r+1) square, window clipped at the border (OpenCV dilate's default).</summary>
    public static void Max(ReadOnlySpan<byte> src, Span<byte> dst, Span<byte> tmp, int w, int h, int r)
        => Filter<MaxOp>(src, dst, tmp, w, h, r);

    static void Filter<T>(ReadOnlySpan<byte> src, Span<byte> dst, Span<byte> tmp, int w, int h, int r) where T : struct, IByteOp
    {
        if (r <= 0) { src.Slice(0, w * h).CopyTo(dst); return; }
        FilterH<T>(src, tmp, w, h, r);
        FilterV<T>(tmp, dst, w, h, r);
    }

    static void FilterH<T>(ReadOnlySpan<byte> src, Span<byte> dst, int w, int h, int r) where T : struct, IByteOp
    {
        for (int y = 0; y < h; y++)
        {
            ReadOnlySpan<byte> s = src.Slice(y * w, w);
            Span<byte> d = dst.Slice(y * w, w);
            ref byte sr = ref MemoryMarshal.GetReference(s);
            ref byte dr = ref MemoryMarshal.GetReference(d);
            int x = 0;
            for (; x < r && x < w; x++) d[x] = HScalar<T>(s, x, r, w);
            for (; x + r + 16 <= w; x += 16)
            {
                var acc = Vector128.LoadUnsafe(ref sr, (nuint)(x - r));
                for (int k = -r + 1; k <= r; k++) acc = T.Op(acc, Vector128.LoadUnsafe(ref sr, (nuint)(x + k)));
                acc.StoreUnsafe(ref dr, (nuint)x);
            }
            for (; x < w; x++) d[x] = HScalar<T>(s, x, r, w);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static byte HScalar<T>(ReadOnlySpan<byte> s, int x, int r, int w) where T : struct, IByteOp
    {
        int a = Math.Max(0, x - r), b = Math.Min(w - 1, x + r);
        byte v = s[a];
        for (int i = a + 1; i <= b; i++) v = T.Op(v, s[i]);
        return v;
    }

    static void FilterV<T>(ReadOnlySpan<byte> src, Span<byte> dst, int w, int h, int r) where T : struct, IByteOp
    {
        ref byte s0 = ref MemoryMarshal.GetReference(src);
        for (int y = 0; y < h; y++)
        {
            int ya = Math.Max(0, y - r), yb = Math.Min(h - 1, y + r);
            ref byte first = ref Unsafe.Add(ref s0, ya * w);
            ref byte dr = ref MemoryMarshal.GetReference(dst.Slice(y * w, w));
            int x = 0;
            for (; x + 16 <= w; x += 16)
            {
                var acc = Vector128.LoadUnsafe(ref first, (nuint)x);
                for (int yy = ya + 1; yy <= yb; yy++) acc = T.Op(acc, Vector128.LoadUnsafe(ref s0, (nuint)(yy * w + x)));
                acc.StoreUnsafe(ref dr, (nuint)x);
            }
            for (; x < w; x++)
            {
                byte v = Unsafe.Add(ref first, x);
                for (int yy = ya + 1; yy <= yb; yy++) v = T.Op(v, Unsafe.Add(ref s0, yy * w + x));
                Unsafe.Add(ref dr, x) = v;
            }
        }
    }

    // ---------------------------------------------------------------- fused, row-buffered passes

    /// <summary>Bytes of the row buffer the fused passes need for width <paramref name="w"/> and radius up to 3.</summary>
    public static int RowBufferLength(int w) => 2 * (w + 2 * 3 + 16);

    /// <summary>
    /// Vertical min and max over rows [ya, yb] of <paramref name="src"/> into <paramref name="rowMin"/>/<paramref name="rowMax"/>
    /// at offset <paramref name="pad"/> (the caller keeps identity values, 255 / 0, in the pads: that is the clipped window).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void VerticalMinMax(ref byte s0, int w, int ya, int yb, ref byte rowMin, ref byte rowMax, int pad)
    {
        int x = 0;
        for (; x + 16 <= w; x += 16)
        {
            var mn = Vector128.LoadUnsafe(ref s0, (nuint)(ya * w + x));
            var mx = mn;
            for (int yy = ya + 1; yy <= yb; yy++)
            {
                var v = Vector128.LoadUnsafe(ref s0, (nuint)(yy * w + x));
                mn = Vector128.Min(mn, v); mx = Vector128.Max(mx, v);
            }
            mn.StoreUnsafe(ref rowMin, (nuint)(pad + x));
            mx.StoreUnsafe(ref rowMax, (nuint)(pad + x));
        }
        for (; x < w; x++)
        {
            byte mn = Unsafe.Add(ref s0, ya * w + x), mx = mn;
            for (int yy = ya + 1; yy <= yb; yy++)
            {
                byte v = Unsafe.Add(ref s0, yy * w + x);
                if (v < mn) mn = v;
                if (v > mx) mx = v;
            }
            Unsafe.Add(ref rowMin, pad + x) = mn;
            Unsafe.Add(ref rowMax, pad + x) = mx;
        }
    }

    /// <summary>
    /// <see cref="Min"/> and <see cref="Max"/> of <paramref name="bg"/> ((2r+1)² window clipped at the border) fused with
    /// <see cref="Difference"/>: same state, changed and count, without writing the min/max images.
    /// <paramref name="rowBuf"/> holds <see cref="RowBufferLength"/> bytes. 0 &lt;= r &lt;= 3.
    /// </summary>
    public static int CompareWithNeighbourhood(ReadOnlySpan<byte> cur, ReadOnlySpan<byte> bg, ReadOnlySpan<byte> mask,
        Span<byte> state, Span<byte> changed, Span<byte> rowBuf, int w, int h, int r, int t)
    {
        if ((uint)r > 3) throw new ArgumentOutOfRangeException(nameof(r));
        int n = w * h, padded = w + 2 * r + 16;
        if (cur.Length < n || bg.Length < n || mask.Length < n || state.Length < n || changed.Length < n || rowBuf.Length < 2 * padded)
            throw new ArgumentException("buffers too small");
        Span<byte> minRow = rowBuf.Slice(0, padded), maxRow = rowBuf.Slice(padded, padded);
        minRow.Fill(255); maxRow.Fill(0);
        ref byte b0 = ref MemoryMarshal.GetReference(bg);
        ref byte c0 = ref MemoryMarshal.GetReference(cur);
        ref byte m0 = ref MemoryMarshal.GetReference(mask);
        ref byte s0 = ref MemoryMarshal.GetReference(state);
        ref byte ch0 = ref MemoryMarshal.GetReference(changed);
        ref byte mn = ref MemoryMarshal.GetReference(minRow);
        ref byte mx = ref MemoryMarshal.GetReference(maxRow);
        var tv = Vector128.Create((byte)t);
        var one = Vector128.Create((byte)1);
        var two = Vector128.Create((byte)2);
        int count = 0, k2 = 2 * r;
        for (int y = 0; y < h; y++)
        {
            VerticalMinMax(ref b0, w, Math.Max(0, y - r), Math.Min(h - 1, y + r), ref mn, ref mx, r);
            int o = y * w, x = 0;
            for (; x + 16 <= w; x += 16)
            {
                // output x covers padded [x, x + 2r]
                var lv = Vector128.LoadUnsafe(ref mn, (nuint)x);
                var hv = Vector128.LoadUnsafe(ref mx, (nuint)x);
                for (int k = 1; k <= k2; k++)
                {
                    lv = Vector128.Min(lv, Vector128.LoadUnsafe(ref mn, (nuint)(x + k)));
                    hv = Vector128.Max(hv, Vector128.LoadUnsafe(ref mx, (nuint)(x + k)));
                }
                var cv = Vector128.LoadUnsafe(ref c0, (nuint)(o + x));
                var dark = Vector128.GreaterThan(Vector128.Max(lv, cv) - cv, tv);
                var bright = Vector128.GreaterThan(Vector128.Max(cv, hv) - hv, tv);
                ((bright & one) | (dark & two)).StoreUnsafe(ref s0, (nuint)(o + x));
                var chg = Vector128.AndNot(bright | dark, Vector128.LoadUnsafe(ref m0, (nuint)(o + x)));
                chg.StoreUnsafe(ref ch0, (nuint)(o + x));
                count += BitOperations.PopCount(chg.ExtractMostSignificantBits());
            }
            for (; x < w; x++)
            {
                int lo = Unsafe.Add(ref mn, x), hi = Unsafe.Add(ref mx, x);
                for (int k = 1; k <= k2; k++)
                {
                    lo = Math.Min(lo, Unsafe.Add(ref mn, x + k));
                    hi = Math.Max(hi, Unsafe.Add(ref mx, x + k));
                }
                int cv = Unsafe.Add(ref c0, o + x);
                bool dark = lo - cv > t, bright = cv - hi > t;
                Unsafe.Add(ref s0, o + x) = (byte)((bright ? 1 : 0) | (dark ? 2 : 0));
                bool chg = (bright || dark) && Unsafe.Add(ref m0, o + x) == 0;
                Unsafe.Add(ref ch0, o + x) = chg ? (byte)255 : (byte)0;
                if (chg) count++;
            }
        }
        return count;
    }

    /// <summary>
    /// The scene-change probe: over pixels (x, y) with x = 1, 1+step, ... &lt;= w−2 and y likewise &lt;= h−2 that are not
    /// masked, counts those whose <paramref name="cur"/> value is more than <paramref name="t"/> below the min or above the
    /// max of <paramref name="bg"/>'s 3x3 neighbourhood. <paramref name="columns"/> is 255 at the sampled columns (see
    /// <see cref="SampleColumns"/>); <paramref name="rowBuf"/> holds <see cref="RowBufferLength"/> bytes.
    /// </summary>
    public static int SceneChangeCount(ReadOnlySpan<byte> cur, ReadOnlySpan<byte> bg, ReadOnlySpan<byte> mask,
        ReadOnlySpan<byte> columns, Span<byte> rowBuf, int w, int h, int step, int t, out int total)
    {
        int n = w * h;
        if (cur.Length < n || bg.Length < n || mask.Length < n || columns.Length < w || rowBuf.Length < 2 * w || step < 1)
            throw new ArgumentException("buffers too small");
        ref byte b0 = ref MemoryMarshal.GetReference(bg);
        ref byte c0 = ref MemoryMarshal.GetReference(cur);
        ref byte m0 = ref MemoryMarshal.GetReference(mask);
        ref byte sel = ref MemoryMarshal.GetReference(columns);
        ref byte mn = ref MemoryMarshal.GetReference(rowBuf);
        ref byte mx = ref Unsafe.Add(ref mn, w);
        var tv = Vector128.Create((byte)t);
        int changed = 0;
        total = 0;
        for (int y = 1; y < h - 1; y += step)
        {
            VerticalMinMax(ref b0, w, y - 1, y + 1, ref mn, ref mx, 0);
            int o = y * w, x = 1;
            for (; x + 17 <= w; x += 16)
            {
                var lv = Vector128.Min(Vector128.Min(Vector128.LoadUnsafe(ref mn, (nuint)(x - 1)), Vector128.LoadUnsafe(ref mn, (nuint)x)),
                    Vector128.LoadUnsafe(ref mn, (nuint)(x + 1)));
                var hv = Vector128.Max(Vector128.Max(Vector128.LoadUnsafe(ref mx, (nuint)(x - 1)), Vector128.LoadUnsafe(ref mx, (nuint)x)),
                    Vector128.LoadUnsafe(ref mx, (nuint)(x + 1)));
                var cv = Vector128.LoadUnsafe(ref c0, (nuint)(o + x));
                var s = Vector128.AndNot(Vector128.LoadUnsafe(ref sel, (nuint)x), Vector128.LoadUnsafe(ref m0, (nuint)(o + x)));
                var d = Vector128.GreaterThan(Vector128.Max(lv, cv) - cv, tv) | Vector128.GreaterThan(Vector128.Max(cv, hv) - hv, tv);
                total += BitOperations.PopCount(s.ExtractMostSignificantBits());
                changed += BitOperations.PopCount((d & s).ExtractMostSignificantBits());
            }
            for (; x < w - 1; x++)
            {
                if (Unsafe.Add(ref sel, x) == 0 || Unsafe.Add(ref m0, o + x) != 0) continue;
                int lo = Math.Min(Math.Min(Unsafe.Add(ref mn, x - 1), Unsafe.Add(ref mn, x)), Unsafe.Add(ref mn, x + 1));
                int hi = Math.Max(Math.Max(Unsafe.Add(ref mx, x - 1), Unsafe.Add(ref mx, x)), Unsafe.Add(ref mx, x + 1));
                int c = Unsafe.Add(ref c0, o + x);
                total++;
                if (c < lo - t || c > hi + t) changed++;
            }
        }
        return changed;
    }

    /// <summary>The column selector of <see cref="SceneChangeCount"/>: 255 at x = 1, 1+step, ... &lt;= w−2, else 0.</summary>
    public static byte[] SampleColumns(int w, int step)
    {
        var c = new byte[w];
        for (int x = 1; x < w - 1; x += step) c[x] = 255;
        return c;
    }

    /// <summary>
    /// 3x3 opening (<see cref="Min"/> then <see cref="Max"/> with r = 1, windows clipped at the border) of
    /// <paramref name="img"/> in place; <paramref name="tmp"/> holds w*h bytes, <paramref name="rowBuf"/>
    /// <see cref="RowBufferLength"/> bytes.
    /// </summary>
    public static void Open3x3(Span<byte> img, Span<byte> tmp, Span<byte> rowBuf, int w, int h)
    {
        Filter3x3<MinOp>(img, tmp, rowBuf, w, h, 255);
        Filter3x3<MaxOp>(tmp, img, rowBuf, w, h, 0);
    }

    static void Filter3x3<T>(ReadOnlySpan<byte> src, Span<byte> dst, Span<byte> rowBuf, int w, int h, byte identity) where T : struct, IByteOp
    {
        int n = w * h;
        if (src.Length < n || dst.Length < n || rowBuf.Length < w + 2 + 16) throw new ArgumentException("buffers too small");
        ref byte s0 = ref MemoryMarshal.GetReference(src);
        ref byte d0 = ref MemoryMarshal.GetReference(dst);
        ref byte row = ref MemoryMarshal.GetReference(rowBuf);
        row = identity;
        Unsafe.Add(ref row, w + 1) = identity;
        for (int y = 0; y < h; y++)
        {
            int ya = y == 0 ? 0 : y - 1, yb = y == h - 1 ? h - 1 : y + 1;
            ref byte ra = ref Unsafe.Add(ref s0, ya * w);
            ref byte rb = ref Unsafe.Add(ref s0, y * w);
            ref byte rc = ref Unsafe.Add(ref s0, yb * w);
            int x = 0;
            for (; x + 16 <= w; x += 16)
                T.Op(T.Op(Vector128.LoadUnsafe(ref ra, (nuint)x), Vector128.LoadUnsafe(ref rb, (nuint)x)), Vector128.LoadUnsafe(ref rc, (nuint)x))
                    .StoreUnsafe(ref row, (nuint)(x + 1));
            for (; x < w; x++) Unsafe.Add(ref row, x + 1) = T.Op(T.Op(Unsafe.Add(ref ra, x), Unsafe.Add(ref rb, x)), Unsafe.Add(ref rc, x));
            ref byte d = ref Unsafe.Add(ref d0, y * w);
            x = 0;
            for (; x + 16 <= w; x += 16)
                T.Op(T.Op(Vector128.LoadUnsafe(ref row, (nuint)x), Vector128.LoadUnsafe(ref row, (nuint)(x + 1))), Vector128.LoadUnsafe(ref row, (nuint)(x + 2)))
                    .StoreUnsafe(ref d, (nuint)x);
            for (; x < w; x++) Unsafe.Add(ref d, x) = T.Op(T.Op(Unsafe.Add(ref row, x), Unsafe.Add(ref row, x + 1)), Unsafe.Add(ref row, x + 2));
        }
    }

    // ---------------------------------------------------------------- background

    /// <summary>bg (8.8 fixed point) to bytes, rounding.</summary>
    public static void BackgroundToBytes(ReadOnlySpan<ushort> bg, Span<byte> dst, int n)
    {
        ref ushort b = ref MemoryMarshal.GetReference(bg);
        ref byte d = ref MemoryMarshal.GetReference(dst);
        var half = Vector128.Create((ushort)128);
        var max = Vector128.Create((ushort)(255 << 8));
        int i = 0;
        for (; i + 16 <= n; i += 16)
        {
            var lo = Vector128.Min(Vector128.LoadUnsafe(ref b, (nuint)i), max) + half >> 8;
            var hi = Vector128.Min(Vector128.LoadUnsafe(ref b, (nuint)(i + 8)), max) + half >> 8;
            Vector128.Narrow(lo, hi).StoreUnsafe(ref d, (nuint)i);
        }
        for (; i < n; i++) Unsafe.Add(ref d, i) = (byte)((Math.Min(Unsafe.Add(ref b, i), (ushort)(255 << 8)) + 128) >> 8);
    }

    /// <summary>bg = cur &lt;&lt; 8.</summary>
    public static void ResetBackground(ReadOnlySpan<byte> cur, Span<ushort> bg, int n)
    {
        ref byte c = ref MemoryMarshal.GetReference(cur);
        ref ushort b = ref MemoryMarshal.GetReference(bg);
        int i = 0;
        for (; i + 16 <= n; i += 16)
        {
            var (lo, hi) = Vector128.Widen(Vector128.LoadUnsafe(ref c, (nuint)i));
            (lo << 8).StoreUnsafe(ref b, (nuint)i);
            (hi << 8).StoreUnsafe(ref b, (nuint)(i + 8));
        }
        for (; i < n; i++) Unsafe.Add(ref b, i) = (ushort)(Unsafe.Add(ref c, i) << 8);
    }

    /// <summary>
    /// Running average in 8.8 fixed point: bg += (cur·256 − bg)·2^-k, with k = <paramref name="kFg"/> where
    /// <paramref name="fg"/> is non-zero (slow) and <paramref name="kBg"/> elsewhere. 1 &lt;= k &lt;= 8; never overflows
    /// (bg − bg·2^-k + cur·2^(8−k) &lt;= 255·256).
    /// </summary>
    public static void UpdateBackground(ReadOnlySpan<byte> cur, ReadOnlySpan<byte> fg, Span<ushort> bg, int n, int kBg, int kFg)
    {
        ref byte c = ref MemoryMarshal.GetReference(cur);
        ref byte f = ref MemoryMarshal.GetReference(fg);
        ref ushort b = ref MemoryMarshal.GetReference(bg);
        int i = 0;
        for (; i + 16 <= n; i += 16)
        {
            var (cl, ch) = Vector128.Widen(Vector128.LoadUnsafe(ref c, (nuint)i));
            var fv = Vector128.LoadUnsafe(ref f, (nuint)i);
            var (fl, fh) = Vector128.Widen(Vector128.GreaterThan(fv, Vector128<byte>.Zero).AsSByte());
            var bl = Vector128.LoadUnsafe(ref b, (nuint)i);
            var bh = Vector128.LoadUnsafe(ref b, (nuint)(i + 8));
            var nbl = bl - (bl >> kBg) + (cl << (8 - kBg));
            var nbh = bh - (bh >> kBg) + (ch << (8 - kBg));
            var sbl = bl - (bl >> kFg) + (cl << (8 - kFg));
            var sbh = bh - (bh >> kFg) + (ch << (8 - kFg));
            Vector128.ConditionalSelect(fl.AsUInt16(), sbl, nbl).StoreUnsafe(ref b, (nuint)i);
            Vector128.ConditionalSelect(fh.AsUInt16(), sbh, nbh).StoreUnsafe(ref b, (nuint)(i + 8));
        }
        for (; i < n; i++)
        {
            int k = Unsafe.Add(ref f, i) != 0 ? kFg : kBg;
            ushort v = Unsafe.Add(ref b, i);
            Unsafe.Add(ref b, i) = (ushort)(v - (v >> k) + (Unsafe.Add(ref c, i) << (8 - k)));
        }
    }

    /// <summary>bg = clamp(gain·bg + offset·256, 0, 255·256): folds a global brightness change into the model.</summary>
    /// <summary>Marks (clipped = 1) the background pixels that the fold bg·gain + offset would clip at 0 (by more than
    /// two gray levels) or bring near white (above <see cref="NearWhite"/>: a camera clips its colour channels one by one
    /// and bends its tone curve there, so the fold is no longer linear); returns how many were newly marked.</summary>
    public static int MarkClipped(ReadOnlySpan<ushort> bg, Span<byte> clipped, int n, double gain, double offset)
    {
        // bg·gain + offset·256 outside [−512, NearWhite·256] ⇔ bg outside [lo, hi]
        double lo = (-512 - offset * 256) / gain, hi = (NearWhite * 256 - offset * 256) / gain;
        if (lo <= 0 && hi >= 255 * 256) return 0;
        int marked = 0;
        for (int i = 0; i < n; i++)
        {
            int v = bg[i];
            if ((v < lo || v > hi) && clipped[i] == 0) { clipped[i] = 1; marked++; }
        }
        return marked;
    }

    public const int NearWhite = 232;

    /// <summary>Unknown (clipped) background pixels never count as changed; returns how many were cleared.</summary>
    public static int ClearClipped(ReadOnlySpan<byte> clipped, Span<byte> state, Span<byte> changed, int n)
    {
        int cleared = 0;
        for (int i = 0; i < n; i++)
            if (clipped[i] != 0)
            {
                if (changed[i] != 0) { changed[i] = 0; cleared++; }
                state[i] = 0;
            }
        return cleared;
    }

    /// <summary>Re-learns unknown background pixels from the current frame where it is not saturated itself
    /// (3..252); returns how many became known.</summary>
    public static int RelearnClipped(ReadOnlySpan<byte> cur, Span<byte> clipped, Span<ushort> bg, int n)
    {
        int known = 0;
        for (int i = 0; i < n; i++)
            if (clipped[i] != 0 && cur[i] is >= 3 and <= 252)
            {
                bg[i] = (ushort)(cur[i] << 8);
                clipped[i] = 0;
                known++;
            }
        return known;
    }

    public static void ApplyGain(Span<ushort> bg, int n, double gain, double offset)
    {
        ref ushort b = ref MemoryMarshal.GetReference(bg);
        var g = Vector128.Create((float)gain);
        var o = Vector128.Create((float)(offset * 256 + 0.5));
        var zero = Vector128<float>.Zero;
        var max = Vector128.Create(255f * 256f);
        int i = 0;
        for (; i + 8 <= n; i += 8)
        {
            // signed conversions (native on SSE2 and NEON; the unsigned ones are emulated on x64): the values are 0..65280
            var (lo, hi) = Vector128.Widen(Vector128.LoadUnsafe(ref b, (nuint)i));
            var fl = Vector128.Min(Vector128.Max(Vector128.ConvertToSingle(lo.AsInt32()) * g + o, zero), max);
            var fh = Vector128.Min(Vector128.Max(Vector128.ConvertToSingle(hi.AsInt32()) * g + o, zero), max);
            Vector128.Narrow(Vector128.ConvertToInt32(fl), Vector128.ConvertToInt32(fh)).AsUInt16().StoreUnsafe(ref b, (nuint)i);
        }
        for (; i < n; i++)
        {
            float v = Unsafe.Add(ref b, i) * (float)gain + (float)(offset * 256 + 0.5);
            Unsafe.Add(ref b, i) = (ushort)Math.Clamp(v, 0f, 255f * 256f);
        }
    }

    // ---------------------------------------------------------------- difference

    /// <summary>
    /// A pixel is brighter when cur &gt; hi + t, darker when cur &lt; lo − t (lo/hi: min/max of the background around it).
    /// Writes state (0 same, 1 brighter, 2 darker) and changed (255 when brighter or darker and not masked).
    /// Returns the number of changed pixels.
    /// </summary>
    public static int Difference(ReadOnlySpan<byte> cur, ReadOnlySpan<byte> lo, ReadOnlySpan<byte> hi, ReadOnlySpan<byte> mask,
        Span<byte> state, Span<byte> changed, int n, int t)
    {
        ref byte c = ref MemoryMarshal.GetReference(cur);
        ref byte l = ref MemoryMarshal.GetReference(lo);
        ref byte hr = ref MemoryMarshal.GetReference(hi);
        ref byte m = ref MemoryMarshal.GetReference(mask);
        ref byte s = ref MemoryMarshal.GetReference(state);
        ref byte ch = ref MemoryMarshal.GetReference(changed);
        var tv = Vector128.Create((byte)t);
        var one = Vector128.Create((byte)1);
        var two = Vector128.Create((byte)2);
        int count = 0, i = 0;
        for (; i + 16 <= n; i += 16)
        {
            var cv = Vector128.LoadUnsafe(ref c, (nuint)i);
            var lv = Vector128.LoadUnsafe(ref l, (nuint)i);
            var hv = Vector128.LoadUnsafe(ref hr, (nuint)i);
            var dark = Vector128.GreaterThan(Vector128.Max(lv, cv) - cv, tv);
            var bright = Vector128.GreaterThan(Vector128.Max(cv, hv) - hv, tv);
            ((bright & one) | (dark & two)).StoreUnsafe(ref s, (nuint)i);
            var chg = Vector128.AndNot(bright | dark, Vector128.LoadUnsafe(ref m, (nuint)i));
            chg.StoreUnsafe(ref ch, (nuint)i);
            count += BitOperations.PopCount(chg.ExtractMostSignificantBits());
        }
        for (; i < n; i++)
        {
            int cv = Unsafe.Add(ref c, i);
            bool dark = Unsafe.Add(ref l, i) - cv > t, bright = cv - Unsafe.Add(ref hr, i) > t;
            Unsafe.Add(ref s, i) = (byte)((bright ? 1 : 0) | (dark ? 2 : 0));
            bool chg = (bright || dark) && Unsafe.Add(ref m, i) == 0;
            Unsafe.Add(ref ch, i) = chg ? (byte)255 : (byte)0;
            if (chg) count++;
        }
        return count;
    }

    /// <summary>
    /// Flicker suppression: activity += <paramref name="gain"/> when a pixel's state flips (same/brighter/darker), else
    /// −= <paramref name="decay"/>, capped at <paramref name="cap"/>; changed pixels whose activity is ≥
    /// <paramref name="limit"/> are cleared. prev := state. Returns the changed count after suppression.
    /// </summary>
    public static int Flicker(ReadOnlySpan<byte> state, Span<byte> prev, Span<byte> activity, Span<byte> changed, int n,
        byte gain, byte decay, byte limit, byte cap)
    {
        ref byte s = ref MemoryMarshal.GetReference(state);
        ref byte p = ref MemoryMarshal.GetReference(prev);
        ref byte a = ref MemoryMarshal.GetReference(activity);
        ref byte ch = ref MemoryMarshal.GetReference(changed);
        var gv = Vector128.Create(gain);
        var dv = Vector128.Create(decay);
        var capg = Vector128.Create((byte)(cap - gain));
        var lim = Vector128.Create((byte)(limit - 1));
        int count = 0, i = 0;
        for (; i + 16 <= n; i += 16)
        {
            var sv = Vector128.LoadUnsafe(ref s, (nuint)i);
            var av = Vector128.LoadUnsafe(ref a, (nuint)i);
            var same = Vector128.Equals(sv, Vector128.LoadUnsafe(ref p, (nuint)i));
            av = Vector128.ConditionalSelect(same, Vector128.Max(av, dv) - dv, Vector128.Min(av, capg) + gv);
            av.StoreUnsafe(ref a, (nuint)i);
            sv.StoreUnsafe(ref p, (nuint)i);
            var chg = Vector128.AndNot(Vector128.LoadUnsafe(ref ch, (nuint)i), Vector128.GreaterThan(av, lim));
            chg.StoreUnsafe(ref ch, (nuint)i);
            count += BitOperations.PopCount(chg.ExtractMostSignificantBits());
        }
        for (; i < n; i++)
        {
            byte sv = Unsafe.Add(ref s, i);
            int av = Unsafe.Add(ref a, i);
            av = sv == Unsafe.Add(ref p, i) ? Math.Max(av, decay) - decay : Math.Min(av, cap - gain) + gain;
            Unsafe.Add(ref a, i) = (byte)av;
            Unsafe.Add(ref p, i) = sv;
            if (av >= limit) Unsafe.Add(ref ch, i) = 0;
            if (Unsafe.Add(ref ch, i) != 0) count++;
        }
        return count;
    }

    /// <summary>Clears changed pixels whose flicker activity is ≥ <paramref name="limit"/> (without updating it).</summary>
    public static void ClearActive(ReadOnlySpan<byte> activity, Span<byte> changed, int n, byte limit)
    {
        for (int i = 0; i < n; i++)
            if (activity[i] >= limit) changed[i] = 0;
    }
}
