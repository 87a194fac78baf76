using Lookback.Sources;
using Microsoft.Extensions.Logging;

namespace Lookback.Media.Upload;

/// <summary>
/// Drains the <see cref="UploadQueue"/>: oldest job first, one upload at a time. A target that fails waits out an
/// exponential backoff (1 s … 5 min) while the other targets go on; its jobs stay queued until it comes back.
/// A job whose file has vanished is abandoned (logged). Logs never contain a target's secret.
/// </summary>
public sealed class UploadWorker : IAsyncDisposable
{
    private readonly UploadQueue _queue;
    private readonly IReadOnlyDictionary<string, IUploadTarget> _targets;
    private readonly string _root;
    private readonly TimeProvider _time;
    private readonly ILogger? _log;
    private readonly Dictionary<string, (Backoff Backoff, DateTimeOffset NotBefore)> _waits = new();
    private readonly SemaphoreSlim _wake = new(0);
    private readonly CancellationTokenSource _cts = new();
    private Task? _loop;

    public UploadWorker(UploadQueue queue, IEnumerable<IUploadTarget> targets, string mediaRoot, TimeProvider time,
        ILogger? log = null, TimeSpan? initialBackoff = null, TimeSpan? maxBackoff = null)
    {
        _queue = queue;
        _targets = targets.ToDictionary(t => t.Name);
        _root = mediaRoot;
        _time = time;
        _log = log;
        foreach (var t in _targets.Keys)
            _waits[t] = (new Backoff(initialBackoff ?? TimeSpan.FromSeconds(1), maxBackoff ?? TimeSpan.FromMinutes(5)), DateTimeOffset.MinValue);
    }

    /// <summary>Targets now waiting out a failure.</summary>
    public int TargetsFailing { get { lock (_waits) return _waits.Values.Count(w => w.Backoff.Failures > 0); } }

    public void Start() => _loop ??= Task.Run(() => RunAsync(_cts.Token));

    /// <summary>Something was queued: look now.</summary>
    public void Wake() { if (_wake.CurrentCount == 0) _wake.Release(); }

    private async Task RunAsync(CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            var worked = false;
            foreach (var job in _queue.Snapshot())
            {
                if (ct.IsCancellationRequested) return;
                if (!_targets.TryGetValue(job.Target, out var target))
                {
                    if (_queue.Abandon(job)) _log?.LogWarning("Upload of {File}: target {Target} is no longer configured; dropped", job.RelativePath, job.Target);
                    continue;
                }
                lock (_waits) if (_waits[job.Target].NotBefore > _time.GetUtcNow()) continue;
                worked = true;
                await RunOneAsync(job, target, ct).ConfigureAwait(false);
            }
            if (worked) continue;
            try { await _wake.WaitAsync(NextWait(), ct).ConfigureAwait(false); }
            catch (OperationCanceledException) { return; }
        }
    }

    private async Task RunOneAsync(UploadJob job, IUploadTarget target, CancellationToken ct)
    {
        var file = Path.Combine(_root, job.RelativePath);
        if (!File.Exists(file))
        {
            if (_queue.Abandon(job)) _log?.LogWarning("Upload of {File} to {Target}: the file is gone; dropped", job.RelativePath, job.Target);
            return;
        }
        try
        {
            await target.UploadAsync(file, job.Key, ct).ConfigureAwait(false);
            _queue.Complete(job);
            lock (_waits)
            {
                if (_waits[job.Target].Backoff.Failures > 0) _log?.LogInformation("Upload target {Target} is back", job.Target);
                _waits[job.Target].Backoff.Reset();
                _waits[job.Target] = (_waits[job.Target].Backoff, DateTimeOffset.MinValue);
            }
            _log?.LogDebug("Uploaded {File} to {Target} as {Key}", job.RelativePath, job.Target, job.Key);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested) { }
        catch (Exception ex)
        {
            var message = ex is UploadException ? ex.Message : $"{job.Target}: {ex.GetType().Name}";
            _queue.Failed(job, message);
            TimeSpan delay;
            lock (_waits)
            {
                var (b, _) = _waits[job.Target];
                delay = b.Next();
                _waits[job.Target] = (b, _time.GetUtcNow() + delay);
            }
            _log?.LogWarning("Upload of {File} failed ({Error}); {Pending} pending, retrying {Target} in {Delay:0.#} s",
                job.RelativePath, message, _queue.Pending, job.Target, delay.TotalSeconds);
        }
    }

    private TimeSpan NextWait()
    {
        lock (_waits)
        {
            var now = _time.GetUtcNow();
            var next = _waits.Values.Where(w => w.NotBefore > now).Select(w => w.NotBefore - now).DefaultIfEmpty(TimeSpan.FromSeconds(30)).Min();
            return next < TimeSpan.FromMilliseconds(10) ? TimeSpan.FromMilliseconds(10) : next;
        }
    }

    private int _disposed;

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1) return;
        _cts.Cancel();
        if (_loop is not null) { try { await _loop.ConfigureAwait(false); } catch (OperationCanceledException) { } }
        foreach (var t in _targets.Values) t.Dispose();
        _cts.Dispose();
    }
}
