using System.Diagnostics;
using Lookback.Cameras;
using Lookback.Config;
using Lookback.Events;
using Lookback.Media.Storage;
using Microsoft.Extensions.Logging;

namespace Lookback.Media.Rendering;

public sealed record RenderQueueOptions
{
    /// <summary>Renders running at once (default: processor count).</summary>
    public int Workers { get; init; } = Environment.ProcessorCount;
    /// <summary>Jobs waiting for a worker per camera and origin (one lane) before that lane's requests are answered busy (default 2 × workers).</summary>
    public int? Capacity { get; init; }
    /// <summary>Smallest retry_after answered when busy, seconds.</summary>
    public int MinRetryAfterSeconds { get; init; } = 2;
    /// <summary>Moments waiting for their "after" part at once (they hold no worker while waiting); more are busy.</summary>
    public int MaxWaitingMoments { get; init; } = 16;
    /// <summary>Longest a single ffmpeg run may take.</summary>
    public TimeSpan RenderTimeout { get; init; } = TimeSpan.FromMinutes(2);
    public string FfmpegPath { get; init; } = "ffmpeg";
}

/// <summary>
/// The render service: validates, then queues in a <see cref="FairQueue{TKey,T}"/> served by a fixed number of workers:
/// one bounded lane per camera and origin (HTTP, MQTT, trigger, motion), lanes served round robin, so a flood from one
/// origin on one camera only fills its own lane and never makes the others wait behind it. A full lane answers <c>busy</c> at once. Moments wait for their "after" frames BEFORE they take a queue slot
/// or a worker. Every request (ok, error, busy, cancelled) publishes one <see cref="RenderCompleted"/>.
/// </summary>
public sealed class RenderQueue : IRenderService, IAsyncDisposable
{
    private sealed class Job(RenderPlan plan, long startTimestamp, CancellationToken ct)
    {
        public RenderPlan Plan { get; } = plan;
        public long Start { get; } = startTimestamp;
        public CancellationToken Ct { get; } = ct;
        public TaskCompletionSource<RenderResult> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public int Completed;
    }

    private readonly ICameraDirectory _cameras;
    private readonly IRenderEngine _engine;
    private readonly EventBus _bus;
    private readonly RenderQueueOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger? _logger;
    private readonly FfmpegProcess? _ffmpeg;
    private readonly FairQueue<(string Camera, RenderOrigin Origin), Job> _queue;
    private readonly Task[] _workers;
    private readonly CancellationTokenSource _abort = new();
    private readonly CancellationTokenSource _stopWaits = new();
    private volatile bool _stopping;
    private int _running, _waitingMoments;
    private long _finishedCount, _finishedMs;

    public RenderQueue(ICameraDirectory cameras, IRenderEngine engine, EventBus bus, RenderQueueOptions? options = null,
        TimeProvider? time = null, ILogger<RenderQueue>? logger = null)
    {
        _cameras = cameras;
        _engine = engine;
        _bus = bus;
        _options = options ?? new RenderQueueOptions();
        _time = time ?? TimeProvider.System;
        _logger = logger;
        _ffmpeg = (engine as RenderEngine)?.Ffmpeg;
        Workers = Math.Max(1, _options.Workers);
        Capacity = Math.Max(1, _options.Capacity ?? 2 * Workers);
        _queue = new FairQueue<(string, RenderOrigin), Job>(Capacity);
        _workers = Enumerable.Range(0, Workers).Select(_ => Task.Run(WorkerAsync)).ToArray();
    }

    /// <summary>The usual wiring: a <see cref="RenderEngine"/> over ffmpeg writing into <paramref name="store"/>.</summary>
    public static RenderQueue Create(ICameraDirectory cameras, MediaStore store, EventBus bus, RenderQueueOptions? options = null,
        TimeProvider? time = null, ILogger<RenderQueue>? logger = null, ISnapshotScaler? scaler = null, IFrameOverlay? overlay = null)
    {
        options ??= new RenderQueueOptions();
        var ffmpeg = new FfmpegProcess(options.FfmpegPath);
        return new RenderQueue(cameras, new RenderEngine(store, ffmpeg, scaler, overlay ?? new TimestampOverlay(), options.RenderTimeout), bus, options, time, logger);
    }

