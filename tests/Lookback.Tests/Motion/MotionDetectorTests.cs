using Lookback.Config;
using Lookback.Motion;

namespace Lookback.Tests.Motion;

public class MotionDetectorTests
{
    const int W = 320, H = 180;

    sealed class Rig
    {
        public readonly SyntheticScene Scene;
        public readonly MotionDetector Detector;
        public readonly SceneFrame Frame = new();
        public readonly byte[] Buffer;
        public readonly int Stride;
        public int Index;

        public Rig(MotionSettings? settings = null, int seed = 1, int w = W, int h = H, int stride = 0)
        {
            Scene = new SyntheticScene(w, h, seed);
            Detector = new MotionDetector(w, h, settings ?? new MotionSettings());
            Stride = stride == 0 ? w : stride;
            Buffer = new byte[Stride * h];
        }

        public MotionFrameResult Step(Action<SceneFrame>? draw = null)
        {
            Frame.Clear();
            draw?.Invoke(Frame);
            Scene.Render(Frame, Buffer, Stride);
            return Detector.Process(Buffer, Stride, Index++ * 200L);
        }

        public void Warm(int frames = 20) { for (int i = 0; i < frames; i++) Step(); }
    }

    static bool Overlaps(MotionBox b, (int X, int Y, int W, int H) o)
        => b.X < o.X + o.W && o.X < b.Right && b.Y < o.Y + o.H && o.Y < b.Bottom;

    [Theory]
    [InlineData(1, W)]
    [InlineData(2, W)]
    [InlineData(3, W + 13)] // padded rows
    public void Entering_object_fires_within_two_frames_and_its_boxes_cover_it(int seed, int stride)
    {
        var rig = new Rig(seed: seed, stride: stride);
        rig.Warm();
        int entry = -1, first = -1;
        for (int i = 0; i < 30; i++)
        {
            var o = MotionScenes.Walker(i, 0, 30, W, H);
            int visible = Math.Max(0, Math.Min(o.X + o.W, W) - Math.Max(o.X, 0)) * o.H;
            var r = rig.Step(f => f.Objects.Add((o.X, o.Y, o.W, o.H, 200)));
            if (entry < 0 && visible >= 0.01 * W * H) entry = i;
            if (r.Motion)
            {
                if (first < 0) first = i;
                Assert.NotEmpty(r.Boxes);
                Assert.True(Overlaps(r.Boxes[0], o), $"frame {i}: box {r.Boxes[0]} vs object {o}");
                Assert.InRange(r.Score, 0.5, 12);
                Assert.Equal(r.Boxes[0].X / (double)W, r.Boxes[0].Nx, 9);
            }
        }
        Assert.True(entry >= 0 && first >= 0, $"entry {entry}, first motion {first}");
        Assert.True(first <= entry + 1, $"entry at frame {entry}, first motion at {first}");
    }

    [Fact]
    public void Static_noisy_scene_never_fires()
    {
        var rig = new Rig();
        for (int i = 0; i < 200; i++)
        {
            var r = rig.Step();
            Assert.False(r.Motion);
            if (i > 10) Assert.Equal(0, r.Score);
        }
    }

    [Theory]
    [InlineData(1.4, 0)]
    [InlineData(0.7, 0)]
    [InlineData(1.0, 30)]
    [InlineData(1.2, -25)]
    public void Brightness_step_is_compensated_not_reported(double gain, double offset)
    {
        var rig = new Rig();
        rig.Warm(30);
        var r = rig.Step(f => { f.Gain = gain; f.Offset = offset; });
        Assert.False(r.Motion);
        Assert.False(r.Recalibrated);
        Assert.Equal(gain, r.GlobalGain, 0.03);
        Assert.InRange(r.GlobalOffset, offset - 4, offset + 4);
        for (int i = 0; i < 40; i++) Assert.False(rig.Step(f => { f.Gain = gain; f.Offset = offset; }).Motion);
    }

    [Fact]
    public void Brightness_step_while_someone_walks_still_sees_the_walker()
    {
        var rig = new Rig();
        rig.Warm(30);
        int motion = 0;
        for (int i = 0; i < 20; i++)
        {
            var o = MotionScenes.Walker(i, 0, 20, W, H);
            var r = rig.Step(f => { f.Gain = i >= 10 ? 1.3 : 1; f.Objects.Add((o.X, o.Y, o.W, o.H, 200)); });
            if (i == 10) Assert.Equal(1.3, r.GlobalGain, 0.05);
            if (r.Motion) motion++;
            Assert.False(r.Recalibrated);
        }
        Assert.True(motion >= 15, $"{motion} motion frames of 20");
    }

