using Lookback.Buffer;
using Lookback.Config;
using Lookback.Motion;
using Lookback.Media.Rendering;
using Lookback.Media.Storage;
using Microsoft.Extensions.Logging;

namespace Lookback.Events;

/// <summary>
/// Turns one camera's motion notices into what users see: MotionChanged on the bus at once (MQTT ON/OFF, motion_start),
/// a row in the event store, the snapshot of the event's peak frame, and the event's GIF
/// [start − pre_capture, end + post_capture] through the render queue, then MotionEventCompleted with their URLs.
/// The GIF is rendered as soon as post_capture has passed without new motion, so that it is usually ready when
/// off_delay ends the event; if motion comes back, that early GIF is thrown away.
/// With a <paramref name="ring"/>, each event also keeps its frames [WindowStart, WindowEnd] (see
/// <see cref="EventFrameWriter"/>), copied from the ring on every tick while the event and its post_capture last, so an
/// event longer than the ring still has all of them.
/// Called from the camera's analysis loop only (not thread-safe), except the background finishing tasks.
/// </summary>
public sealed class MotionEventRecorder(string camera, EventStore? store, MediaStore media,
    IRenderService render, EventBus bus, TimeProvider time, ILogger log,
    FrameRing? ring = null, EventFrameLimits? frameLimits = null, EventGifPace? pace = null)
{
    private sealed record EarlyGif(DateTimeOffset End, Task<RenderResult> Task);

    /// <summary>An event whose frames are being copied: until <see cref="Until"/> (its WindowEnd, once it ended).</summary>
    private sealed class FrameCollector(EventFrameWriter writer, DateTimeOffset from)
    {
        public readonly EventFrameWriter Writer = writer;
        public DateTimeOffset From = from;
        public DateTimeOffset? Until;
        public readonly TaskCompletionSource<(string Frames, string Index)?> Done = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    private readonly List<FrameCollector> _collectors = [];
    private FrameCollector? _collecting;

    private byte[]? _peakJpeg;
    private double _peakScore = -1;
    private DateTimeOffset _peakTime;
    private EarlyGif? _early;
    private readonly List<Task> _finishing = [];

    /// <summary>Background work still running (tests and shutdown wait on it).</summary>
    public Task Pending { get { lock (_finishing) return Task.WhenAll(_finishing.ToArray()); } }

    public void OnNotices(IReadOnlyList<MotionEventNotice> notices)
    {
        foreach (var n in notices)
        {
            var e = n.Event;
            switch (n)
            {
                case MotionEventStarted:
                    _peakScore = -1; _peakJpeg = null; _early = null;
                    StartFrames(e);
                    Store(e, null);
                    bus.Publish(new MotionChanged(camera, true, e.Start, e.PeakScore, e.Zones, e.EventId));
                    break;
                case MotionEventUpdated:
                    Store(e, null);
                    break;
                case MotionEventEnded:
                    bus.Publish(new MotionChanged(camera, false, e.EndedAt ?? e.End, e.PeakScore, e.Zones, e.EventId));
                    var frames = EndFrames(e);
                    var task = FinishAsync(e, _peakJpeg, _peakTime, _early, frames);
                    lock (_finishing) { _finishing.RemoveAll(t => t.IsCompleted); _finishing.Add(task); }
                    _peakJpeg = null; _early = null;
                    break;
            }
        }
    }

    /// <summary>Keeps a copy of the frame with the highest score of the ongoing event.</summary>
    public void OnFrame(bool eventActive, MotionFrameResult r, Frame frame)
    {
        if (!eventActive || !r.Motion || r.Score <= _peakScore) return;
        _peakScore = r.Score;
        _peakTime = frame.Time;
        _peakJpeg = frame.Jpeg.ToArray();
    }

    /// <summary>Starts the GIF early once post_capture has passed since the last motion of the ongoing event.</summary>
    public void OnTick(MotionEvent? current, DateTimeOffset now)
    {
        CollectFrames(now);
        if (current is null || now < current.WindowEnd) return;
        if (_early is { } old && old.End == current.End) return;
        if (_early is { } stale) Discard(stale);
        _early = new EarlyGif(current.End, RenderGif(current));
    }

    private void StartFrames(MotionEvent e)
    {
        _collecting = null;
        if (ring is null || frameLimits is not { Enabled: true } limits) return;
        _collecting = new FrameCollector(new EventFrameWriter(media, camera, e.Start, limits), e.WindowStart);
        _collectors.Add(_collecting);
    }

    private Task<(string Frames, string Index)?> EndFrames(MotionEvent e)
    {
        if (_collecting is not { } c) return Task.FromResult<(string, string)?>(null);
        _collecting = null;
        c.Until = e.WindowEnd;
        return c.Done.Task;
    }

    /// <summary>Copies the ring's new frames into every collecting event; completes those whose window has passed.</summary>
    private void CollectFrames(DateTimeOffset now)
    {
        if (ring is null) return;
        for (var i = _collectors.Count - 1; i >= 0; i--)
        {
            var c = _collectors[i];
            try
            {
                using (var w = ring.Window(c.From, c.Until ?? DateTimeOffset.MaxValue))
                    foreach (var f in w)
                    {
                        c.Writer.Append(f.Jpeg.Span, f.Time);
                        c.From = f.Time.AddTicks(1);
                    }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                log.LogWarning("Camera {Camera}: could not keep the frames of a motion event: {Error}", camera, ex.Message);
                c.Writer.Dispose();
                c.Done.TrySetResult(null);
                _collectors.RemoveAt(i);
                continue;
            }
            // done once the window has passed (a frame may come a little late: one more second of slack)
            if (c.Until is { } until && (c.From > until || now >= until.AddSeconds(1)))
            {
                _collectors.RemoveAt(i);
                var done = c.Done;
                _ = c.Writer.CompleteAsync(CancellationToken.None).ContinueWith(t =>
                {
                    if (t.IsCompletedSuccessfully) done.TrySetResult(t.Result);
                    else
                    {
                        log.LogWarning("Camera {Camera}: could not store the frames of a motion event: {Error}", camera, t.Exception?.GetBaseException().Message);
                        done.TrySetResult(null);
                    }
                }, TaskScheduler.Default);
            }
        }
    }

    private Task<RenderResult> RenderGif(MotionEvent e)
    {
        var from = e.WindowStart;
        var to = e.WindowEnd;
        if ((to - from).TotalSeconds > RenderLimits.MaxSeconds) from = to.AddSeconds(-RenderLimits.MaxSeconds);
        var (fps, speed) = pace?.For((to - from).TotalSeconds) ?? (null, null);
        return render.SubmitAsync(new RenderRequest
        {
            Camera = camera, Kind = Config.RenderKind.Gif, Origin = RenderOrigin.Motion, RequestId = "motion-" + e.EventId,
            From = from, To = to, Fps = fps, Speed = speed,
        }, CancellationToken.None);
    }

    private void Discard(EarlyGif early) => _ = early.Task.ContinueWith(t =>
    {
        if (t.IsCompletedSuccessfully && t.Result.Path is { } p) TryDelete(p);
    }, TaskScheduler.Default);

    private async Task FinishAsync(MotionEvent e, byte[]? peak, DateTimeOffset peakTime, EarlyGif? early,
        Task<(string Frames, string Index)?> frames)
    {
        MediaRef? snapshot = null, gif = null;
        var errors = new List<string>();
        try
        {
            if (peak is not null)
            {
                var s = await media.WriteAsync(camera, peakTime, "motion", "jpg", peak, CancellationToken.None).ConfigureAwait(false);
                snapshot = media.RefTo(s.RelativePath);
            }
            Task<RenderResult> gifTask;
            if (early is not null && early.End == e.End) gifTask = early.Task;
            else
            {
                if (early is not null) Discard(early);
                var wait = e.WindowEnd - time.GetUtcNow();
                if (wait > TimeSpan.Zero) await Task.Delay(wait, time).ConfigureAwait(false);
                gifTask = RenderGif(e);
            }
            var r = await gifTask.ConfigureAwait(false);
            if (r.Ok && r.Path is not null) gif = media.RefToFile(r.Path);
            else errors.Add($"gif: {r.Error}");
        }
        catch (Exception ex)
        {
            errors.Add(ex.Message);
            log.LogWarning("Camera {Camera}: motion event {Event} files failed: {Error}", camera, e.EventId, ex.Message);
        }
        var files = new Dictionary<string, string>();
        if (snapshot is not null) files["snapshot"] = snapshot.RelativePath;
        if (gif is not null) files["gif"] = gif.RelativePath;
        try
        {
            // the analysis loop completes it once post_capture has passed; bounded in case that loop stopped
            if (await frames.WaitAsync(Max(e.WindowEnd - time.GetUtcNow(), TimeSpan.Zero) + TimeSpan.FromSeconds(10), time).ConfigureAwait(false) is { } fr)
            {
                files[EventFrames.FramesKey] = fr.Frames;
                files[EventFrames.IndexKey] = fr.Index;
            }
        }
        catch (TimeoutException) { errors.Add("frames: not completed in time"); }
        Store(e, files);
        bus.Publish(new MotionEventCompleted(camera, e.EventId, e.Start, e.End, e.PeakScore, e.Zones, snapshot, gif,
            errors.Count == 0 ? null : string.Join("; ", errors)));
    }

    private void Store(MotionEvent e, IReadOnlyDictionary<string, string>? files)
    {
        if (store is null) return;
        try
        {
            store.Upsert(new StoredEvent
            {
                Id = e.EventId, Camera = camera, Start = e.Start, End = e.EndedAt is null ? null : e.End,
                Score = Math.Round(e.PeakScore, 3), PeakAt = e.PeakTime,
                Boxes = e.PeakBoxes.Select(b => new EventBox(Math.Round(b.Nx, 4), Math.Round(b.Ny, 4), Math.Round(b.Nw, 4), Math.Round(b.Nh, 4))).ToList(),
                Zones = e.Zones.ToList(),
                Files = files ?? new Dictionary<string, string>(),
            });
        }
        catch (Exception ex)
        {
            log.LogWarning("Camera {Camera}: could not store motion event {Event}: {Error}", camera, e.EventId, ex.Message);
        }
    }

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;

    private static void TryDelete(string path) { try { File.Delete(path); } catch (IOException) { } catch (UnauthorizedAccessException) { } }
}
