using Lookback.Cameras;
using Lookback.Rendering;

namespace Lookback.Events;

/// <summary>A camera went online, offline or changed its last error.</summary>
public sealed record CameraStatusChanged(string Camera, CameraStatus Status, string? LastError);

/// <summary>A new snapshot should be shown (throttled by the camera: at most one per few seconds).</summary>
public sealed record SnapshotDue(string Camera);

/// <summary>A render finished (ok or error). Published by the render service for every request.</summary>
public sealed record RenderCompleted(RenderRequest Request, RenderResult Result);

/// <summary>Motion switched on or off for a camera (issue "Motion").</summary>
public sealed record MotionChanged(string Camera, bool Active, DateTimeOffset At, double Score,
    IReadOnlyList<string> Zones, string? EventId);

/// <summary>Runtime settings of a camera changed (motion switch, threshold).</summary>
public sealed record CameraSettingsChanged(string Camera);
