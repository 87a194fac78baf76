namespace Lookback.Http;

/// <summary>How many render requests one client address may make: a burst, then one more every <see cref="Every"/>.</summary>
public sealed record RenderRateLimit(int Burst, TimeSpan Every)
{
    /// <summary>10 at once, then one every 3 s (20 a minute) per client address.</summary>
    public static RenderRateLimit Default { get; } = new(10, TimeSpan.FromSeconds(3));
}

/// <summary>
/// A token bucket per client address for HTTP render requests, so that one client cannot fill the render queue.
/// Pure (no I/O); the clock is a <see cref="TimeProvider"/>. Keeps at most <see cref="MaxClients"/> buckets: when
/// that many clients are tracked, the ones whose bucket has refilled (idle clients) are forgotten.
/// </summary>
public sealed class RenderRateLimiter(RenderRateLimit limit, TimeProvider time)
{
    public const int MaxClients = 4096;
    private readonly Dictionary<string, (double Tokens, long At)> _buckets = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();

    public RenderRateLimit Limit { get; } = limit.Burst >= 1 && limit.Every > TimeSpan.Zero
        ? limit : throw new ArgumentOutOfRangeException(nameof(limit), "burst must be at least 1 and every greater than 0");

    /// <summary>Takes one render from <paramref name="client"/>'s allowance; false with the wait until the next one when none is left.</summary>
    public bool TryAcquire(string client, out TimeSpan retryAfter)
    {
        var now = time.GetTimestamp();
        lock (_gate)
        {
            var tokens = _buckets.TryGetValue(client, out var b) ? Refill(b, now) : Limit.Burst;
            if (tokens >= 1)
            {
                if (!_buckets.ContainsKey(client) && _buckets.Count >= MaxClients) ForgetIdle(now);
                _buckets[client] = (tokens - 1, now);
                retryAfter = TimeSpan.Zero;
                return true;
            }
            _buckets[client] = (tokens, now);
            retryAfter = Limit.Every * (1 - tokens);
            return false;
        }
    }

    /// <summary>Clients tracked now (for tests of the bound).</summary>
    public int Tracked { get { lock (_gate) return _buckets.Count; } }

    private double Refill((double Tokens, long At) b, long now) =>
        Math.Min(Limit.Burst, b.Tokens + time.GetElapsedTime(b.At, now) / Limit.Every);

    private void ForgetIdle(long now)
    {
        foreach (var (key, b) in _buckets.ToList())
            if (Refill(b, now) >= Limit.Burst) _buckets.Remove(key);
        // Every client is busy: forget the fullest half rather than grow without bound.
        if (_buckets.Count >= MaxClients)
            foreach (var key in _buckets.OrderByDescending(e => e.Value.Tokens).Take(MaxClients / 2).Select(e => e.Key).ToList())
                _buckets.Remove(key);
    }
}
