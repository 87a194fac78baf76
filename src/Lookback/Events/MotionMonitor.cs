using Lookback.Cameras;
using Lookback.Imaging;
using Lookback.Motion;
using Lookback.Sources.Streaming;
using Microsoft.Extensions.Logging;

namespace Lookback.Events;

/// <summary>
/// One camera's analysis loop at motion.fps: decodes the newest ring frame straight to small gray (libjpeg-turbo
/// scaled decode, ≥ 120 px high), runs the detector and the event tracker, and hands notices to the recorder.
/// When analysis falls behind it simply takes the newest frame: nothing queues.
/// </summary>
public sealed class MotionMonitor(ICamera camera, MotionEventRecorder recorder, TimeProvider time, ILogger log) : IAsyncDisposable
{
    /// <summary>Height kept by the scaled decode (the largest 1/2..1/8 scale still at least this high).</summary>
    public const int AnalysisMinHeight = 120;

    private CancellationTokenSource? _cts;
    private Task? _loop;
    private long _analysed;

    public long FramesAnalysed => Interlocked.Read(ref _analysed);
    public MotionEventRecorder Recorder => recorder;

    public void Start()
    {
        if (_loop is not null) return;
        _cts = new CancellationTokenSource();
        _loop = Task.Run(() => RunAsync(_cts.Token));
    }

    private async Task RunAsync(CancellationToken ct)
    {
        var opts = camera.Options;
        var period = TimeSpan.FromSeconds(1 / Math.Clamp(opts.Motion.Fps, 0.1, 30));
        var tracker = new MotionEventTracker(camera.Slug, MotionTrackerSettings.FromOptions(opts.Motion));
        var settings = MotionSettings.FromOptions(opts.Motion);
        MotionDetector? detector = null;
        GrayImage? gray = null;
        long lastSequence = 0;
        // ffmpeg sources deliver small gray frames themselves: no JPEG decode then.
        var grayProvider = camera as IGrayFrameProvider is { ProvidesGrayFrames: true } gp ? gp : null;
        var grayBuffer = Array.Empty<byte>();
        long lastGraySequence = 0;
        using var timer = new PeriodicTimer(period, time);

        // One analysis step, whichever way the gray frame came: a new detector when the size changes.
        MotionFrameResult Analyse(ReadOnlySpan<byte> pixels, int width, int height, int stride, DateTimeOffset at)
        {
            if (detector is null || detector.Width != width || detector.Height != height)
                detector = new MotionDetector(width, height, settings);
            detector.Threshold = camera.MotionThreshold;
            var r = detector.Process(pixels, stride, at.ToUnixTimeMilliseconds());
            Interlocked.Increment(ref _analysed);
            return r;
        }

        try
        {
            while (await timer.WaitForNextTickAsync(ct).ConfigureAwait(false))
            {
                var now = time.GetUtcNow();
                if (camera.MotionEnabled != tracker.Enabled)
                {
                    recorder.OnNotices(tracker.SetEnabled(camera.MotionEnabled, now));
                    detector?.Reset();
                }
                if (tracker.Enabled)
                {
                    if (grayProvider is not null)
                    {
                        if (grayProvider.GrayFrames.TryReadNewer(lastGraySequence, ref grayBuffer, out var gw, out var gh, out var gat, out lastGraySequence))
                        {
                            var r = Analyse(grayBuffer, gw, gh, gw, gat);
                            var notices = tracker.Update(r, gat);
                            if (tracker.Active && r.Motion)
                            {
                                // the peak snapshot is the newest ring frame (the JPEG closest to this gray frame)
                                using var latest = camera.Ring.Latest();
                                if (latest is not null) recorder.OnFrame(tracker.Active, r, latest[0]);
                            }
                            recorder.OnNotices(notices);
                        }
                    }
                    else try
                    {
                        using var latest = camera.Ring.Latest();
                        if (latest is not null && latest[0].Sequence != lastSequence)
                        {
                            var frame = latest[0];
                            lastSequence = frame.Sequence;
                            gray = Jpeg.DecodeGray(frame.Jpeg.Span, AnalysisMinHeight, gray);
                            if (gray.Warning is null)
                            {
                                var r = Analyse(gray.Pixels, gray.Width, gray.Height, gray.Stride, frame.Time);
                                var notices = tracker.Update(r, frame.Time);
                                recorder.OnFrame(tracker.Active, r, frame);
                                recorder.OnNotices(notices);
                            }
                        }
                    }
                    catch (JpegException ex)
                    {
                        log.LogDebug("Camera {Camera}: frame skipped by motion analysis: {Error}", camera.Slug, ex.Message);
                    }
                }
                recorder.OnNotices(tracker.Tick(now));
                recorder.OnTick(tracker.Current, now);
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested) { }
        catch (Exception ex)
        {
            log.LogError(ex, "Camera {Camera}: motion analysis stopped", camera.Slug);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_cts is null || _loop is null) return;
        _cts.Cancel();
        try { await _loop.WaitAsync(TimeSpan.FromSeconds(3)).ConfigureAwait(false); } catch (TimeoutException) { }
        _cts.Dispose();
    }
}
