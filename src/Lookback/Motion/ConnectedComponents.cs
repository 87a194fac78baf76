using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Lookback.Motion;

/// <summary>One 8-connected component of a binary image: pixel count and bounding box (exclusive right/bottom).</summary>
internal struct Component
{
    public int Root, Area, X0, Y0, X1, Y1;
}

/// <summary>
/// Run-based labelling with union-find (8-connectivity) of a 0/non-zero byte image. Buffers are allocated once for
/// the worst case (a checkerboard) so labelling never allocates.
/// </summary>
internal sealed class ConnectedComponents
{
    readonly int _w, _h;
    readonly int[] _x0, _x1, _y, _parent;
    readonly Component[] _stats;
    readonly int[] _rootToComponent;
    int _runs;

    public ConnectedComponents(int width, int height)
    {
        _w = width; _h = height;
        int maxRuns = (width + 1) / 2 * height;
        _x0 = new int[maxRuns]; _x1 = new int[maxRuns]; _y = new int[maxRuns]; _parent = new int[maxRuns];
        _stats = new Component[maxRuns];
        _rootToComponent = new int[maxRuns];
    }

    public int RunCount => _runs;
    public int RunX0(int i) => _x0[i];
    public int RunX1(int i) => _x1[i];
    public int RunY(int i) => _y[i];
    /// <summary>Index into the components written by <see cref="Label"/> of run i's component, or −1.</summary>
    public int RunComponent(int i) => _rootToComponent[Find(i)];

    int Find(int i)
    {
        var p = _parent;
        while (p[i] != i) { p[i] = p[p[i]]; i = p[i]; }
        return i;
    }

    void Union(int a, int b)
    {
        a = Find(a); b = Find(b);
        if (a == b) return;
        if (a < b) _parent[b] = a; else _parent[a] = b;
    }

    /// <summary>
    /// Labels <paramref name="img"/> (w*h, stride w); writes the components with area ≥ <paramref name="minArea"/>
    /// into <paramref name="output"/> (in raster order of their first pixel) and returns how many. Components beyond
    /// output's length are left out of the output (<see cref="RunComponent"/> gives −1) but counted in keptArea.
    /// </summary>
    public int Label(ReadOnlySpan<byte> img, int minArea, Span<Component> output, out long keptArea)
    {
        int w = _w, runs = 0, prevStart = 0, prevEnd = 0;
        ref byte b0 = ref MemoryMarshal.GetReference(img);
        for (int y = 0; y < _h; y++)
        {
            int rowStart = runs, p = prevStart;
            int off = y * w, x = 0;
            while (x < w)
            {
                // skip zeros 16 at a time
                while (x + 16 <= w && Vector128.LoadUnsafe(ref b0, (nuint)(off + x)) == Vector128<byte>.Zero) x += 16;
                while (x < w && img[off + x] == 0) x++;
                if (x >= w) break;
                int start = x;
                while (x + 16 <= w && Vector128.LoadUnsafe(ref b0, (nuint)(off + x)) == Vector128<byte>.AllBitsSet) x += 16;
                while (x < w && img[off + x] != 0) x++;
                int r = runs++;
                _x0[r] = start; _x1[r] = x; _y[r] = y; _parent[r] = r;
                // previous-row runs [a0, a1) touch [start, x) in 8-connectivity when a1 >= start && a0 <= x
                while (p < prevEnd && _x1[p] < start) p++;
                for (int q = p; q < prevEnd && _x0[q] <= x; q++) Union(r, q);
            }
            prevStart = rowStart; prevEnd = runs;
        }
        _runs = runs;

        var stats = _stats;
        for (int i = 0; i < runs; i++)
        {
            int r = Find(i);
            int len = _x1[i] - _x0[i];
            if (r == i)
                stats[r] = new Component { Root = r, Area = len, X0 = _x0[i], X1 = _x1[i], Y0 = _y[i], Y1 = _y[i] + 1 };
            else
            {
                ref var s = ref stats[r];
                s.Area += len;
                if (_x0[i] < s.X0) s.X0 = _x0[i];
                if (_x1[i] > s.X1) s.X1 = _x1[i];
                s.Y1 = _y[i] + 1;
            }
        }
        int n = 0;
        keptArea = 0;
        for (int i = 0; i < runs; i++)
        {
            _rootToComponent[i] = -1;
            if (_parent[i] != i) continue;
            if (stats[i].Area >= minArea) keptArea += stats[i].Area;
            if (stats[i].Area >= minArea && n < output.Length)
            {
                _rootToComponent[i] = n;
                output[n++] = stats[i];
            }
        }
        return n;
    }
}
