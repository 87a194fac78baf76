using Lookback.Media.Storage;

namespace Lookback.Events;

/// <summary>Motion switched on or off for a camera (issue "Motion").</summary>
public sealed record MotionChanged(string Camera, bool Active, DateTimeOffset At, double Score,
    IReadOnlyList<string> Zones, string? EventId);

/// <summary>
/// A motion event is over and its files are written: the peak snapshot and the GIF from pre_capture before its
/// start to post_capture after its end (null where that render failed; <see cref="Error"/> says why).
/// </summary>
public sealed record MotionEventCompleted(string Camera, string EventId, DateTimeOffset Start, DateTimeOffset End,
    double Score, IReadOnlyList<string> Zones, MediaRef? Snapshot, MediaRef? Gif, string? Error);
