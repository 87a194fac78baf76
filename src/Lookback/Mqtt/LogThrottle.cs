namespace Lookback.Mqtt;

/// <summary>
/// Rate limit for log lines caused by outside input (bad MQTT commands): at most <c>perWindow</c> lines per window;
/// the rest are counted and reported once ("suppressed M similar lines") with the next line allowed or on
/// <see cref="TakeSuppressed"/>. Pure: time comes from the <see cref="TimeProvider"/>. Thread-safe.
/// </summary>
public sealed class LogThrottle(int perWindow, TimeSpan window, TimeProvider? time = null)
{
    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private readonly object _gate = new();
    private DateTimeOffset _windowStart = DateTimeOffset.MinValue;
    private int _inWindow;
    private long _suppressed;

    public LogThrottle() : this(20, TimeSpan.FromMinutes(1)) { }

    /// <summary>True when this line may be logged; <paramref name="suppressedBefore"/>: lines dropped since the last report.</summary>
    public bool TryEnter(out long suppressedBefore)
    {
        lock (_gate)
        {
            var now = _time.GetUtcNow();
            if (now - _windowStart >= window) { _windowStart = now; _inWindow = 0; }
            suppressedBefore = 0;
            if (_inWindow >= perWindow) { _suppressed++; return false; }
            _inWindow++;
            suppressedBefore = _suppressed;
            _suppressed = 0;
            return true;
        }
    }

    /// <summary>Dropped lines not reported yet, once the window they fell in is over (then resets the count).</summary>
    public long TakeSuppressed()
    {
        lock (_gate)
        {
            if (_suppressed == 0 || _time.GetUtcNow() - _windowStart < window) return 0;
            var n = _suppressed;
            _suppressed = 0;
            return n;
        }
    }
}

/// <summary>Outside text as it may appear in a log line.</summary>
public static class LogText
{
    public const int MaxTopic = 120;

    /// <summary>The topic, cut to <see cref="MaxTopic"/> characters with its length when longer.</summary>
    public static string Topic(string? topic) =>
        topic is null ? "" : topic.Length <= MaxTopic ? topic : $"{topic[..MaxTopic]}…({topic.Length} chars)";
}