    public int Workers { get; }
    public int Capacity { get; }
    public RenderMetrics Metrics { get; } = new();
    /// <summary>Jobs waiting for a worker.</summary>
    public int Queued => _queue.Count;
    /// <summary>Jobs being rendered now.</summary>
    public int Running => Volatile.Read(ref _running);
    /// <summary>Moments waiting for their "after" frames (not yet queued).</summary>
    public int WaitingMoments => Volatile.Read(ref _waitingMoments);

    public async Task<RenderResult> SubmitAsync(RenderRequest request, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(request);
        var start = Stopwatch.GetTimestamp();
        if (_stopping) return Publish(request, null, RenderResult.Failed(request, "shutting down"), start);

        var (plan, error) = RenderValidation.Validate(request, _cameras, _time.GetUtcNow());
        if (plan is null)
        {
            var code = _cameras.Find(request.Camera) is null ? RenderErrorCode.UnknownCamera : RenderErrorCode.BadParameter;
            return Publish(request, null, RenderResult.Failed(request, error!, code), start);
        }
        if (plan.Request.RequestedAt is null) plan = plan with { Request = request with { RequestedAt = plan.RequestedAt } };

        var job = new Job(plan, start, ct);
        if (plan.Kind == RenderKind.Moment)
        {
            if (Interlocked.Increment(ref _waitingMoments) > _options.MaxWaitingMoments)
            {
                Interlocked.Decrement(ref _waitingMoments);
                return Publish(request, plan, Busy(request, Queued), start);
            }
            try
            {
                using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, _stopWaits.Token);
                await WaitForAfterAsync(plan, linked.Token).ConfigureAwait(false);
                // Waiting moments are bounded by MaxWaitingMoments; once their frames are in they always get a place.
                if (!_queue.TryWrite(Lane(plan), job, overCapacity: true)) throw new OperationCanceledException("shutting down");
            }
            catch (OperationCanceledException)
            {
                if (ct.IsCancellationRequested) { Complete(job, RenderResult.Failed(request, "cancelled")); throw; }
                return Complete(job, RenderResult.Failed(request, "shutting down"));
            }
            finally { Interlocked.Decrement(ref _waitingMoments); }
        }
        else if (!_queue.TryWrite(Lane(plan), job))
        {
            return Publish(request, plan, _stopping ? RenderResult.Failed(request, "shutting down") : Busy(request, _queue.CountOf(Lane(plan))), start);
        }

