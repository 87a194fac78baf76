namespace Lookback.Motion;

/// <summary>
/// One camera's detector plus the "cheaper when quiet" rule: while nothing has moved for
/// <see cref="QuietAfter"/>, only one frame per <see cref="QuietInterval"/> is analysed; the first frame that shows
/// any changed blob (even below min_area) switches back to every frame, so the start of an event is confirmed on
/// consecutive camera frames. A new detector is made when the frame size changes. Pure logic, no clock of its own:
/// driven by the frames' capture times. Not thread-safe.
/// </summary>
public sealed class MotionAnalyser(MotionSettings settings)
{
    /// <summary>Time without any changed blob after which frames are thinned (default 5 s).</summary>
    public TimeSpan QuietAfter { get; init; } = TimeSpan.FromSeconds(5);
    /// <summary>Least time between analysed frames while quiet (default 0.35 s: every other frame at 5 fps).</summary>
    public TimeSpan QuietInterval { get; init; } = TimeSpan.FromSeconds(0.35);

    MotionDetector? _detector;
    DateTimeOffset _lastActivity = DateTimeOffset.MinValue, _lastAnalysed = DateTimeOffset.MinValue;

    public MotionSettings Settings => settings;
    public MotionDetector? Detector => _detector;
    /// <summary>Nothing moved for <see cref="QuietAfter"/>: frames are being thinned.</summary>
    public bool Quiet { get; private set; }

    /// <summary>Whether the frame captured at <paramref name="at"/> should be analysed.</summary>
    public bool Wants(DateTimeOffset at)
    {
        Quiet = _detector is not null && at - _lastActivity >= QuietAfter;
        return !Quiet || at - _lastAnalysed >= QuietInterval || at < _lastAnalysed;
    }

    /// <summary>Analyses one gray frame; the result is reused by the next call.</summary>
    public MotionFrameResult Analyse(ReadOnlySpan<byte> pixels, int width, int height, int stride, DateTimeOffset at, int? threshold = null)
    {
        if (_detector is null || _detector.Width != width || _detector.Height != height)
        {
            _detector = new MotionDetector(width, height, settings);
            _lastActivity = at;
        }
        if (threshold is { } t) _detector.Threshold = t;
        var r = _detector.Process(pixels, stride, at.ToUnixTimeMilliseconds());
        _lastAnalysed = at;
        if (r.Score > 0 || r.Motion || r.WarmingUp) _lastActivity = at;
        return r;
    }

    /// <summary>Forget the background (motion switched back on).</summary>
    public void Reset() => _detector?.Reset();
}
