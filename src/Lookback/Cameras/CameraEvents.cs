namespace Lookback.Cameras;

/// <summary>A camera went online, offline or changed its last error.</summary>
public sealed record CameraStatusChanged(string Camera, CameraStatus Status, string? LastError);

/// <summary>A new snapshot should be shown (throttled by the camera: at most one per few seconds).</summary>
public sealed record SnapshotDue(string Camera);

/// <summary>Runtime settings of a camera changed (motion switch, threshold).</summary>
public sealed record CameraSettingsChanged(string Camera);
