using Lookback.Motion;

namespace Lookback.Tests.Motion;

public class MotionEventTrackerTests
{
    static readonly DateTimeOffset T0 = new(2025, 3, 4, 5, 6, 7, 89, TimeSpan.Zero);
    static DateTimeOffset At(double s) => T0.AddSeconds(s);
    static MotionFrameResult Motion(double score, params string[] zones)
        => new(true, score, [MotionBox.FromPixels(10, 10, 20, 30, 400, 320, 180)], zones);
    static readonly MotionFrameResult Quiet = new();

    [Fact]
    public void Event_starts_updates_and_ends_after_off_delay()
    {
        var t = new MotionEventTracker("front", new MotionTrackerSettings(OffDelay: 10, PreCapture: 3, PostCapture: 2));
        var started = Assert.IsType<MotionEventStarted>(Assert.Single(t.Update(Motion(1.0), At(0))));
        Assert.Equal("20250304050607089-front", started.Event.EventId);
        Assert.Equal(At(0), started.Event.Start);
        Assert.True(t.Active);

        Assert.Empty(t.Update(Motion(3.0), At(0.2)));         // new peak, but < 1 s since the start notice
        var upd = Assert.IsType<MotionEventUpdated>(Assert.Single(t.Update(Motion(2.0, "door"), At(0.4)))); // new zone
        Assert.Equal(["door"], upd.Event.Zones);
        Assert.Empty(t.Update(Motion(2.5, "door"), At(0.6)));
        Assert.Empty(t.Update(Quiet, At(0.8)));
        Assert.Empty(t.Tick(At(10.5)));                        // 9.9 s after the last motion at 0.6
        var ended = Assert.IsType<MotionEventEnded>(Assert.Single(t.Tick(At(10.7))));
        var e = ended.Event;
        Assert.False(t.Active);
        Assert.Equal(At(0.6), e.End);
        Assert.Equal(e.End.AddSeconds(10), e.EndedAt);
        Assert.Equal(3.0, e.PeakScore);
        Assert.Equal(At(0.2), e.PeakTime);
        Assert.Equal(At(-3), e.WindowStart);
        Assert.Equal(e.End.AddSeconds(2), e.WindowEnd);
        Assert.Equal(4, e.MotionFrames);
        Assert.Equal(["door"], e.Zones);
        Assert.NotNull(e.UnionBox);
        Assert.Empty(t.Tick(At(30)));
    }

    [Fact]
    public void Motion_within_off_delay_extends_the_event_and_later_motion_starts_a_new_one()
    {
        var t = new MotionEventTracker("c", new MotionTrackerSettings(OffDelay: 5, NewVisitGap: 0));
        t.Update(Motion(1), At(0));
        Assert.Empty(t.Update(Motion(1), At(4.9)));
        Assert.Empty(t.Tick(At(9.8)));
        // the next frame comes late: the old event ends (at 9.9) and a new one starts in the same call
        var notices = t.Update(Motion(1), At(20));
        Assert.Equal(2, notices.Count);
        Assert.Equal(At(4.9).AddSeconds(5), Assert.IsType<MotionEventEnded>(notices[0]).Event.EndedAt);
        var s = Assert.IsType<MotionEventStarted>(notices[1]);
        Assert.Equal(At(20), s.Event.Start);
        Assert.NotEqual(notices[0].Event.EventId, s.Event.EventId);
    }

    [Fact]
    public void Motion_back_after_a_quiet_gap_is_a_new_visit_even_within_off_delay()
    {
        // issue 14: a second walker 4 s after the first left gets his own event (off_delay 10 would merge them)
        var t = new MotionEventTracker("c", new MotionTrackerSettings(OffDelay: 10, NewVisitGap: 3));
        var first = Assert.IsType<MotionEventStarted>(Assert.Single(t.Update(Motion(1), At(0)))).Event;
        Assert.Empty(t.Update(Motion(1), At(2.9)));             // a short pause is the same visit
        Assert.Empty(t.Update(Quiet, At(4)));
        var notices = t.Update(Motion(1), At(6.9));              // 4 s without motion: someone new
        Assert.Equal(2, notices.Count);
        var ended = Assert.IsType<MotionEventEnded>(notices[0]).Event;
        Assert.Equal((first.EventId, At(2.9), At(6.9)), (ended.EventId, ended.End, ended.EndedAt));
        var second = Assert.IsType<MotionEventStarted>(notices[1]).Event;
        Assert.Equal(At(6.9), second.Start);
        Assert.NotEqual(first.EventId, second.EventId);
        // 0 switches it off: motion within off_delay always extends the event
        var off = new MotionEventTracker("c", new MotionTrackerSettings(OffDelay: 10, NewVisitGap: 0));
        off.Update(Motion(1), At(0));
        Assert.Empty(off.Update(Motion(1), At(9)));
    }

