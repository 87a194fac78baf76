using Lookback.Buffer;
using Lookback.Config;
using Lookback.Events;
using Lookback.Sources;
using Lookback.Sources.Streaming;
using Microsoft.Extensions.Logging;

namespace Lookback.Cameras;

/// <summary>Checks that bytes are a complete JPEG; returns null (and its size) when fine, else the reason.</summary>
public delegate string? JpegCheck(ReadOnlySpan<byte> jpeg, out int width, out int height);

/// <summary>
/// One running camera: owns its source task and its ring, validates what the source delivers, keeps its
/// health (status, last error, fps). Its faults change only its own status.
/// </summary>
public sealed class Camera : ICamera, IFrameSink, IAsyncDisposable,
    IGrayFrameSink, IGrayFrameProvider, // gray frames for motion
    IPacketSink, // the stream's own packets (ffmpeg stream cameras)
    IPreviewSink // small JPEG frames for GIFs beside the packets
{
    private readonly IFrameSource _source;
    private readonly EventBus _bus;
    private readonly JpegCheck _check;
    private readonly TimeProvider _time;
    private readonly ILogger _log;
    private readonly FrameRateMeter _fps = new();
    private readonly TimeSpan _snapshotEvery;
    private CancellationTokenSource? _cts;
    private Task? _task;
    private DateTimeOffset _lastSnapshotDue = DateTimeOffset.MinValue;
    private volatile CameraStatus _status = CameraStatus.Starting;
    private volatile string? _lastError, _previousError;
    private long _lastErrorTicks;
    private long _lastFrameTicks;
    private long _framesTotal, _bytesTotal, _errorsTotal;

    public Camera(CameraOptions options, IFrameSource source, EventBus bus, JpegCheck check,
        TimeProvider? time = null, ILogger? logger = null, TimeSpan? snapshotEvery = null)
    {
        Options = options;
        _source = source;
        _bus = bus;
        _check = check;
        _time = time ?? TimeProvider.System;
        _log = logger ?? Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance;
        _snapshotEvery = snapshotEvery ?? TimeSpan.FromSeconds(10);
        Ring = new FrameRing(new RingLimits(options.Store,
            options.BufferSeconds is { } s ? TimeSpan.FromSeconds(s) : null, options.MaxBufferBytes));
        _motionEnabled = options.Motion.Enabled;
        _motionThreshold = options.Motion.Threshold;
        // USB cameras are left out: their ffmpeg input is often raw video, which the ring cannot cut
        if (source is StreamSource { InputKind: not StreamInputKind.Usb })
            Packets = new PacketRing(TimeSpan.FromSeconds(options.BufferSeconds ?? PacketRing.DefaultSeconds), options.MaxBufferBytes);
        // preview frames older than the packets would make GIFs the packets cannot: they keep at most as long as the packets
        var previewSeconds = Math.Min(options.PreviewSeconds, Packets?.MaxAge.TotalSeconds ?? 0);
        if (previewSeconds > 0)
            Previews = new FrameRing(new RingLimits((int)Math.Ceiling(previewSeconds * StreamArgs.PreviewFps(options)) + 4,
                TimeSpan.FromSeconds(previewSeconds), PreviewMaxBytes));
    }

    /// <summary>A bound on the preview frames' bytes whatever their size (480 px at q4 is ~19 KB a frame).</summary>
    public const long PreviewMaxBytes = 32L * 1024 * 1024;

    /// <summary>Small JPEG frames at the camera's GIF rate and width (<c>preview_seconds</c>), for GIFs; null when none are kept.</summary>
    public FrameRing? Previews { get; }

    public void OnPreviewFrame(ReadOnlySpan<byte> jpeg, DateTimeOffset at)
    {
        // the header's size is enough: the frames come from our own ffmpeg, complete by the parser's framing
        if (Previews is null || !Imaging.JpegValidator.TryGetSize(jpeg, out var w, out var h)) return;
        Previews.Append(jpeg, at, w, h);
    }

    /// <summary>The ring of the stream's own video packets (RTSP and HTTP video cameras), else null.</summary>
    public PacketRing? Packets { get; }

    public string Slug => Options.Slug;
    public CameraOptions Options { get; }
    public FrameRing Ring { get; }
    public CameraStatus Status => _status;
    public string? LastError => _lastError;
    public string? PreviousError => _previousError;
    public DateTimeOffset? LastErrorAt
    {
        get { var t = Interlocked.Read(ref _lastErrorTicks); return t == 0 ? null : new DateTimeOffset(t, TimeSpan.Zero); }
    }
    public double Fps => _fps.Rate(_time.GetUtcNow());
    public DateTimeOffset? LastFrameAt
    {
        get { var t = Interlocked.Read(ref _lastFrameTicks); return t == 0 ? null : new DateTimeOffset(t, TimeSpan.Zero); }
    }
    public long FramesTotal => Interlocked.Read(ref _framesTotal);
    public long BytesTotal => Interlocked.Read(ref _bytesTotal);
    public long ErrorsTotal => Interlocked.Read(ref _errorsTotal);

    private volatile bool _motionEnabled;
    public bool MotionEnabled { get => _motionEnabled; set => _motionEnabled = value; }
    private volatile int _motionThreshold;
    public int MotionThreshold
    {
        get => _motionThreshold;
        set => _motionThreshold = MotionOptions.ThresholdRange.Contains(value) ? value
            : throw new ArgumentOutOfRangeException(nameof(value), "motion threshold must be " + MotionOptions.ThresholdRange.Describe());
    }

    public void Start()
    {
        if (_task is not null) return;
        _cts = new CancellationTokenSource();
        _task = Task.Run(() => RunAsync(_cts.Token));
    }

    private async Task RunAsync(CancellationToken ct)
    {
        var backoff = new Backoff(jitter: 0); // 1 s, 2 s, 4 s … 60 s
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await _source.RunAsync(this, ct).ConfigureAwait(false);
                return;
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested) { return; }
            catch (Exception ex)
            {
                // A source must never throw for camera faults; if one does, the camera restarts it.
                var delay = backoff.Next();
                _log.LogError(ex, "Camera {Camera}: source stopped unexpectedly; restarting in {Delay}", Slug, delay);
                OnError($"source failed: {ex.Message}");
                try { await Task.Delay(delay, _time, ct).ConfigureAwait(false); } catch (OperationCanceledException) { return; }
            }
        }
    }

    public void OnFrame(ReadOnlySpan<byte> jpeg, DateTimeOffset capturedAt)
    {
        if (_check(jpeg, out var w, out var h) is { } bad) { OnError(bad); return; }
        Ring.Append(jpeg, capturedAt, w, h);
        Interlocked.Increment(ref _framesTotal);
        Interlocked.Add(ref _bytesTotal, jpeg.Length);
        Interlocked.Exchange(ref _lastFrameTicks, capturedAt.UtcTicks);
        _fps.Mark(capturedAt);
        if (_status != CameraStatus.Online)
        {
            _status = CameraStatus.Online;
            _lastError = null; // recovered: the fault stays in PreviousError / LastErrorAt only
            _log.LogInformation("Camera {Camera} online", Slug);
            _bus.Publish(new CameraStatusChanged(Slug, CameraStatus.Online, null));
        }
        if (capturedAt - _lastSnapshotDue >= _snapshotEvery)
        {
            _lastSnapshotDue = capturedAt;
            _bus.Publish(new SnapshotDue(Slug));
        }
    }

    // ---- gray frames straight from an ffmpeg source (newest only), and the recording of stream cameras
    /// <summary>The newest gray frame from the source (ffmpeg streams); motion uses it instead of decoding JPEGs.</summary>
    public GrayFrameSlot GrayFrames { get; } = new();
    public bool ProvidesGrayFrames => _source is StreamSource && Options.Motion.Enabled;
    public void OnGrayFrame(ReadOnlySpan<byte> gray, int width, int height, DateTimeOffset at) => GrayFrames.Write(gray, width, height, at);
    /// <summary>The camera's recorder (stream cameras with <c>record: true</c>), else null.</summary>
    public IStreamRecording? Recorder { get; init; }
    /// <summary>The camera's source (tests, diagnostics).</summary>
    public IFrameSource Source => _source;
    public CameraKind DetectedKind => Options.Kind != CameraKind.Auto ? Options.Kind : _source switch
    {
        AutoSource a => a.Detected,
        StreamSource s => s.InputKind == StreamInputKind.Usb ? CameraKind.Usb : CameraKind.Rtsp,
        Sources.Folder.FolderSource => CameraKind.Folder,
        SnapshotSource => CameraKind.Snapshot,
        MjpegSource => CameraKind.Mjpeg,
        _ => CameraKind.Auto,
    };

    public void OnError(string error)
    {
        Interlocked.Increment(ref _errorsTotal);
        var changed = _status != CameraStatus.Offline || _lastError != error;
        _lastError = error;
        _previousError = error;
        Interlocked.Exchange(ref _lastErrorTicks, _time.GetUtcNow().UtcTicks);
        if (!changed) return;
        _status = CameraStatus.Offline;
        _log.LogWarning("Camera {Camera} offline: {Error}", Slug, error);
        _bus.Publish(new CameraStatusChanged(Slug, CameraStatus.Offline, error));
    }

    /// <summary>Stops the source (idempotent); waits at most 5 s for it.</summary>
    public async Task StopAsync()
    {
        var cts = Interlocked.Exchange(ref _cts, null);
        if (cts is null) return;
        cts.Cancel();
        try { if (_task is not null) await _task.WaitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false); }
        catch (Exception ex) when (ex is OperationCanceledException or TimeoutException) { }
        finally { cts.Dispose(); }
    }

    private int _disposed;

    public async ValueTask DisposeAsync()
    {
        // idempotent: the registry is disposed through both of its DI registrations
        if (Interlocked.Exchange(ref _disposed, 1) == 1) return;
        await StopAsync().ConfigureAwait(false);
        Ring.Dispose();
        Previews?.Dispose();
    }
}

/// <summary>Frames per second over the last few frames (by capture time).</summary>
internal sealed class FrameRateMeter
{
    private readonly DateTimeOffset[] _times = new DateTimeOffset[16];
    private int _count, _next;
    private readonly object _gate = new();

    public void Mark(DateTimeOffset t)
    {
        lock (_gate) { _times[_next] = t; _next = (_next + 1) % _times.Length; _count = Math.Min(_count + 1, _times.Length); }
    }

    public double Rate(DateTimeOffset now)
    {
        lock (_gate)
        {
            if (_count < 2) return 0;
            var newest = _times[(_next - 1 + _times.Length) % _times.Length];
            var oldest = _times[(_next - _count + _times.Length) % _times.Length];
            var span = (newest - oldest).TotalSeconds;
            // A camera that stopped delivering is at 0 fps, not at its old rate.
            if (span <= 0 || (now - newest).TotalSeconds > Math.Max(5, 3 * span / (_count - 1))) return 0;
            return Math.Round((_count - 1) / span, 2);
        }
    }
}