        try
        {
            var result = await job.Done.Task.WaitAsync(ct).ConfigureAwait(false);
            // The worker may finish a cancelled job before WaitAsync sees the token: the caller still gets its cancellation.
            if (ct.IsCancellationRequested && !result.Ok) throw new OperationCanceledException(ct);
            return result;
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // The worker sees the cancelled token, kills ffmpeg (or skips the job) and publishes "cancelled".
            throw;
        }
    }

    /// <summary>
    /// Waits (no worker held) until the ring has a frame at or after the moment's end, at most after + 10 s.
    /// On timeout the moment is rendered from what arrived (an error only when nothing did).
    /// </summary>
    private async Task WaitForAfterAsync(RenderPlan plan, CancellationToken ct)
    {
        var ring = plan.Camera.Ring;
        var limit = (plan.To - _time.GetUtcNow()) + RenderLimits.MomentWaitSlack;
        if (limit <= TimeSpan.Zero) return;
        // stream cameras: the stream's own packets arrive at its full rate, the JPEG frames only every interval
        if (PacketRender.UsableRing(plan.Camera) is { } packets)
        {
            if (!await packets.WaitForAsync(plan.To, limit, ct).ConfigureAwait(false))
                _logger?.LogWarning("Moment on {Camera}: no packet after {To:O} within the wait; rendering what arrived", plan.Camera.Slug, plan.To);
            return;
        }
        using var timeout = new CancellationTokenSource(limit, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, timeout.Token);
        try
        {
            while (true)
            {
                var seq = ring.NewestSequence;
                if (ring.NewestTime is { } newest && newest >= plan.To) return;
                await ring.WaitForFrameAsync(seq, linked.Token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !ct.IsCancellationRequested)
        {
            _logger?.LogWarning("Moment on {Camera}: no frame after {To:O} within the wait; rendering what arrived", plan.Camera.Slug, plan.To);
        }
    }

    private async Task WorkerAsync()
    {
        while (await _queue.ReadAsync().ConfigureAwait(false) is (true, var job))
        {
            var r = job.Plan.Request;
            if (_abort.IsCancellationRequested) { Complete(job, RenderResult.Failed(r, "shutting down")); continue; }
            if (job.Ct.IsCancellationRequested) { Complete(job, RenderResult.Failed(r, "cancelled")); continue; }
            Interlocked.Increment(ref _running);
            RenderResult result;
            try
            {
                using var linked = CancellationTokenSource.CreateLinkedTokenSource(job.Ct, _abort.Token);
                result = await _engine.RenderAsync(job.Plan, linked.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (_abort.IsCancellationRequested) { result = RenderResult.Failed(r, "shutting down"); }
            catch (OperationCanceledException) when (job.Ct.IsCancellationRequested) { result = RenderResult.Failed(r, "cancelled"); }
            catch (Exception ex) when (ex is FfmpegException or IOException)
            {
                _logger?.LogWarning("Render {Kind} for {Camera} failed: {Error}", r.Kind, r.Camera, ex.Message);
                result = RenderResult.Failed(r, ex.Message);
            }
            catch (Exception ex)
            {
                _logger?.LogError(ex, "Render {Kind} for {Camera} failed", r.Kind, r.Camera);
                result = RenderResult.Failed(r, "render failed: " + ex.Message);
            }
            finally { Interlocked.Decrement(ref _running); }
            Complete(job, result);
        }
    }

    private RenderResult Complete(Job job, RenderResult result)
    {
        if (Interlocked.Exchange(ref job.Completed, 1) != 0) return job.Done.Task.Result;
        result = Publish(job.Plan.Request, job.Plan, result, job.Start);
        job.Done.TrySetResult(result);
        return result;
    }

    private RenderResult Publish(RenderRequest request, RenderPlan? plan, RenderResult result, long start)
    {
        var elapsed = (long)Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        if (result.Ok) result = result with { ElapsedMs = elapsed };
        if (result.Status != RenderStatus.Busy)
        {
            Interlocked.Increment(ref _finishedCount);
            Interlocked.Add(ref _finishedMs, elapsed);
        }
        var camera = plan?.Camera.Slug ?? (_cameras.Find(request.Camera) is not null ? request.Camera : "_unknown");
        Metrics.Record(camera, result.Kind.Name(), result.Status, elapsed);
        _bus.Publish(new RenderCompleted(request, result));
        return result;
    }

    private static (string, RenderOrigin) Lane(RenderPlan plan) => (plan.Camera.Slug, plan.Request.Origin);

    private RenderResult Busy(RenderRequest request, int queuedAhead)
    {
        // Rough wait until a slot frees: the average render time × jobs ahead per worker.
        var n = Interlocked.Read(ref _finishedCount);
        var avgMs = n == 0 ? 1000.0 : Interlocked.Read(ref _finishedMs) / (double)n;
        var ahead = queuedAhead + Running;
        var seconds = (int)Math.Ceiling(avgMs * ahead / Workers / 1000.0);
        return RenderResult.Busy(request, Math.Clamp(seconds, _options.MinRetryAfterSeconds, 60));
    }

    /// <summary>
    /// Stops taking requests, lets queued and running renders finish for up to <paramref name="grace"/> (less when
    /// <paramref name="ct"/>, the host's stop, fires first), then abandons the rest (status error "shutting down") and
    /// kills ffmpeg children. Waiting moments are abandoned at once.
    /// </summary>
    public async Task StopAsync(TimeSpan grace, CancellationToken ct = default)
    {
        if (_stopping) { await Task.WhenAll(_workers).ConfigureAwait(false); return; }
        _stopping = true;
        _stopWaits.Cancel();
        _queue.Complete();
        var all = Task.WhenAll(_workers);
        try { await all.WaitAsync(grace, ct).ConfigureAwait(false); }
        catch (Exception ex) when (ex is TimeoutException or OperationCanceledException)
        {
            _abort.Cancel();
            _ffmpeg?.KillAll();
            await all.ConfigureAwait(false);
        }
        _abort.Cancel();
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync(TimeSpan.FromSeconds(4)).ConfigureAwait(false);
        _abort.Dispose();
        _stopWaits.Dispose();
    }
}
