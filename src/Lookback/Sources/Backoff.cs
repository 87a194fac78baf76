namespace Lookback.Sources;

/// <summary>
/// Exponential retry delay with jitter: initial, 2×, 4×, … capped at <see cref="Max"/>, each multiplied by a
/// random factor in [1 − jitter, 1 + jitter] and then clamped to <see cref="Max"/>. <see cref="Reset"/> after a success.
/// Not thread-safe: one instance per source.
/// </summary>
public sealed class Backoff
{
    private readonly Func<double> _random;

    public Backoff(TimeSpan? initial = null, TimeSpan? max = null, double jitter = 0.2, Func<double>? random = null)
    {
        Initial = initial ?? TimeSpan.FromSeconds(1);
        Max = max ?? TimeSpan.FromSeconds(60);
        if (Initial <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(initial));
        if (Max < Initial) throw new ArgumentOutOfRangeException(nameof(max));
        if (jitter is < 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(jitter));
        Jitter = jitter;
        _random = random ?? Random.Shared.NextDouble;
    }

    public TimeSpan Initial { get; }
    public TimeSpan Max { get; }
    public double Jitter { get; }
    /// <summary>Failures since the last <see cref="Reset"/>.</summary>
    public int Failures { get; private set; }

    /// <summary>Counts one more failure and returns how long to wait before the next attempt.</summary>
    public TimeSpan Next()
    {
        Failures++;
        return Delay(Failures, Initial, Max, Jitter, _random());
    }

    public void Reset() => Failures = 0;

    /// <summary>
    /// Pure delay function. <paramref name="failures"/> ≥ 1; <paramref name="random01"/> in [0, 1) picks the jitter
    /// (0.5 = no jitter). Result is in [base·(1−jitter), min(max, base·(1+jitter))] with base = min(max, initial·2^(failures−1)).
    /// </summary>
    public static TimeSpan Delay(int failures, TimeSpan initial, TimeSpan max, double jitter, double random01)
    {
        if (failures < 1) return TimeSpan.Zero;
        var exp = Math.Min(failures - 1, 62);
        var baseTicks = Math.Min((double)max.Ticks, initial.Ticks * Math.Pow(2, exp));
        var factor = 1 + jitter * (2 * Math.Clamp(random01, 0, 1) - 1);
        var ticks = Math.Min(baseTicks * factor, max.Ticks);
        return TimeSpan.FromTicks((long)ticks);
    }
}
