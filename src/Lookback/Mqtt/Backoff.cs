namespace Lookback.Mqtt;

/// <summary>
/// Exponential backoff with jitter: the n-th delay is uniformly drawn from [base/2, base] where
/// base = min(Max, Initial * 2^n). Pure apart from the random source; <see cref="Reset"/> after a success.
/// </summary>
public sealed class Backoff(TimeSpan initial, TimeSpan max, Func<double>? random = null)
{
    private readonly Func<double> _random = random ?? Random.Shared.NextDouble;
    private int _attempt;

    public static Backoff Default() => new(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(30));

    public TimeSpan Initial { get; } = initial;
    public TimeSpan Max { get; } = max;
    public int Attempt => _attempt;

    /// <summary>The upper bound of the next delay (without jitter).</summary>
    public TimeSpan Ceiling(int attempt)
    {
        var ms = Initial.TotalMilliseconds * Math.Pow(2, Math.Min(attempt, 30));
        return TimeSpan.FromMilliseconds(Math.Min(ms, Max.TotalMilliseconds));
    }

    public TimeSpan Next()
    {
        var c = Ceiling(_attempt);
        if (_attempt < 31) _attempt++;
        var f = 0.5 + 0.5 * Math.Clamp(_random(), 0, 1);
        var d = TimeSpan.FromMilliseconds(c.TotalMilliseconds * f);
        return d < Initial / 2 ? Initial / 2 : d;
    }

    public void Reset() => _attempt = 0;
}
