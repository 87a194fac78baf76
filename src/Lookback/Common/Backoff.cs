namespace Lookback.Common;

/// <summary>
/// Exponential retry delay with jitter: initial, 2×, 4×, … capped at <see cref="Max"/>, each multiplied by a
/// random factor (by default in [1 − jitter, 1 + jitter]) and then clamped to <see cref="Max"/>.
/// <see cref="Reset"/> after a success. Not thread-safe: one instance per user (a camera source, the MQTT connection).
/// </summary>
public sealed class Backoff
{
    private readonly Func<double> _random;
    private readonly double _low, _high;

    public Backoff(TimeSpan? initial = null, TimeSpan? max = null, double jitter = 0.2, Func<double>? random = null)
        : this(initial, max, 1 - jitter, 1 + jitter, random)
    {
        if (jitter is < 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(jitter));
    }

    private Backoff(TimeSpan? initial, TimeSpan? max, double low, double high, Func<double>? random)
    {
        Initial = initial ?? TimeSpan.FromSeconds(1);
        Max = max ?? TimeSpan.FromSeconds(60);
        if (Initial <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(initial));
        if (Max < Initial) throw new ArgumentOutOfRangeException(nameof(max));
        (_low, _high) = (low, high);
        _random = random ?? Random.Shared.NextDouble;
    }

    /// <summary>Each delay drawn from [ceiling / 2, ceiling]: never above the doubling ceiling (MQTT reconnects).</summary>
    public static Backoff BelowCeiling(TimeSpan initial, TimeSpan max, Func<double>? random = null) =>
        new(initial, max, 0.5, 1.0, random);

    public TimeSpan Initial { get; }
    public TimeSpan Max { get; }
    /// <summary>Failures since the last <see cref="Reset"/>.</summary>
    public int Failures { get; private set; }

    /// <summary>Counts one more failure and returns how long to wait before the next attempt.</summary>
    public TimeSpan Next()
    {
        Failures++;
        return Delay(Failures, Initial, Max, _low, _high, _random());
    }

    public void Reset() => Failures = 0;

    /// <summary>
    /// Pure delay function. <paramref name="failures"/> ≥ 1; <paramref name="random01"/> in [0, 1) picks the jitter
    /// (0.5 = no jitter). Result is in [base·(1−jitter), min(max, base·(1+jitter))] with base = min(max, initial·2^(failures−1)).
    /// </summary>
    public static TimeSpan Delay(int failures, TimeSpan initial, TimeSpan max, double jitter, double random01) =>
        Delay(failures, initial, max, 1 - jitter, 1 + jitter, random01);

    private static TimeSpan Delay(int failures, TimeSpan initial, TimeSpan max, double low, double high, double random01)
    {
        if (failures < 1) return TimeSpan.Zero;
        var exp = Math.Min(failures - 1, 62);
        var baseTicks = Math.Min((double)max.Ticks, initial.Ticks * Math.Pow(2, exp));
        var factor = low + (high - low) * Math.Clamp(random01, 0, 1);
        var ticks = Math.Min(baseTicks * factor, max.Ticks);
        return TimeSpan.FromTicks((long)ticks);
    }
}
