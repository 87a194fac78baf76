using Lookback.Buffer;
using Lookback.Config;
using Lookback.Sources;
using Microsoft.Extensions.Logging;

namespace Lookback.Events;

/// <summary>
/// A camera's <c>motion_url</c> (a low-resolution snapshot or MJPEG URL): read by its own HTTP source into a small
/// private ring that only motion analysis sees, so motion costs what the small stream costs. Snapshots URLs are
/// polled at motion.fps. Errors are logged and retried by the source (with backoff); they never touch the camera.
/// </summary>
public sealed class MotionFeed : IFrameSink, IAsyncDisposable
{
    private readonly IFrameSource _source;
    private readonly string _slug;
    private readonly ILogger _log;
    private readonly CancellationTokenSource _cts = new();
    private Task? _run;
    private string? _lastError;

    public FrameRing Ring { get; } = new(new RingLimits(4, null, 16L * 1024 * 1024));

    public MotionFeed(CameraOptions camera, HttpClient http, TimeProvider time, ILogger log)
    {
        ArgumentNullException.ThrowIfNull(camera.MotionUrl);
        _slug = camera.Slug; _log = log;
        var options = camera with
        {
            Url = camera.MotionUrl, Kind = CameraKind.Auto, Record = false,
            Interval = 1 / Math.Clamp(camera.Motion.Fps, 0.1, 30),
        };
        _source = SourceFactory.Create(options, http, time);
    }

    public void Start() => _run ??= Task.Run(() => _source.RunAsync(this, _cts.Token));

    void IFrameSink.OnFrame(ReadOnlySpan<byte> jpeg, DateTimeOffset capturedAt)
    {
        _lastError = null;
        Ring.Append(jpeg, capturedAt);
    }

    void IFrameSink.OnError(string error)
    {
        if (error == _lastError) return;
        _lastError = error;
        _log.LogWarning("Camera {Camera}: motion_url: {Error}", _slug, error);
    }

    public async ValueTask DisposeAsync()
    {
        _cts.Cancel();
        if (_run is not null)
            try { await _run.WaitAsync(TimeSpan.FromSeconds(3)).ConfigureAwait(false); }
            catch (Exception ex) when (ex is OperationCanceledException or TimeoutException) { }
        Ring.Dispose();
        _cts.Dispose();
    }
}
