using System.Collections.Concurrent;
using System.Globalization;

namespace Lookback.Media.Rendering;

/// <summary>Counters of one camera and kind.</summary>
public sealed record RenderCounter(string Camera, string Kind, long Ok, long Error, long Busy, long TotalMs);

/// <summary>Render counters per camera and kind (ok / error / busy, total duration), read by <c>/metrics</c>.</summary>
public sealed class RenderMetrics
{
    private sealed class Cell
    {
        public long Ok, Error, Busy, TotalMs;
    }

    private readonly ConcurrentDictionary<(string Camera, string Kind), Cell> _cells = new();

    public void Record(string camera, string kind, RenderStatus status, long elapsedMs)
    {
        var c = _cells.GetOrAdd((camera, kind), _ => new Cell());
        switch (status)
        {
            case RenderStatus.Ok: Interlocked.Increment(ref c.Ok); break;
            case RenderStatus.Busy: Interlocked.Increment(ref c.Busy); return;
            default: Interlocked.Increment(ref c.Error); break;
        }
        Interlocked.Add(ref c.TotalMs, Math.Max(0, elapsedMs));
    }

    public IReadOnlyList<RenderCounter> Snapshot() =>
        _cells.Select(kv => new RenderCounter(kv.Key.Camera, kv.Key.Kind, Interlocked.Read(ref kv.Value.Ok),
                Interlocked.Read(ref kv.Value.Error), Interlocked.Read(ref kv.Value.Busy), Interlocked.Read(ref kv.Value.TotalMs)))
            .OrderBy(c => c.Camera, StringComparer.Ordinal).ThenBy(c => c.Kind, StringComparer.Ordinal).ToList();

    /// <summary>Prometheus text format: <c>lookback_renders_total{camera,kind,status}</c> and <c>lookback_render_duration_ms_total{camera,kind}</c>.</summary>
    public void WritePrometheus(TextWriter w)
    {
        var all = Snapshot();
        w.WriteLine("# HELP lookback_renders_total Render requests by outcome.");
        w.WriteLine("# TYPE lookback_renders_total counter");
        foreach (var c in all)
        {
            w.WriteLine($"lookback_renders_total{{camera=\"{Esc(c.Camera)}\",kind=\"{c.Kind}\",status=\"ok\"}} {c.Ok.ToString(CultureInfo.InvariantCulture)}");
            w.WriteLine($"lookback_renders_total{{camera=\"{Esc(c.Camera)}\",kind=\"{c.Kind}\",status=\"error\"}} {c.Error.ToString(CultureInfo.InvariantCulture)}");
            w.WriteLine($"lookback_renders_total{{camera=\"{Esc(c.Camera)}\",kind=\"{c.Kind}\",status=\"busy\"}} {c.Busy.ToString(CultureInfo.InvariantCulture)}");
        }
        w.WriteLine("# HELP lookback_render_duration_ms_total Milliseconds from request to result of finished renders (ok and error).");
        w.WriteLine("# TYPE lookback_render_duration_ms_total counter");
        foreach (var c in all)
            w.WriteLine($"lookback_render_duration_ms_total{{camera=\"{Esc(c.Camera)}\",kind=\"{c.Kind}\"}} {c.TotalMs.ToString(CultureInfo.InvariantCulture)}");
    }

    private static string Esc(string s) => s.Replace("\\", "\\\\").Replace("\"", "\\\"").Replace("\n", "\\n");
}
