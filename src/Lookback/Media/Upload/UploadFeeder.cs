using Lookback.Config;
using Lookback.Events;
using Lookback.Media.Rendering;

namespace Lookback.Media.Upload;

/// <summary>
/// Turns finished media into upload jobs, one per matching target: motion events (their snapshot and GIF) and
/// render results (moments, GIFs, snapshots, MP4s asked for by users or triggers). Listens on the
/// <see cref="EventBus"/>; never blocks the publisher beyond writing the small job files.
/// </summary>
public sealed class UploadFeeder : IDisposable
{
    private readonly IReadOnlyList<UploadTargetOptions> _targets;
    private readonly UploadQueue _queue;
    private readonly string _root;
    private readonly TimeProvider _time;
    private readonly Action _wake;
    private readonly List<IDisposable> _subs = [];

    public UploadFeeder(IReadOnlyList<UploadTargetOptions> targets, UploadQueue queue, string mediaRoot, EventBus bus,
        TimeProvider time, Action wake)
    {
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
                _queue.Enqueue(new UploadJob
                {
                    Id = Guid.NewGuid().ToString("N"), Target = t.Name, Camera = camera, RelativePath = rel!,
                    Key = UploadKey.Expand(t.Path, camera, date, rel!), Bytes = new FileInfo(full).Length, Created = now,
                });
                queued++;
            }
        }
        if (queued > 0) _wake();
        return queued;
    }

    private string? Relative(string? full) =>
        full is null ? null : Path.GetRelativePath(_root, full).Replace('\\', '/');

    public void Dispose() { foreach (var s in _subs) s.Dispose(); }
}
