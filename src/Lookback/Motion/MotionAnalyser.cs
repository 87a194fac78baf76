namespace Lookback.Motion;

/// <summary>
/// One camera's detector plus the "cheaper when quiet" rule: while nothing has moved for
/// <see cref="QuietAfter"/>, only one frame per <see cref="QuietInterval"/> is analysed; the first frame that shows
/// any changed blob (even below min_area) switches back to every frame. The start of an event is still confirmed on
/// consecutive camera frames, and no later than without thinning: when the first frame over min_area follows a
/// skipped one, <see cref="WantsPrevious"/> asks for that frame, and <see cref="ConfirmWithPrevious"/> confirms
/// the start with it (a decode only at the onset of motion). Once motion is confirmed, one frame per
/// <see cref="ActiveInterval"/> is analysed until a frame shows none. A new detector is made when the frame size changes.
/// Pure logic, no clock of its own: driven by the frames' capture times. Not thread-safe.
/// </summary>
public sealed class MotionAnalyser(MotionSettings settings)
{
    /// <summary>Time without any changed blob after which frames are thinned (default 1 s).</summary>
    public TimeSpan QuietAfter { get; init; } = TimeSpan.FromSeconds(1);
    /// <summary>Least time between analysed frames while quiet (default 0.55 s: every third frame at 5 fps).</summary>
    public TimeSpan QuietInterval { get; init; } = TimeSpan.FromSeconds(0.55);
    /// <summary>Least time between analysed frames while motion is confirmed (default 0.35 s: every second frame at
    /// 5 fps). The start is found on every frame; once it is confirmed, half the frames say as much about the event
    /// going on (its end comes off_delay after the last motion, its boxes and peak change slowly). Zero: every frame.</summary>
    public TimeSpan ActiveInterval { get; init; } = TimeSpan.FromSeconds(0.35);

    MotionDetector? _detector;
    DateTimeOffset _lastActivity = DateTimeOffset.MinValue, _lastAnalysed = DateTimeOffset.MinValue;
    bool _skipping, _previousSkipped; // the last frame offered was not analysed; the one before the current was not
    bool _motion; // the last analysed frame had confirmed motion

    public MotionSettings Settings => settings;
    public MotionDetector? Detector => _detector;
    /// <summary>Nothing moved for <see cref="QuietAfter"/>: frames are being thinned.</summary>
    public bool Quiet { get; private set; }

    /// <summary>The frame just declined by <see cref="Wants"/> was skipped during confirmed motion: the motion holds
    /// there (<see cref="Last"/> stands for it), so that a camera that stalls after a skipped frame does not shorten
    /// off_delay by a frame.</summary>
    public bool SkippedInMotion { get; private set; }
    /// <summary>The last analysed frame's result (reused by the next analysis), null before the first.</summary>
    public MotionFrameResult? Last { get; private set; }

    /// <summary>Whether the frame captured at <paramref name="at"/> should be analysed.</summary>
    public bool Wants(DateTimeOffset at)
    {
        Quiet = _detector is not null && at - _lastActivity >= QuietAfter;
        var gap = Quiet ? QuietInterval : _motion ? ActiveInterval : TimeSpan.Zero;
        bool wants = gap <= TimeSpan.Zero || at - _lastAnalysed >= gap || at < _lastAnalysed;
        SkippedInMotion = !wants && !Quiet && _motion;
        _previousSkipped = _skipping;
        _skipping = !wants;
        return wants;
    }

    /// <summary>The last analysed frame is a first candidate and the camera frame before it was skipped: analyse
    /// that one with <see cref="ConfirmWithPrevious"/> to confirm the start now.</summary>
    public bool WantsPrevious { get; private set; }

    /// <summary>Confirms the start of motion with the skipped frame before the last analysed one (see
    /// <see cref="MotionDetector.ConfirmWithPrevious"/>); returns the last result, updated.</summary>
    public MotionFrameResult ConfirmWithPrevious(ReadOnlySpan<byte> pixels, int width, int height, int stride)
    {
        if (_detector is null) throw new InvalidOperationException("nothing analysed yet");
        WantsPrevious = false;
        if (_detector.Width != width || _detector.Height != height)
            throw new ArgumentException($"the previous frame is {width}x{height}, the detector {_detector.Width}x{_detector.Height}");
        var r = _detector.ConfirmWithPrevious(pixels, stride);
        _motion = r.Motion;
        return r;
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
        bool skipped = _previousSkipped;
        _previousSkipped = false;
        var r = _detector.Process(pixels, stride, at.ToUnixTimeMilliseconds());
        WantsPrevious = skipped && _detector.FirstCandidate;
        _lastAnalysed = at;
        _motion = r.Motion;
        Last = r;
        if (r.Score > 0 || r.Motion || r.WarmingUp || r.CoherentFrames > 0) _lastActivity = at;
        return r;
    }

    /// <summary>Forget the background (motion switched back on).</summary>
    public void Reset()
    {
        _detector?.Reset();
        _motion = false;
    }
}