    [Fact]
    public void Continuous_motion_is_split_into_consecutive_events_of_at_most_max_event_seconds()
    {
        var t = new MotionEventTracker("street", new MotionTrackerSettings(OffDelay: 10, MaxEventSeconds: 30));
        var ended = new List<MotionEvent>();
        var started = new List<MotionEvent>();
        for (double s = 0; s <= 100; s += 0.5)
            foreach (var n in t.Update(Motion(1 + s / 100), At(s)))
                if (n is MotionEventEnded) ended.Add(n.Event); else if (n is MotionEventStarted) started.Add(n.Event);
        Assert.Equal(3, ended.Count);                          // at 30, 60, 90
        Assert.Equal(4, started.Count);
        for (int i = 0; i < ended.Count; i++)
        {
            Assert.Equal(At(30 * i), ended[i].Start);
            Assert.Equal(At(30 * (i + 1)), ended[i].EndedAt);  // ends at the frame that starts the next one
            Assert.Equal(At(30 * (i + 1) - 0.5), ended[i].End);
            Assert.Equal(At(30 * (i + 1)), started[i + 1].Start);
            Assert.NotEqual(ended[i].EventId, started[i + 1].EventId);
        }
        Assert.True(t.Active);
    }

    [Fact]
    public void Max_event_seconds_zero_never_splits()
    {
        var t = new MotionEventTracker("street", new MotionTrackerSettings(OffDelay: 10, MaxEventSeconds: 0));
        t.Update(Motion(1), At(0));
        for (double s = 1; s <= 1000; s += 1) Assert.DoesNotContain(t.Update(Motion(1), At(s)), n => n is MotionEventEnded);
    }

    [Fact]
    public void Union_box_grows_over_the_event()
    {
        var t = new MotionEventTracker("c", new MotionTrackerSettings());
        t.Update(new MotionFrameResult(true, 1, [MotionBox.FromPixels(0, 0, 10, 10, 100, 100, 100)], []), At(0));
        t.Update(new MotionFrameResult(true, 1, [MotionBox.FromPixels(50, 60, 10, 20, 100, 100, 100)], []), At(1));
        var u = t.Current!.UnionBox!.Value;
        Assert.Equal((0, 0, 60, 80), (u.X, u.Y, u.Width, u.Height));
        Assert.Equal(0.6, u.Nw, 9);
        Assert.Equal(0.8, u.Nh, 9);
    }

    [Fact]
    public void Disabling_motion_ends_an_ongoing_event_and_ignores_frames()
    {
        var t = new MotionEventTracker("c", new MotionTrackerSettings());
        t.Update(Motion(1), At(0));
        var ended = Assert.IsType<MotionEventEnded>(Assert.Single(t.SetEnabled(false, At(2))));
        Assert.Equal(At(2), ended.Event.EndedAt);
        Assert.Empty(t.Update(Motion(5), At(3)));
        Assert.False(t.Active);
        Assert.Empty(t.SetEnabled(true, At(4)));
        Assert.IsType<MotionEventStarted>(Assert.Single(t.Update(Motion(5), At(5))));
    }

    [Fact]
    public void Recalibration_and_quiet_frames_never_start_an_event()
    {
        var t = new MotionEventTracker("c", new MotionTrackerSettings());
        for (int i = 0; i < 100; i++) Assert.Empty(t.Update(Quiet, At(i)));
        Assert.Null(t.Current);
    }

    [Fact]
    public void Detector_and_tracker_together_time_an_event_on_a_drawn_scene()
    {
        // the walker is visible from frame 21 to 49 (5 fps): start at frame 22, end 10 s after the last motion frame
        var script = MotionScenes.All(320, 180).Single(s => s.Name == "person walks across");
        var scene = new SyntheticScene(320, 180, 3);
        var det = new MotionDetector(320, 180, new MotionSettings());
        var tr = new MotionEventTracker("cam", new MotionTrackerSettings(10, 3, 3));
        var f = new SceneFrame();
        var buf = new byte[320 * 180];
        var all = new List<MotionEventNotice>();
        int lastMotion = -1;
        for (int i = 0; i < script.Frames; i++)
        {
            script.Draw(i, f.Clear());
            scene.Render(f, buf, 320);
            var r = det.Process(buf, 320, i * 200L);
            if (r.Motion) lastMotion = i;
            all.AddRange(tr.Update(r, At(i * 0.2)));
        }
        var start = Assert.Single(all.OfType<MotionEventStarted>());
        var end = Assert.Single(all.OfType<MotionEventEnded>());
        Assert.InRange(start.Event.Start, At(21 * 0.2), At(22 * 0.2));
        Assert.Equal(At(lastMotion * 0.2), end.Event.End);
        Assert.InRange(lastMotion, 47, 50);
        Assert.Equal(end.Event.End.AddSeconds(10), end.Event.EndedAt);
        Assert.Equal(start.Event.Start.AddSeconds(-3), end.Event.WindowStart);
        Assert.Equal(end.Event.End.AddSeconds(3), end.Event.WindowEnd);
        Assert.InRange(end.Event.PeakScore, 4, 8);
    }
}
