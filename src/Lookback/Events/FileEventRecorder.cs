using Lookback.Sources.Folder;
using System.Threading.Channels;
using Lookback.Config;
using Lookback.Events;
using Lookback.Motion;
using Lookback.Media.Rendering;
using Lookback.Media.Storage;
using Microsoft.Extensions.Logging;

namespace Lookback.Events;

/// <summary>
/// <c>events_from: files</c>: a folder camera's new files become events, announced exactly like motion events so that
/// MQTT, the web UI and automations need nothing new.
/// <para>
/// A <b>burst</b> is one event: a file starts an event unless it comes within <c>motion.off_delay</c> seconds (by frame
/// time) of the previous file of the ongoing event; the event ends once <c>off_delay</c> has passed (wall clock) without a
/// new file, or when a file comes that is too late for it. So a camera that uploads 5 pictures per alarm gives one
/// event, and with <c>off_delay: 0</c> every file is an event of its own.
/// </para>
/// At the first file: <see cref="MotionChanged"/> ON (MQTT motion ON, motion_start), a copy of the file under the media
/// root as the event's snapshot, and a <see cref="StoredEvent"/> of type <c>file</c> with the JPEG comment and EXIF
/// time of that file in its metadata (<c>comment</c>, <c>exif_time</c>, plus <c>file</c>, <c>time_source</c>).
/// At the end: MotionChanged OFF, a GIF of the burst's frames through the render queue when it has two or more, the
/// stored event completed (end, <c>files</c> count) and <see cref="MotionEventCompleted"/> with the snapshot and GIF URLs
/// (MQTT motion_end). Score is 0 (no analysis), zones are empty.
/// </summary>
/// <remarks>
/// <see cref="MotionEventRecorder"/> is not reused as such: it stores type "motion" without metadata and picks its
/// snapshot by motion score; this class reuses its contracts (the bus events, <see cref="MediaRef"/>, the event id
/// format, the render request of motion GIFs) instead.
/// </remarks>
public sealed class FileEventRecorder : IAsyncDisposable
{
    private readonly string _camera;
    private readonly EventStore? _store;
    private readonly MediaStore _media;
    private readonly IRenderService? _render;
    private readonly EventBus _bus;
    private readonly TimeProvider _time;
    private readonly ILogger _log;
    private readonly TimeSpan _gap;
    private readonly EventFrameLimits _frameLimits;
    private readonly Channel<FolderFileIngested> _files = Channel.CreateUnbounded<FolderFileIngested>(new() { SingleReader = true });
    private readonly IDisposable _subscription;
    private readonly CancellationTokenSource _cts = new();
    private readonly Task _loop;
    private readonly List<Task> _finishing = [];

    private sealed class Burst
    {
        public required string Id;
        public required DateTimeOffset Start;
        public DateTimeOffset End;
        public DateTimeOffset LastArrival;
        public int Files;
        public Task<MediaRef?> Snapshot = Task.FromResult<MediaRef?>(null);
        public required Dictionary<string, string> Metadata;
        /// <summary>The burst's files as its replay frames (null: frames_fps 0).</summary>
        public EventFrameWriter? Frames;
    }

    private Burst? _current;

    public FileEventRecorder(string camera, CameraOptions options, EventStore? store, MediaStore media, IRenderService? render,
        EventBus bus, TimeProvider time, ILogger log)
    {
        _camera = camera; _store = store; _media = media; _render = render; _bus = bus; _time = time; _log = log;
        _gap = TimeSpan.FromSeconds(Math.Max(0, options.Motion.OffDelay));
        _frameLimits = new EventFrameLimits(options.Motion.FramesFps);
        _subscription = bus.Subscribe<FolderFileIngested>(f => { if (f.Camera == _camera) _files.Writer.TryWrite(f); });
        _loop = Task.Run(() => RunAsync(_cts.Token));
    }

    /// <summary>Events whose files are still being written (tests and shutdown wait on it).</summary>
    public Task Pending { get { lock (_finishing) return Task.WhenAll(_finishing.ToArray()); } }

    private async Task RunAsync(CancellationToken ct)
    {
        try
        {
            while (!ct.IsCancellationRequested)
            {
                if (_current is { } b)
                {
                    var left = b.LastArrival + _gap - _time.GetUtcNow();
                    if (left <= TimeSpan.Zero && !_files.Reader.TryPeek(out _)) { End(b); continue; }
                    if (left > TimeSpan.Zero && !_files.Reader.TryPeek(out _))
                    {
                        using var timeout = new CancellationTokenSource(left, _time);
                        using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, timeout.Token);
                        try { await _files.Reader.WaitToReadAsync(linked.Token).ConfigureAwait(false); }
                        catch (OperationCanceledException) when (!ct.IsCancellationRequested) { }
                    }
                }
                else if (!await _files.Reader.WaitToReadAsync(ct).ConfigureAwait(false)) return;
                while (_files.Reader.TryRead(out var f)) OnFile(f);
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested) { }
        catch (Exception ex) { _log.LogError(ex, "Camera {Camera}: file events stopped", _camera); }
    }