    [Fact]
    public void Day_night_switch_recalibrates_without_motion()
    {
        var rig = new Rig();
        rig.Warm(30);
        bool recal = false;
        for (int i = 0; i < 50; i++)
        {
            var r = rig.Step(f => f.Night = true);
            recal |= r.Recalibrated;
            Assert.False(r.Motion);
        }
        Assert.True(recal);
        // and after it, motion is seen again in the night scene
        bool seen = false;
        for (int i = 0; i < 20; i++)
        {
            var o = MotionScenes.Walker(i, 0, 20, W, H);
            seen |= rig.Step(f => { f.Night = true; f.Objects.Add((o.X, o.Y, o.W, o.H, 160)); }).Motion;
        }
        Assert.True(seen);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void Camera_shake_is_tolerated(int px)
    {
        var rig = new Rig();
        for (int i = 0; i < 150; i++)
        {
            var r = rig.Step(f => { f.ShiftX = (i % 2) * px; f.ShiftY = ((i / 2) % 2) * px; });
            Assert.False(r.Motion, $"frame {i}: score {r.Score}");
        }
    }

    [Fact]
    public void Shake_tolerance_is_what_keeps_the_shaking_scene_quiet()
    {
        // the same 2 px shake changes many pixels when each is compared with its own background pixel only
        double RawChange(int radius)
        {
            var rig = new Rig(new MotionSettings { ShakeRadius = radius, FlickerSuppression = false });
            double max = 0;
            for (int i = 0; i < 40; i++)
            {
                var r = rig.Step(f => f.ShiftX = i >= 20 ? (i % 2) * 2 : 0);
                if (i >= 20) max = Math.Max(max, r.RawChangedPercent);
            }
            return max;
        }
        Assert.True(RawChange(0) > 1, $"radius 0: {RawChange(0)} %");
        Assert.True(RawChange(2) < 0.05, $"radius 2: {RawChange(2)} %");
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void Blinking_led_is_suppressed(int period)
    {
        var rig = new Rig();
        for (int i = 0; i < 150; i++)
            Assert.False(rig.Step(f => f.Led = (W / 2, H / 5, 10, i / period % 2 == 0)).Motion, $"frame {i}");
    }

    [Fact]
    public void Steady_new_object_is_not_suppressed_as_flicker()
    {
        var rig = new Rig();
        rig.Warm();
        int motion = 0;
        for (int i = 0; i < 50; i++) // a box appears and stays 10 s
            if (rig.Step(f => f.Objects.Add((100, 50, 40, 60, 220))).Motion) motion++;
        Assert.True(motion >= 48, $"{motion} of 50");
    }

    [Fact]
    public void Someone_standing_still_fades_into_the_background_only_after_tens_of_seconds()
    {
        var rig = new Rig();
        rig.Warm();
        int last = -1;
        for (int i = 0; i < 600; i++)
            if (rig.Step(f => f.Objects.Add((100, 50, 40, 80, 210))).Motion) last = i;
        Assert.InRange(last * 0.2, 20, 110); // seconds at 5 fps
    }

    [Fact]
    public void Flicker_under_a_mask_and_motion_inside_a_mask_are_ignored()
    {
        var mask = new[] { MotionScenes.Rect(0.5, 0, 1, 1) };
        var rig = new Rig(new MotionSettings { Mask = mask });
        for (int i = 0; i < 60; i++)
        {
            var r = rig.Step(f =>
            {
                f.Foliage = (W * 3 / 4, 0, W / 4, H / 2);
                f.Objects.Add((W / 2 + 10 + (i % 10) * 8, 40, 40, 80, 220)); // moving, inside the masked right half
            });
            Assert.False(r.Motion, $"frame {i}");
        }
    }

    [Fact]
    public void Zones_report_where_the_motion_is()
    {
        var zones = new Dictionary<string, Polygon>
        {
            ["door"] = MotionScenes.Rect(0, 0, 0.4, 1),
            ["yard"] = MotionScenes.Rect(0.6, 0, 1, 1),
        };
        var rig = new Rig(new MotionSettings { Zones = zones });
        rig.Warm();
        MotionFrameResult? r = null;
        for (int i = 0; i < 4; i++) r = rig.Step(f => f.Objects.Add((20 + i * 5, 40, 40, 80, 220)));
        Assert.True(r!.Motion);
        Assert.Equal(["door"], r.Zones);
        for (int i = 0; i < 4; i++) r = rig.Step(f => f.Objects.Add((140, 40, 40, 80, 220))); // between the zones
        Assert.True(r!.Motion);
        Assert.Empty(r.Zones);
        for (int i = 0; i < 4; i++) r = rig.Step(f => f.Objects.Add((60 + i * 10, 40, 200, 80, 220))); // spans both
        Assert.True(r!.Motion);
        Assert.Equal(["door", "yard"], r.Zones);
    }

    [Fact]
    public void Threshold_change_at_runtime_takes_effect()
    {
        var rig = new Rig(new MotionSettings { Threshold = 90 });
        rig.Warm();
        // an object 50..70 gray levels brighter than its surroundings
        Action<SceneFrame> faint(int i) => f => f.Objects.Add((40 + (i % 20) * 10, 50, 40, 80, 165));
        for (int i = 0; i < 20; i++) Assert.False(rig.Step(faint(i)).Motion);
        rig.Detector.Threshold = 25;
        bool seen = false;
        for (int i = 0; i < 4; i++) seen |= rig.Step(faint(i)).Motion;
        Assert.True(seen);
        rig.Detector.Threshold = 255; // clamped to 254: nothing can change that much
        Assert.Equal(254, rig.Detector.Threshold);
    }

    [Fact]
    public void Min_area_change_at_runtime_takes_effect()
    {
        var rig = new Rig();
        rig.Warm();
        rig.Detector.MinAreaPercent = 20;
        for (int i = 0; i < 10; i++) Assert.False(rig.Step(f => f.Objects.Add((40 + i * 10, 50, 40, 80, 220))).Motion);
        rig.Detector.MinAreaPercent = 0.1;
        rig.Step(f => f.Objects.Add((150, 50, 40, 80, 220)));
        Assert.True(rig.Step(f => f.Objects.Add((160, 50, 40, 80, 220))).Motion);
    }

    [Fact]
    public void Single_frame_glitch_does_not_fire()
    {
        var rig = new Rig();
        rig.Warm();
        Assert.False(rig.Step(f => f.Objects.Add((100, 50, 60, 80, 230))).Motion);
        for (int i = 0; i < 10; i++) Assert.False(rig.Step().Motion);
    }

    [Fact]
    public void Small_speckle_below_the_blob_size_is_dropped()
    {
        var rig = new Rig();
        rig.Warm();
        for (int i = 0; i < 10; i++)
        {
            var r = rig.Step(f => { for (int k = 0; k < 20; k++) f.Objects.Add(((k * 37 + i * 11) % 300, (k * 23 + i * 7) % 170, 2, 2, 250)); });
            Assert.False(r.Motion);
        }
    }

    [Fact]
    public void Process_does_not_allocate_after_warm_up()
    {
        var zones = new Dictionary<string, Polygon> { ["a"] = MotionScenes.Rect(0, 0, 0.5, 1) };
        var rig = new Rig(new MotionSettings { Zones = zones, Mask = [MotionScenes.Rect(0.9, 0.9, 1, 1)] });
        rig.Warm();
        long allocated = 0;
        int motion = 0;
        // the first walk grows the detector's lists to their working size (and lets the JIT settle); the second is measured
        for (int pass = 0; pass < 2; pass++)
        for (int i = 0; i < 40; i++)
        {
            var o = MotionScenes.Walker(i, 0, 40, W, H);
            rig.Frame.Clear().Objects.Add((o.X, o.Y, o.W, o.H, 220));
            rig.Scene.Render(rig.Frame, rig.Buffer, W);
            long before = GC.GetAllocatedBytesForCurrentThread();
            var r = rig.Detector.Process(rig.Buffer, W, 10_000 + (pass * 40 + i) * 200L);
            if (pass == 0) continue;
            allocated += GC.GetAllocatedBytesForCurrentThread() - before;
            if (r.Motion) motion++;
        }
        Assert.Equal(0, allocated);
        Assert.True(motion > 30, $"{motion} motion frames");
    }

    [Fact]
    public void Settings_come_from_the_camera_options()
    {
        var o = new MotionOptions { Threshold = 40, MinArea = 0.5, Fps = 2, Mask = [MotionScenes.Rect(0, 0, 0.2, 0.2)] };
        var s = MotionSettings.FromOptions(o);
        Assert.Equal(40, s.Threshold);
        Assert.Equal(0.5, s.MinAreaPercent);
        Assert.Equal(2, s.Fps);
        Assert.Single(s.Mask);
        var d = new MotionDetector(160, 120, s);
        Assert.Equal(40, d.Threshold);
    }

    [Fact]
    public void Tiny_and_odd_frame_sizes_work()
    {
        foreach (var (w, h) in new[] { (8, 8), (17, 9), (161, 121), (243, 135) })
        {
            var d = new MotionDetector(w, h, new MotionSettings());
            var buf = new byte[w * h];
            new Random(1).NextBytes(buf);
            for (int i = 0; i < 12; i++) d.Process(buf, w, i);
            Assert.False(d.Process(buf, w, 12).Motion);
        }
    }
}
