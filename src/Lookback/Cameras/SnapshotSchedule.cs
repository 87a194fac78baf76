namespace Lookback.Cameras;

/// <summary>How often a camera announces a new snapshot (<see cref="SnapshotDue"/>).</summary>
public sealed record SnapshotSchedule(TimeSpan Every);
