using Lookback.Events;
using Lookback.Media.Rendering;

namespace Lookback.Tests.Motion;

/// <summary>The pace of a motion event's GIF (<c>motion.gif_max_seconds</c>): long events are sampled lower and played faster.</summary>
public class EventGifPaceTests
{
    [Fact]
    public void An_event_within_the_limit_plays_in_real_time_at_the_cameras_rate()
    {
        var pace = new EventGifPace(Fps: 4, MaxSeconds: 20);
        Assert.Equal((null, null), pace.For(12));
        Assert.Equal((null, null), pace.For(20));
    }

    [Fact]
    public void A_longer_event_keeps_the_frame_count_of_the_limit_and_plays_faster()
    {
        var pace = new EventGifPace(Fps: 4, MaxSeconds: 20);
        var (fps, speed) = pace.For(126); // a two-minute event with its pre and post capture
        Assert.Equal(6.3, speed!.Value, 6);
        Assert.Equal(4 / 6.3, fps!.Value, 6);
        Assert.Equal(80, (int)Math.Round(126 * fps.Value)); // 20 s at 4 fps, not 504 frames
        Assert.Equal(4, fps.Value * speed.Value, 6);        // it plays at the camera's GIF rate
    }

    [Fact]
    public void The_speed_stays_within_what_renders_accept_and_0_turns_the_limit_off()
    {
        var (fps, speed) = new EventGifPace(4, 5).For(300);
        Assert.Equal(RenderLimits.MaxSpeed, speed);
        Assert.Equal(4 / RenderLimits.MaxSpeed, fps!.Value, 6);
        Assert.Equal((null, null), new EventGifPace(4, 0).For(300));
    }
}
