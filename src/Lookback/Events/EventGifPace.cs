namespace Lookback.Events;

/// <summary>
/// The pace of a motion event's GIF (pure): an event longer than <paramref name="MaxSeconds"/> is sampled at a lower rate
/// and played faster, so that its GIF plays in <paramref name="MaxSeconds"/> at the camera's GIF rate
/// (<c>motion.gif_max_seconds</c>, default 10 like <c>gif.seconds</c>: at most 40 frames at 4 fps). A two-minute event at real time would be
/// ~500 frames, well over the GIF byte budget (shrunk, encoded again and again) and too big for a phone notification.
/// </summary>
public sealed record EventGifPace(double Fps, double MaxSeconds)
{
    /// <summary>The rate and speed for an event GIF of <paramref name="seconds"/>; (null, null) for real time at the camera's rate.</summary>
    public (double? Fps, double? Speed) For(double seconds)
    {
        if (MaxSeconds <= 0 || seconds <= MaxSeconds || Fps <= 0) return (null, null);
        var speed = Math.Min(Media.Rendering.RenderLimits.MaxSpeed, seconds / MaxSeconds);
        return (Fps / speed, speed);
    }
}
