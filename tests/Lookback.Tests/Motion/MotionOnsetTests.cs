using Lookback.Motion;

namespace Lookback.Tests.Motion;

/// <summary>Issue 14: onset at the frame edge, a small far walker at night, a light step during a walk, quiet thinning.
/// Drawn scenes at the analysis size of a 768x576 camera (192x144), 5 fps, default settings.</summary>
public class MotionOnsetTests
{
    const int W = 192, H = 144;
    // 150 px of a person at 768x576 are this many pixels at the analysis size (192x144)
    const double VisiblePixels = 150.0 / 16;

    static SceneScript Script(string name, int frames, Action<int, SceneFrame> draw) => new(name, 0, frames, draw);

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void A_walker_entering_at_the_edge_starts_an_event_within_3_frames_of_150_px_in_view(int seed)
    {
        int inView = -1;
        var script = Script("edge entry", 80, (i, f) =>
        {
            if (i < 20) return;
            int ow = W / 8, oh = H / 2, x = W - (i - 20) * 3; // enters from the right at 3 px (12 camera px) a frame
            f.Objects.Add((x, H / 3, ow, oh, 215));
            if (inView < 0 && (W - x) * oh >= VisiblePixels) inView = i;
        });
        var (events, results) = MotionScenes.Run(script, W, H, seed);
        int first = results.FindIndex(r => r.Motion);
        Assert.Equal(1, events);
        Assert.True(first >= inView && first - inView <= 3, $"in view at frame {inView}, motion from frame {first}");
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void A_small_far_walker_at_night_is_a_person(int seed)
    {
        // night: the light at 40 %, heavy noise; the walker 5x10 px (20x40 at 768x576) with a modest contrast
        var script = Script("far walker at night", 150, (i, f) =>
        {
            f.Gain = 0.4; f.NoiseSigma = 4;
            if (i is >= 40 and < 110) f.Objects.Add((20 + (i - 40) * 2, H / 4, 5, 10, 170));
        });
        var (events, results) = MotionScenes.Run(script, W, H, seed);
        Assert.True(events == 1, $"{events} events; thresholds {string.Join(",", results.Skip(40).Take(5).Select(r => r.EffectiveThreshold))}");
        // and the same dark scene without anyone stays quiet
        var (none, _) = MotionScenes.Run(Script("night, nobody", 150, (i, f) => { f.Gain = 0.4; f.NoiseSigma = 4; }), W, H, seed);
        Assert.Equal(0, none);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void A_tiny_far_walker_at_night_starts_an_event_on_his_4th_frame_when_he_moves_coherently(int seed)
    {
        // 4x4 px at 192x144 (16x16 at 768x576): under min_area, over half of it; 2 px a frame
        static SceneScript Walk(int from) => Script("tiny walker at night", 120, (i, f) =>
        {
            f.Gain = 0.4; f.NoiseSigma = 4;
            if (i is >= 40 and < 90) f.Objects.Add((from + (i - 40) * 2, H / 3, 4, 4, 200));
        });
        var (events, results) = MotionScenes.Run(Walk(20), W, H, seed);
        int first = results.FindIndex(r => r.Motion);
        Assert.True(events == 1 && first is >= 40 and <= 43, $"{events} events, motion from frame {first}");
        // without the coherent rule the 5-frame rule for small movers is the floor
        var (_, slow) = MotionScenes.Run(Walk(20), W, H, seed, new MotionSettings { CoherentConfirmFrames = 0 });
        Assert.True(slow.FindIndex(r => r.Motion) >= 44, $"motion from frame {slow.FindIndex(r => r.Motion)} without the coherent rule");
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void At_night_a_blob_that_does_not_travel_or_jumps_around_is_no_coherent_mover(int seed)
    {
        // a lamp on for 4 frames (0.8 s) in the same place: coherent, but it does not travel
        var lamp = Script("lamp blinks on", 120, (i, f) =>
        {
            f.Gain = 0.4; f.NoiseSigma = 4;
            if (i is >= 40 and < 44) f.Objects.Add((60, H / 3, 4, 4, 200));
        });
        Assert.Equal(0, MotionScenes.Run(lamp, W, H, seed).Events);
        // a blob somewhere else on each of 4 frames (snow, noise bursts): never next to the last one (5 frames of it
        // would be the 5-frame small-mover rule's, coherent or not)
        var spots = Enumerable.Range(0, 30).Select(k => (X: 10 + (k * 53) % (W - 20), Y: 10 + (k * 37) % (H - 20))).ToArray();
        var jumps = Script("blobs jumping around", 120, (i, f) =>
        {
            f.Gain = 0.4; f.NoiseSigma = 4;
            if (i is >= 40 and < 44) f.Objects.Add((spots[i - 40].X, spots[i - 40].Y, 4, 4, 200));
        });
        Assert.Equal(0, MotionScenes.Run(jumps, W, H, seed).Events);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void A_walker_smaller_than_min_area_counts_when_he_keeps_moving_but_a_short_blip_does_not(int seed)
    {
        // 4x5 px = 0.072 % of 192x144, under the default min_area 0.1 %: motion once it has lasted 5 frames
        var walker = Script("small walker", 120, (i, f) => { if (i is >= 30 and < 70) f.Objects.Add((30 + (i - 30) * 2, H / 2, 4, 5, 200)); });
        var (events, results) = MotionScenes.Run(walker, W, H, seed);
        int first = results.FindIndex(r => r.Motion);
        Assert.True(events == 1 && first is >= 33 and <= 36, $"{events} events, motion from frame {first}"); // 33: the coherent rule (this scene is below NormalBrightness)
        // the same blob for 3 frames only (a bird, a JPEG glitch) is no event
        var blip = Script("short blip", 120, (i, f) => { if (i is >= 30 and < 33) f.Objects.Add((30 + (i - 30) * 2, H / 2, 4, 5, 200)); });
        Assert.Equal(0, MotionScenes.Run(blip, W, H, seed).Events);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void A_light_step_during_a_walk_neither_ends_the_event_nor_starts_another(int seed)
    {
        // lights on at frame 40 (x1.8: the bright half of the scene clips at 255), auto-exposure back to x1 in 3 s
        static double Gain(int i) => i < 40 ? 1 : 1 + 0.8 * Math.Exp(-(i - 40) / 5.0);
        var script = Script("light step during a walk", 200, (i, f) =>
        {
            f.Gain = Gain(i);
            if (i is >= 25 and < 70) { var o = MotionScenes.Walker(i, 25, 70, W, H); f.Objects.Add((o.X, o.Y, o.W, o.H, 40)); }
        });
        var (events, results) = MotionScenes.Run(script, W, H, seed, tracker: new MotionTrackerSettings(OffDelay: 10));
        Assert.True(events == 1, $"{events} events; recalibrated at [{string.Join(",", results.Select((r, i) => (r, i)).Where(x => x.r.Recalibrated).Select(x => x.i))}], " +
            $"motion at [{string.Join(",", results.Select((r, i) => (r, i)).Where(x => x.r.Motion).Select(x => x.i))}]");
        // nothing after the walker left and the exposure settled (an off_delay later the event is over)
        var late = results.Select((r, i) => (r, i)).Where(x => x.i >= 75 && x.r.Motion).Select(x => x.i).ToList();
        Assert.True(late.Count == 0, $"motion after the walk at frames {string.Join(",", late.Take(20))}");
    }

    [Theory]
    [InlineData(150)]
    [InlineData(151)]
    [InlineData(152)]
    public void Quiet_scenes_are_thinned_and_the_start_of_motion_is_no_later_than_without(int walkFrom)
    {
        var t0 = new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero);
        // the same frames through a thinning analyser (with the look back at the skipped frame) and one analysing all
        var held = new List<int>();
        (List<int> analysed, int firstMotion, int lookBacks) Run(MotionAnalyser a)
        {
            var scene = new SyntheticScene(W, H, 3);
            var f = new SceneFrame();
            var buf = new byte[W * H];
            var prev = new byte[W * H];
            var analysed = new List<int>();
            int firstMotion = -1, lookBacks = 0;
            for (int i = 0; i < 200; i++)
            {
                var at = t0.AddMilliseconds(i * 200);
                f.Clear();
                if (i >= walkFrom) { var o = MotionScenes.Walker(i, walkFrom, walkFrom + 40, W, H); f.Objects.Add((o.X, o.Y, o.W, o.H, 220)); }
                (buf, prev) = (prev, buf);
                scene.Render(f, buf, W); // every camera frame exists; only some are analysed
                if (!a.Wants(at)) { if (a.SkippedInMotion) held.Add(i); continue; }
                analysed.Add(i);
                var r = a.Analyse(buf, W, H, W, at);
                if (a.WantsPrevious) { lookBacks++; r = a.ConfirmWithPrevious(prev, W, H, W); }
                if (r.Motion && firstMotion < 0) firstMotion = i;
            }
            return (analysed, firstMotion, lookBacks);
        }
        var thin = Run(new MotionAnalyser(new MotionSettings()));
        var heldThin = held.ToList();
        held.Clear();
        var all = Run(new MotionAnalyser(new MotionSettings()) { QuietAfter = TimeSpan.FromDays(1), ActiveInterval = TimeSpan.Zero });
        // quiet from ~1 s on: every third frame of 100..150
        Assert.InRange(thin.analysed.Count(i => i is >= 100 and < 150), 14, 20);
        Assert.Equal(Enumerable.Range(0, 200), all.analysed);
        Assert.True(all.firstMotion > walkFrom, $"motion at {all.firstMotion}");
        // the start is confirmed on the same camera frame as when every frame is analysed (the skipped frame before
        // the first one over min_area is looked at), at most one frame later when two frames were skipped before it
        Assert.InRange(thin.firstMotion, all.firstMotion, all.firstMotion + 1);
        // and from there on every second frame is analysed while the walker is in view (motion confirmed)
        int gone = walkFrom + 40;
        var during = thin.analysed.Where(i => i >= thin.firstMotion && i < gone).ToList();
        Assert.All(during.Zip(during.Skip(1)), p => Assert.Equal(2, p.Second - p.First));
        Assert.InRange(during.Count, (gone - thin.firstMotion) / 2, (gone - thin.firstMotion) / 2 + 1);
        // the frames in between are the ones where the motion holds (MotionMonitor tells the tracker), none when quiet
        Assert.Equal(Enumerable.Range(thin.firstMotion, gone - thin.firstMotion).Except(during), heldThin.Where(i => i < gone));
        Assert.DoesNotContain(heldThin, i => i < thin.firstMotion);
        Assert.Empty(held);
        Assert.Equal(0, all.lookBacks);
    }
}

public class MotionUrlConfigTests
{
    [Fact]
    public void Motion_url_is_read_per_camera_and_optional()
    {
        var r = Lookback.Config.ConfigLoader.Parse("""
            cameras:
              frontdoor:
                url: http://cam/main.mjpg
                motion_url: " http://cam/sub.jpg?size=640x360 "
              garden:
                url: http://cam2/main.mjpg
            """, "lookback.yaml");
        Assert.Empty(r.Errors);
        Assert.Equal("http://cam/sub.jpg?size=640x360", r.Options!.Cameras.Single(c => c.Slug == "frontdoor").MotionUrl);
        Assert.Null(r.Options.Cameras.Single(c => c.Slug == "garden").MotionUrl);
    }
}
