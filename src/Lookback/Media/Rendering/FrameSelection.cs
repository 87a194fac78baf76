namespace Lookback.Media.Rendering;

/// <summary>
/// Re-times a window of frames (irregular capture times) to a constant output rate: output frame k is shown at
/// <c>t_k = end - (n-1-k)/fps</c> and is the newest frame captured at or before t_k (the first frame when
/// none is), so frames are duplicated when the camera is slower than the output and dropped when faster.
/// </summary>
public static class FrameSelection
{
    /// <summary>
    /// Number of output frames for the window [<paramref name="from"/>, <paramref name="end"/>] at
    /// <paramref name="fps"/>: <c>round(span × fps)</c> when the frames cover the window's start, else only the
    /// output times at or after the first frame (a younger ring gives a shorter GIF, not a frozen start).
    /// </summary>
    public static int OutputCount(DateTimeOffset from, DateTimeOffset end, DateTimeOffset firstFrame, double fps)
    {
        var span = Math.Max(0, (end - from).TotalSeconds);
        var full = Math.Max(1, (int)Math.Round(span * fps));
        var t0 = end.AddSeconds(-(full - 1) / fps);
        if (firstFrame <= t0) return full;
        var covered = Math.Max(0, (end - firstFrame).TotalSeconds);
        return Math.Clamp((int)Math.Floor(covered * fps + 1e-6) + 1, 1, full);
    }

    /// <summary>Indices into <paramref name="times"/> (ascending) for <paramref name="count"/> output frames ending at <paramref name="end"/>.</summary>
    public static int[] Select(IReadOnlyList<DateTimeOffset> times, DateTimeOffset end, double fps, int count)
    {
        if (times.Count == 0 || count <= 0) return [];
        var result = new int[count];
        var j = 0;
        for (var k = 0; k < count; k++)
        {
            var t = end.AddTicks(-(long)Math.Round((count - 1 - k) * TimeSpan.TicksPerSecond / fps));
            while (j + 1 < times.Count && times[j + 1] <= t) j++;
            result[k] = j;
        }
        return result;
    }

    /// <summary>
    /// The window's natural frame rate: frames per second actually captured between its first and last frame,
    /// capped to [<paramref name="min"/>, <paramref name="max"/>] and rounded to 0.01.
    /// </summary>
    public static double NaturalFps(IReadOnlyList<DateTimeOffset> times, double min = 1, double max = 30)
    {
        if (times.Count < 2) return min;
        var span = (times[^1] - times[0]).TotalSeconds;
        if (span <= 0) return max;
        return Math.Clamp(Math.Round((times.Count - 1) / span, 2), min, max);
    }
}
