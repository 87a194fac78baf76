namespace Lookback.Motion;

/// <summary>Timing of motion events (config <c>off_delay</c>, <c>pre_capture</c>, <c>post_capture</c>,
/// <c>max_event_seconds</c>), seconds. An event that has lasted <see cref="MaxEventSeconds"/> ends and motion that goes
/// on starts the next one (0: no limit). Motion that resumes after <see cref="NewVisitGap"/> s without any (the
/// scene was back to its background: whoever moved has left) is someone new: the event ends there and the next one
/// starts, even within off_delay (a second visitor a few seconds after the first gets his own ON).</summary>
public sealed record MotionTrackerSettings(double OffDelay = 10, double PreCapture = 3, double PostCapture = 3,
    double MaxEventSeconds = 120, double NewVisitGap = 3)
{
    public static MotionTrackerSettings FromOptions(Config.MotionOptions o) =>
        new(o.OffDelay, o.PreCapture, o.PostCapture, o.MaxEventSeconds);
}

/// <summary>
/// A motion event as known at the moment of a notice. <see cref="End"/> is the time of the last frame with motion
/// (so far); <see cref="EndedAt"/> is when the event was declared over (End + off_delay, or when motion detection was
/// switched off); null while it goes on. The GIF/clip window is [<see cref="WindowStart"/>, <see cref="WindowEnd"/>]
/// = [Start − pre_capture, End + post_capture].
/// </summary>
public sealed record MotionEvent(
    string Camera,
    string EventId,
    DateTimeOffset Start,
    DateTimeOffset End,
    DateTimeOffset? EndedAt,
    double PeakScore,
    DateTimeOffset PeakTime,
    IReadOnlyList<MotionBox> PeakBoxes,
    MotionBox? UnionBox,
    IReadOnlyList<string> Zones,
    DateTimeOffset WindowStart,
    DateTimeOffset WindowEnd,
    int MotionFrames)
{
    public bool Ongoing => EndedAt is null;
}

/// <summary>What the tracker says happened.</summary>
public abstract record MotionEventNotice(MotionEvent Event);
/// <summary>Motion started: publish ON.</summary>
public sealed record MotionEventStarted(MotionEvent Event) : MotionEventNotice(Event);
/// <summary>A new zone was touched, or a new peak (at most once a second).</summary>
public sealed record MotionEventUpdated(MotionEvent Event) : MotionEventNotice(Event);
/// <summary>off_delay passed without motion, the event reached max_event_seconds, or detection was switched off:
/// publish OFF, render the event's GIF.</summary>
public sealed record MotionEventEnded(MotionEvent Event) : MotionEventNotice(Event);

/// <summary>
/// Pure state machine turning per-frame detector results into events; no timers, no clock: it is driven by
/// <see cref="Update"/> (each analysed frame) and <see cref="Tick"/> (periodically, e.g. every second, so an event
/// ends on time even when frames stop). The returned list is reused by the next call.
/// Not thread-safe: call from the camera's analysis loop.
/// </summary>
public sealed class MotionEventTracker
{
    /// <summary>Minimum time between two "new peak" updates.</summary>
    public static readonly TimeSpan PeakUpdateInterval = TimeSpan.FromSeconds(1);

    readonly string _camera;
    readonly List<MotionEventNotice> _notices = new(2);
    readonly List<MotionBox> _peakBoxes = new(16);
    readonly List<string> _zones = new(4);

    MotionTrackerSettings _settings;
    bool _active;
    bool _enabled = true;
    string _id = "";
    DateTimeOffset _start, _last, _peakTime, _lastUpdateNotice;
    double _peak;
    MotionBox? _union;
    int _frames;
    bool _peakPending;

    public MotionEventTracker(string camera, MotionTrackerSettings settings)
    {
        _camera = camera;
        _settings = settings;
    }

    public string Camera => _camera;
    public MotionTrackerSettings Settings { get => _settings; set => _settings = value ?? throw new ArgumentNullException(nameof(value)); }
    /// <summary>Whether an event is going on.</summary>
    public bool Active => _active;
    /// <summary>The ongoing event, or null.</summary>
    public MotionEvent? Current => _active ? Snapshot(null) : null;
    public bool Enabled => _enabled;

