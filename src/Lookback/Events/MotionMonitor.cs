using Lookback.Cameras;
using Lookback.Imaging;
using Lookback.Motion;
using Lookback.Sources.Streaming;
using Microsoft.Extensions.Logging;

namespace Lookback.Events;

/// <summary>
/// One camera's analysis loop, at most motion.fps, woken by each new ring frame: decodes it straight to small gray (libjpeg-turbo
/// scaled decode, ≥ 240 px high: see AnalysisMinHeight), runs the detector and the event tracker, and hands notices to the recorder.
/// When analysis falls behind it simply takes the newest frame: nothing queues.
/// </summary>
/// With a <see cref="MotionFeed"/> (the camera's <c>motion_url</c>), the frames analysed are the feed's; the peak
/// snapshot still comes from the camera's ring.
public sealed class MotionMonitor(ICamera camera, MotionEventRecorder recorder, TimeProvider time, ILogger log,
    MotionFeed? feed = null) : IAsyncDisposable
{
    /// <summary>Height kept by the scaled decode (the largest 1/2..1/8 scale still at least this high, or half the
    /// frame's height if less): 384x288 for a 768x576 camera, 320x180 for a 640x360 motion_url. At 192x144 one analysis
    /// pixel was 4x4 camera pixels and a far walker of 20x40 px did not survive the speckle filter (issue 14: recall
    /// 0.94 instead of 1.0 on the practice bench; decode + detector cost 1.34 instead of 0.98 ms per analysed frame).</summary>
    public const int AnalysisMinHeight = 240;

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
        var analyser = new MotionAnalyser(MotionSettings.FromOptions(opts.Motion));
        var jpegs = new JpegMotionAnalyser(analyser, AnalysisMinHeight);
        long lastSequence = 0;
        // ffmpeg sources deliver small gray frames themselves: no JPEG decode then.
        var grayProvider = feed is null && camera as IGrayFrameProvider is { ProvidesGrayFrames: true } gp ? gp : null;
        var ring = feed?.Ring ?? camera.Ring;
        feed?.Start();
        var grayBuffer = Array.Empty<byte>();
        long lastGraySequence = 0;
        // JPEG cameras: analyse each frame as it arrives (a timer at the camera's own rate would alias: late by up to
        // a frame, and now and then skipping one), at most motion.fps, and wake at least every tick for off_delay.
        var minGap = period * 0.8;
        var lastAnalysedAt = DateTimeOffset.MinValue;

        MotionFrameResult Analyse(ReadOnlySpan<byte> pixels, int width, int height, int stride, DateTimeOffset at)
        {
            var r = analyser.Analyse(pixels, width, height, stride, at, camera.MotionThreshold);
            Interlocked.Increment(ref _analysed);
            return r;
        }

        // a frame skipped during confirmed motion: the motion holds there (an ongoing event only, never a new one)
        void Hold(DateTimeOffset at)
        {
            recorder.OnNotices(tracker.Tick(at));
            if (tracker.Active && analyser.Last is { } held) recorder.OnNotices(tracker.Update(held, at));
        }

        async ValueTask<bool> NextAsync()
        {
            try
            {
                // gray frames (ffmpeg sources): each as it arrives (a timer at motion.fps aliased with ffmpeg's frames:
                // up to a frame late, and now and then one overwritten unseen in the slot); at least every second for off_delay
                using var tick = new CancellationTokenSource(period < TimeSpan.FromSeconds(1) ? TimeSpan.FromSeconds(1) : period, time);
                using var wake = CancellationTokenSource.CreateLinkedTokenSource(ct, tick.Token);
                if (grayProvider is not null)
                {
                    await grayProvider.GrayFrames.WaitForNewerAsync(lastGraySequence, wake.Token).ConfigureAwait(false);
                    return true;
                }
                await ring.WaitForFrameAsync(lastSequence, wake.Token).ConfigureAwait(false);
                var wait = lastAnalysedAt + minGap - time.GetUtcNow();
                if (wait > TimeSpan.Zero) await Task.Delay(wait, time, ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested) { }
            return true;
        }

        try
        {
            while (await NextAsync().ConfigureAwait(false))
            {
                var now = time.GetUtcNow();
                if (camera.MotionEnabled != tracker.Enabled)
                {
                    recorder.OnNotices(tracker.SetEnabled(camera.MotionEnabled, now));
                    analyser.Reset();
                }
                if (tracker.Enabled)
                {
                    if (grayProvider is not null)
                    {
                        bool fresh = grayProvider.GrayFrames.TryReadNewer(lastGraySequence, ref grayBuffer, out var gw, out var gh, out var gat, out lastGraySequence);
                        if (fresh && analyser.Wants(gat))
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
                        else if (fresh && analyser.SkippedInMotion) Hold(gat);
                    }
                    else try
                    {
                        using var latest = ring.Latest();
                        if (latest is not null && latest[0].Sequence != lastSequence)
                        {
                            var frame = latest[0];
                            lastSequence = frame.Sequence;
                            // while quiet, only some frames are analysed (see MotionAnalyser)
                            if (jpegs.Offer(frame.Jpeg.Span, frame.Time, camera.MotionThreshold) is { } r)
                            {
                                lastAnalysedAt = now;
                                Interlocked.Increment(ref _analysed);
                                var notices = tracker.Update(r, frame.Time);
                                if (feed is null) recorder.OnFrame(tracker.Active, r, frame);
                                else if (tracker.Active && r.Motion)
                                {
                                    using var full = camera.Ring.Latest(); // the peak snapshot at full size
                                    if (full is not null) recorder.OnFrame(tracker.Active, r, full[0]);
                                }
                                recorder.OnNotices(notices);
                            }
                            else if (analyser.SkippedInMotion) Hold(frame.Time);
                        }
                    }
                    catch (JpegException ex)
                    {
                        log.LogDebug("Camera {Camera}: frame skipped by motion analysis: {Error}", camera.Slug, ex.Message);
                    }
                }
                // with motion off no frame is read: mark them seen, or the next wait returns at once (a busy loop)
                else if (grayProvider is null) lastSequence = ring.NewestSequence;
                else lastGraySequence = grayProvider.GrayFrames.Sequence;
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
        if (feed is not null) await feed.DisposeAsync().ConfigureAwait(false);
        _cts.Dispose();
    }
}
