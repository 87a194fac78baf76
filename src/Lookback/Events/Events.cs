using Lookback.Storage;
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

/// <summary>
/// A motion event is over and its files are written: the peak snapshot and the GIF from pre_capture before its
/// start to post_capture after its end (null where that render failed; <see cref="Error"/> says why).
/// </summary>
public sealed record MotionEventCompleted(string Camera, string EventId, DateTimeOffset Start, DateTimeOffset End,
    double Score, IReadOnlyList<string> Zones, MediaRef? Snapshot, MediaRef? Gif, string? Error);

/// <summary>A file published to users: its URL (http) and, when storage.media_url is set, its Home Assistant media path.</summary>
public sealed record MediaRef(string Url, string? Media, string RelativePath);

public static class MediaRefs
{
    /// <summary>The published URL and media path of a file under the media root, by its relative path.</summary>
    public static MediaRef RefTo(this MediaStore store, string relativePath) =>
        new(store.Url(relativePath), store.Media(relativePath), relativePath);

    /// <summary>The same for a file by its full path (a render result's <c>Path</c>).</summary>
    public static MediaRef RefToFile(this MediaStore store, string fullPath) =>
        store.RefTo(Path.GetRelativePath(store.Root, fullPath).Replace('\\', '/'));
}