    private void OnFile(FolderFileIngested f)
    {
        var now = _time.GetUtcNow();
        if (_current is { } b && f.Time >= b.Start && f.Time <= b.End + _gap)
        {
            b.End = f.Time > b.End ? f.Time : b.End;
            b.LastArrival = now;
            b.Files++;
            AppendFrame(b, f);
            return;
        }
        if (_current is { } old) End(old);
        var meta = new Dictionary<string, string>
        {
            ["file"] = f.RelativePath,
            ["time_source"] = f.TimeSource,
        };
        if (f.Metadata.Comment is { } c) meta["comment"] = c;
        if (f.Metadata.ExifTimeText is { } t) meta["exif_time"] = t;
        var burst = new Burst
        {
            Id = MotionEventTracker.MakeEventId(f.Time, _camera), Start = f.Time, End = f.Time, LastArrival = now, Files = 1,
            Metadata = meta,
        };
        if (_frameLimits.Enabled) burst.Frames = new EventFrameWriter(_media, _camera, f.Time, _frameLimits);
        AppendFrame(burst, f);
        _current = burst;
        burst.Snapshot = WriteSnapshotAsync(burst, f);
        Track(burst.Snapshot);
        _bus.Publish(new MotionChanged(_camera, true, f.Time, 0, [], burst.Id));
    }

    private void AppendFrame(Burst b, FolderFileIngested f)
    {
        if (b.Frames is null) return;
        try { b.Frames.Append(f.Jpeg, f.Time, f.Metadata.Comment); }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            _log.LogWarning("Camera {Camera}: could not keep the frames of event {Event}: {Error}", _camera, b.Id, ex.Message);
            b.Frames.Dispose();
            b.Frames = null;
        }
    }

    private async Task<MediaRef?> WriteSnapshotAsync(Burst b, FolderFileIngested f)
    {
        MediaRef? snapshot = null;
        try
        {
            var s = await _media.WriteAsync(_camera, f.Time, "file", "jpg", f.Jpeg, CancellationToken.None).ConfigureAwait(false);
            snapshot = _media.RefTo(s.RelativePath);
        }
        catch (Exception ex)
        {
            _log.LogWarning("Camera {Camera}: could not copy '{File}' for event {Event}: {Error}", _camera, f.RelativePath, b.Id, ex.Message);
        }
        Store(b, null, snapshot, null);
        return snapshot;
    }

    private void End(Burst b)
    {
        _current = null;
        _bus.Publish(new MotionChanged(_camera, false, _time.GetUtcNow(), 0, [], b.Id));
        Track(FinishAsync(b, b.Start, b.End, b.Files));
    }

    private async Task FinishAsync(Burst b, DateTimeOffset start, DateTimeOffset end, int files)
    {
        var snapshot = await b.Snapshot.ConfigureAwait(false);
        MediaRef? gif = null;
        string? error = snapshot is null ? "snapshot: could not copy the file" : null;
        if (files >= 2 && _render is not null)
        {
            try
            {
                var r = await _render.SubmitAsync(new RenderRequest
                {
                    Camera = _camera, Kind = RenderKind.Gif, Origin = RenderOrigin.Motion, RequestId = "files-" + b.Id,
                    From = start, To = end,
                }, CancellationToken.None).ConfigureAwait(false);
                if (r.Ok && r.Path is not null) gif = _media.RefToFile(r.Path);
                else error = (error is null ? "" : error + "; ") + $"gif: {r.Error}";
            }
            catch (Exception ex) { error = (error is null ? "" : error + "; ") + $"gif: {ex.Message}"; }
        }
        (string Frames, string Index)? frames = null;
        if (b.Frames is { } fw)
        {
            try { frames = await fw.CompleteAsync(CancellationToken.None).ConfigureAwait(false); }
            catch (Exception ex) { error = (error is null ? "" : error + "; ") + $"frames: {ex.Message}"; }
        }
        Store(b, end, snapshot, gif, files, frames);
        _bus.Publish(new MotionEventCompleted(_camera, b.Id, start, end, 0, [], snapshot, gif, error));
    }

    private void Store(Burst b, DateTimeOffset? end, MediaRef? snapshot, MediaRef? gif, int? files = null,
        (string Frames, string Index)? frames = null)
    {
        if (_store is null) return;
        var fileMap = new Dictionary<string, string>();
        if (snapshot is not null) fileMap["snapshot"] = snapshot.RelativePath;
        if (gif is not null) fileMap["gif"] = gif.RelativePath;
        if (frames is { } fr) { fileMap[EventFrames.FramesKey] = fr.Frames; fileMap[EventFrames.IndexKey] = fr.Index; }
        var meta = new Dictionary<string, string>(b.Metadata);
        if (files is { } n) meta["files"] = n.ToString(System.Globalization.CultureInfo.InvariantCulture);
        try
        {
            _store.Upsert(new StoredEvent
            {
                Id = b.Id, Camera = _camera, Type = "file", Start = b.Start, End = end, PeakAt = b.Start,
                Files = fileMap, Metadata = meta,
            });
        }
        catch (Exception ex)
        {
            _log.LogWarning("Camera {Camera}: could not store file event {Event}: {Error}", _camera, b.Id, ex.Message);
        }
    }

    private void Track(Task t)
    {
        lock (_finishing) { _finishing.RemoveAll(x => x.IsCompleted); _finishing.Add(t); }
    }

    public async ValueTask DisposeAsync()
    {
        _subscription.Dispose();
        _files.Writer.TryComplete();
        _cts.Cancel();
        try { await _loop.WaitAsync(TimeSpan.FromSeconds(3)).ConfigureAwait(false); } catch (TimeoutException) { }
        try { await Pending.WaitAsync(TimeSpan.FromSeconds(3)).ConfigureAwait(false); } catch (Exception) { }
        _cts.Dispose();
    }
}