    /// <summary>Event ids: start time (UTC) to the millisecond, then the camera: <c>20250101120000123-frontdoor</c>
    /// (sortable, unique per camera since events of one camera never start in the same millisecond).</summary>
    public static string MakeEventId(DateTimeOffset start, string camera)
        => start.UtcDateTime.ToString("yyyyMMddHHmmssfff", System.Globalization.CultureInfo.InvariantCulture) + "-" + camera;

    /// <summary>Switches motion detection on or off at runtime; switching off ends an ongoing event at <paramref name="now"/>.</summary>
    public IReadOnlyList<MotionEventNotice> SetEnabled(bool enabled, DateTimeOffset now)
    {
        _notices.Clear();
        _enabled = enabled;
        if (!enabled && _active) EndEvent(now);
        return _notices;
    }

    /// <summary>Feeds one analysed frame taken at <paramref name="t"/>.</summary>
    public IReadOnlyList<MotionEventNotice> Update(MotionFrameResult r, DateTimeOffset t)
    {
        _notices.Clear();
        if (!_enabled) return _notices;
        CheckEnd(t);
        if (!r.Motion) return _notices;
        // continuous motion: the event that reached its maximum length ends here and this frame starts the next one
        if (_active && _settings.MaxEventSeconds > 0 && t - _start >= TimeSpan.FromSeconds(_settings.MaxEventSeconds))
            EndEvent(t);
        // motion back after a quiet gap (shorter than off_delay): a new visit
        else if (_active && _settings.NewVisitGap > 0 && t - _last >= TimeSpan.FromSeconds(_settings.NewVisitGap))
            EndEvent(t);

        if (!_active)
        {
            _active = true;
            _id = MakeEventId(t, _camera);
            _start = t; _last = t; _peak = -1; _union = null; _frames = 0;
            _zones.Clear(); _peakBoxes.Clear();
            _peakPending = false;
            Absorb(r, t);
            _lastUpdateNotice = t;
            _notices.Add(new MotionEventStarted(Snapshot(null)));
            return _notices;
        }

        bool newZone = Absorb(r, t);
        if (newZone || (_peakPending && t - _lastUpdateNotice >= PeakUpdateInterval))
        {
            _peakPending = false;
            _lastUpdateNotice = t;
            _notices.Add(new MotionEventUpdated(Snapshot(null)));
        }
        return _notices;
    }

    /// <summary>Lets time pass without a frame: ends the event once off_delay has passed since the last motion.</summary>
    public IReadOnlyList<MotionEventNotice> Tick(DateTimeOffset now)
    {
        _notices.Clear();
        CheckEnd(now);
        return _notices;
    }

    void CheckEnd(DateTimeOffset now)
    {
        if (!_active) return;
        var due = _last + TimeSpan.FromSeconds(_settings.OffDelay);
        if (now >= due) EndEvent(due);
    }

    void EndEvent(DateTimeOffset endedAt)
    {
        _active = false;
        _notices.Add(new MotionEventEnded(Snapshot(endedAt)));
    }

    /// <summary>Adds a motion frame to the ongoing event; true when it touched a zone for the first time.</summary>
    bool Absorb(MotionFrameResult r, DateTimeOffset t)
    {
        _last = t;
        _frames++;
        if (r.Score > _peak)
        {
            _peak = r.Score;
            _peakTime = t;
            _peakBoxes.Clear();
            _peakBoxes.AddRange(r.Boxes);
            _peakPending = _frames > 1;
        }
        foreach (var b in r.Boxes) _union = _union is { } u ? u.Union(b) : b;
        bool newZone = false;
        foreach (var z in r.Zones)
            if (!_zones.Contains(z)) { _zones.Add(z); newZone = true; }
        return newZone;
    }

    MotionEvent Snapshot(DateTimeOffset? endedAt) => new(
        _camera, _id, _start, _last, endedAt, Math.Max(0, _peak), _peakTime,
        _peakBoxes.ToArray(), _union, _zones.ToArray(),
        _start - TimeSpan.FromSeconds(_settings.PreCapture),
        _last + TimeSpan.FromSeconds(_settings.PostCapture),
        _frames);
}
