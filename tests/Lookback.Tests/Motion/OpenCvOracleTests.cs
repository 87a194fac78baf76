// Cross-check of the motion kernels against OpenCV. Compiled only with the OpenCV packages referenced:
//   <PackageReference Include="OpenCvSharp4" Version="4.13.0.20260627" />
//   <PackageReference Include="OpenCvSharp4.official.runtime.linux-x64" Version="4.13.0.20260627" />
//   <DefineConstants>$(DefineConstants);OPENCV_ORACLE</DefineConstants>
#if OPENCV_ORACLE
using Lookback.Motion;
using OpenCvSharp;
using ConnectedComponents = Lookback.Motion.ConnectedComponents;
using SceneFrame = Lookback.Tests.Motion.SceneFrame;

namespace Lookback.Tests.Motion;

public class OpenCvOracleTests
{
    static Mat ToMat(byte[] data, int w, int h, int stride)
    {
        var m = new Mat(h, w, MatType.CV_8UC1);
        for (int y = 0; y < h; y++)
            System.Runtime.InteropServices.Marshal.Copy(data, y * stride, m.Ptr(y), w);
        return m;
    }

    static byte[] FromMat(Mat m)
    {
        int rows = m.Rows, cols = m.Cols;
        var d = new byte[rows * cols];
        for (int y = 0; y < rows; y++)
            System.Runtime.InteropServices.Marshal.Copy(m.Ptr(y), d, y * cols, cols);
        return d;
    }

    static byte[] SceneFrame(int w, int h, int seed, Action<SceneFrame>? draw = null)
    {
        var s = new SyntheticScene(w, h, seed);
        var f = new SceneFrame();
        draw?.Invoke(f);
        var buf = new byte[w * h];
        s.Render(f, buf, w);
        return buf;
    }

    public static TheoryData<int, int> Sizes() => new() { { 17, 9 }, { 160, 120 }, { 320, 180 }, { 243, 135 } };

    [Theory]
    [MemberData(nameof(Sizes))]
    public void Blur_matches_GaussianBlur_3x3(int w, int h)
    {
        var src = SceneFrame(w, h, w);
        var mine = new byte[w * h];
        MotionKernels.Blur3x3(src, w, mine, new ushort[w * h], w, h);
        using var m = ToMat(src, w, h, w);
        using var o = new Mat();
        Cv2.GaussianBlur(m, o, new Size(3, 3), 0, 0, BorderTypes.Reflect101);
        var cv = FromMat(o);
        int worst = mine.Zip(cv, (a, b) => Math.Abs(a - b)).Max();
        Assert.True(worst <= 1, $"max difference {worst}");
        Assert.True(mine.Zip(cv, (a, b) => a == b).Count(x => !x) < w * h / 100, "more than 1 % of pixels differ");
    }

    [Theory]
    [MemberData(nameof(Sizes))]
    public void Min_max_match_erode_dilate(int w, int h)
    {
        var src = SceneFrame(w, h, w + 1);
        using var m = ToMat(src, w, h, w);
        var tmp = new byte[w * h];
        foreach (int r in new[] { 1, 2 })
        {
            using var k = Cv2.GetStructuringElement(MorphShapes.Rect, new Size(2 * r + 1, 2 * r + 1));
            using var e = new Mat(); using var d = new Mat();
            Cv2.Erode(m, e, k);
            Cv2.Dilate(m, d, k);
            var mn = new byte[w * h]; var mx = new byte[w * h];
            MotionKernels.Min(src, mn, tmp, w, h, r);
            MotionKernels.Max(src, mx, tmp, w, h, r);
            Assert.Equal(FromMat(e), mn);
            Assert.Equal(FromMat(d), mx);
        }
    }

    [Theory]
    [MemberData(nameof(Sizes))]
    public void Threshold_matches_absdiff_and_threshold(int w, int h)
    {
        // with no shake tolerance (lo = hi = background) the detector's test is |cur − bg| > t
        var bg = SceneFrame(w, h, 5);
        var cur = SceneFrame(w, h, 5, f => f.Objects.Add((w / 4, h / 4, w / 3, h / 3, 230)));
        int n = w * h;
        foreach (int t in new[] { 10, 25, 60 })
        {
            var state = new byte[n]; var changed = new byte[n];
            MotionKernels.Difference(cur, bg, bg, new byte[n], state, changed, n, t);
            using var a = ToMat(cur, w, h, w); using var b = ToMat(bg, w, h, w);
            using var diff = new Mat(); using var th = new Mat();
            Cv2.Absdiff(a, b, diff);
            Cv2.Threshold(diff, th, t, 255, ThresholdTypes.Binary);
            Assert.Equal(FromMat(th), changed);
        }
    }

    [Theory]
    [MemberData(nameof(Sizes))]
    public void Components_match_ConnectedComponentsWithStats(int w, int h)
    {
        for (int seed = 0; seed < 3; seed++)
        {
            var img = ScalarReference.RandomImage(w, h, seed + w, binary: true);
            var cc = new ConnectedComponents(w, h);
            var output = new Component[w * h];
            int k = cc.Label(img, 1, output, out _);
            var mine = output.Take(k).Select(c => (c.Area, c.X0, c.Y0, c.X1 - c.X0, c.Y1 - c.Y0)).Order().ToList();

            using var m = ToMat(img, w, h, w);
            using var labels = new Mat(); using var stats = new Mat(); using var centroids = new Mat();
            int count = Cv2.ConnectedComponentsWithStats(m, labels, stats, centroids, PixelConnectivity.Connectivity8);
            var cv = new List<(int, int, int, int, int)>();
            for (int i = 1; i < count; i++) // 0 is the background
                cv.Add((stats.At<int>(i, (int)ConnectedComponentsTypes.Area), stats.At<int>(i, (int)ConnectedComponentsTypes.Left),
                    stats.At<int>(i, (int)ConnectedComponentsTypes.Top), stats.At<int>(i, (int)ConnectedComponentsTypes.Width),
                    stats.At<int>(i, (int)ConnectedComponentsTypes.Height)));
            cv.Sort();
            Assert.Equal(cv, mine);
        }
    }
}
#endif
