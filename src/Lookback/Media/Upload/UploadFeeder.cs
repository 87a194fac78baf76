using Lookback.Config;
using Lookback.Events;
using Lookback.Media.Rendering;
using Microsoft.Extensions.Logging;

namespace Lookback.Media.Upload;

/// <summary>
/// Turns finished media into upload jobs, one per matching target: motion events (their snapshot and GIF) and
/// render results (moments, GIFs, snapshots, MP4s asked for by users or triggers) from the <see cref="EventBus"/>;
/// finished daily timelapses and recording segments through <see cref="Offer"/> (see <see cref="RecordingFeed"/>).
/// Never blocks the publisher beyond writing the small job files.
/// </summary>
public sealed class UploadFeeder : IDisposable
{
    private readonly IReadOnlyList<UploadTargetOptions> _targets;
    private readonly UploadQueue _queue;
    private readonly string _root;
    private readonly TimeProvider _time;
    private readonly Action _wake;
    private readonly List<IDisposable> _subs = [];

    private readonly ILogger? _log;

    public UploadFeeder(IReadOnlyList<UploadTargetOptions> targets, UploadQueue queue, string mediaRoot, EventBus bus,
        TimeProvider time, Action wake, ILogger? log = null)
    {
        _log = log;
        (_targets, _queue, _root, _time, _wake) = (targets, queue, mediaRoot, time, wake);
        _subs.Add(bus.Subscribe<MotionEventCompleted>(e =>
            Offer(e.Camera, UploadMedia.Events, [e.Snapshot?.RelativePath, e.Gif?.RelativePath])));
        _subs.Add(bus.Subscribe<RenderCompleted>(e =>
        {
            // motion events' own GIFs come with MotionEventCompleted
            if (!e.Result.Ok || e.Request.Origin == RenderOrigin.Motion) return;
            Offer(e.Result.Camera, UploadMedia.Moments, [Relative(e.Result.Path), Relative(e.Result.GifPath)]);
        }));
    }

    /// <summary>True when some target takes this camera's media (a feed can skip its work otherwise).</summary>
    public bool Wants(string camera, UploadMedia media) =>
        _targets.Any(t => (t.Media & media) != 0 && (t.Cameras.Count == 0 || t.Cameras.Contains(camera)));

    /// <summary>Queues the files (relative to the media root) for every target that takes this camera and media.</summary>
    public int Offer(string camera, UploadMedia media, IEnumerable<string?> relativePaths)
    {
        var files = relativePaths.Where(p => !string.IsNullOrEmpty(p)).Distinct().ToList();
        var now = _time.GetUtcNow();
        var date = DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(now, TimeZoneInfo.Local).DateTime);
        var queued = 0;
        foreach (var t in _targets)
        {
            if ((t.Media & media) == 0 || t.Cameras.Count > 0 && !t.Cameras.Contains(camera)) continue;
            foreach (var rel in files)
            {
                var full = Path.Combine(_root, rel!);
                if (!File.Exists(full)) continue;
                try
                {
                    _queue.Enqueue(new UploadJob
                    {
                        Id = Guid.NewGuid().ToString("N"), Target = t.Name, Camera = camera, RelativePath = rel!,
                        Key = UploadKey.Expand(t.Path, camera, date, rel!), Bytes = new FileInfo(full).Length, Created = now,
                        Media = media.ToString().ToLowerInvariant(),
                    });
                    queued++;
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                {
                    // disk full (or read-only): this file will not go out; the jobs already queued still do
                    _queue.CountLost();
                    _log?.LogWarning("Upload queue: cannot write the job for {File} to {Target} ({Error}); it will not be uploaded",
                        rel, t.Name, ex.Message);
                }
            }
        }
        if (queued > 0) _wake();
        return queued;
    }

    private string? Relative(string? full) =>
        full is null ? null : Path.GetRelativePath(_root, full).Replace('\\', '/');

    public void Dispose() { foreach (var s in _subs) s.Dispose(); }
}
