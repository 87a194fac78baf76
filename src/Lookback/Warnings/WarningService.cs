using Lookback.Cameras;
using Lookback.Events;
using Microsoft.Extensions.Logging;

namespace Lookback.Warnings;

/// <summary>A camera's warning was raised or cleared at <see cref="At"/>; <see cref="All"/> is every configured warning of the camera now.</summary>
public sealed record CameraWarningChanged(string Camera, WarningState Warning, IReadOnlyList<WarningState> All, DateTimeOffset At);

/// <summary>
/// Runs a <see cref="WarningEvaluator"/> for every camera with <c>warnings:</c> set: counts event starts from the bus,
/// re-evaluates on every camera status change and every <see cref="Every"/>, logs and publishes
/// <see cref="CameraWarningChanged"/> for each change (the MQTT bridge turns it into events and problem sensors).
/// </summary>
public sealed class WarningService : IAsyncDisposable
{
    private readonly ICameraDirectory _cameras;
    private readonly EventBus _bus;
    private readonly TimeProvider _time;
    private readonly ILogger _log;
    private readonly Dictionary<string, WarningEvaluator> _evaluators = new(StringComparer.Ordinal);
    private readonly List<IDisposable> _subscriptions = [];
    private readonly CancellationTokenSource _cts = new();
    private Task? _loop;
    private int _disposed;

    public WarningService(ICameraDirectory cameras, EventBus bus, TimeProvider time, ILogger<WarningService> log)
    {
        _cameras = cameras; _bus = bus; _time = time; _log = log;
        foreach (var c in cameras.All)
            if (c.Options.Warnings.Any) _evaluators[c.Slug] = new WarningEvaluator(c.Options.Warnings, time);
    }

    /// <summary>How often every camera is re-evaluated (no-frame and events-per-hour warnings change with time alone).</summary>
    public TimeSpan Every { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>The camera's configured warnings now; empty when it has none.</summary>
    public IReadOnlyList<WarningState> Of(string camera) => _evaluators.TryGetValue(camera, out var e) ? e.Current : [];

    /// <summary>Cameras with warnings set.</summary>
    public IEnumerable<string> Cameras => _evaluators.Keys;

    public void Start()
    {
        if (_evaluators.Count == 0 || _loop is not null) return;
        _subscriptions.Add(_bus.Subscribe<MotionChanged>(e =>
        {
            if (!e.Active || !_evaluators.TryGetValue(e.Camera, out var ev)) return;
            ev.EventStarted(e.At);
            Evaluate(e.Camera);
        }));
        _subscriptions.Add(_bus.Subscribe<CameraStatusChanged>(e => Evaluate(e.Camera)));
        var ct = _cts.Token;
        _loop = Task.Run(() => LoopAsync(ct));
    }

    /// <summary>Re-evaluates every camera now (also what the timer does).</summary>
    public void EvaluateAll()
    {
        foreach (var cam in _evaluators.Keys) Evaluate(cam);
    }

    private void Evaluate(string camera)
    {
        if (!_evaluators.TryGetValue(camera, out var ev) || _cameras.Find(camera) is not { } c) return;
        var changes = ev.Evaluate(new CameraHealth(c.Status, c.LastFrameAt));
        if (changes.Count == 0) return;
        var all = ev.Current;
        foreach (var w in changes)
        {
            if (w.Active) _log.LogWarning("Camera {Camera}: warning {Kind}: {Message}", camera, w.Kind, w.Message);
            else _log.LogInformation("Camera {Camera}: warning {Kind} cleared", camera, w.Kind);
            _bus.Publish(new CameraWarningChanged(camera, w, all, _time.GetUtcNow()));
        }
    }

    private async Task LoopAsync(CancellationToken ct)
    {
        using var timer = new PeriodicTimer(Every, _time);
        try
        {
            do
            {
                try { EvaluateAll(); }
                catch (Exception ex) { _log.LogError(ex, "Warnings: evaluation failed"); }
            } while (await timer.WaitForNextTickAsync(ct).ConfigureAwait(false));
        }
        catch (OperationCanceledException) { }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        foreach (var s in _subscriptions) s.Dispose();
        _subscriptions.Clear();
        await _cts.CancelAsync().ConfigureAwait(false);
        if (_loop is not null) { try { await _loop.ConfigureAwait(false); } catch (OperationCanceledException) { } }
        _cts.Dispose();
    }
}
