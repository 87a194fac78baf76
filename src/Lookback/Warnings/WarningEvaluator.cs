using System.Text.Json.Serialization;
using Lookback.Cameras;
using Lookback.Config;

namespace Lookback.Warnings;

/// <summary>One warning of a camera as the UI, the API and MQTT show it.</summary>
/// <param name="Kind"><c>no_frames</c>, <c>too_many_events</c> or <c>offline</c> (<see cref="WarningKinds"/>).</param>
/// <param name="Active">Raised now.</param>
/// <param name="Since">When it was raised (null while clear).</param>
/// <param name="Message">What is wrong (or, while clear, what is watched), in words.</param>
public sealed record WarningState(
    [property: JsonPropertyName("kind")] string Kind,
    [property: JsonPropertyName("active")] bool Active,
    [property: JsonPropertyName("since")] DateTimeOffset? Since,
    [property: JsonPropertyName("message")] string Message);

/// <summary>The warning kinds, in the order they are shown.</summary>
public static class WarningKinds
{
    public const string NoFrames = "no_frames";
    public const string TooManyEvents = "too_many_events";
    public const string Offline = "offline";

    /// <summary>The kinds a camera's <c>warnings:</c> turn on.</summary>
    public static IReadOnlyList<string> Configured(WarningOptions o) =>
        [.. new[] { (NoFrames, o.NoFrameMinutes is not null), (TooManyEvents, o.MaxEventsPerHour is not null), (Offline, o.Offline) }
            .Where(k => k.Item2).Select(k => k.Item1)];
}

/// <summary>What a camera looks like at one instant, for <see cref="WarningEvaluator.Evaluate"/>.</summary>
public readonly record struct CameraHealth(CameraStatus Status, DateTimeOffset? LastFrameAt);

/// <summary>
/// Pure: one camera's warnings from its <c>warnings:</c> options, its health and the starts of its events, at the
/// time of the <see cref="TimeProvider"/> given. <see cref="Evaluate"/> returns the warnings whose state changed.
/// No I/O; thread-safe (events arrive on the bus thread, evaluations from a timer).
/// </summary>
public sealed class WarningEvaluator
{
    public static readonly TimeSpan EventWindow = TimeSpan.FromHours(1);

    private readonly WarningOptions _options;
    private readonly TimeProvider _time;
    private readonly DateTimeOffset _started;
    private readonly object _gate = new();
    /// <summary>Starts of the newest events within the window: at most max_events_per_hour + 1 are needed to tell "more than N".</summary>
    private readonly Queue<DateTimeOffset> _starts = new();
    private readonly Dictionary<string, WarningState> _states = new(StringComparer.Ordinal);

    public WarningEvaluator(WarningOptions options, TimeProvider time)
    {
        _options = options;
        _time = time;
        _started = time.GetUtcNow();
        foreach (var k in WarningKinds.Configured(options)) _states[k] = new WarningState(k, false, null, Watching(k));
    }

    /// <summary>The configured warnings, in <see cref="WarningKinds"/> order.</summary>
    public IReadOnlyList<WarningState> Current
    {
        get { lock (_gate) return [.. _states.Values]; }
    }

    /// <summary>An event (motion or files) started at <paramref name="at"/>.</summary>
    public void EventStarted(DateTimeOffset at)
    {
        if (_options.MaxEventsPerHour is not { } max) return;
        lock (_gate)
        {
            _starts.Enqueue(at);
            while (_starts.Count > max + 1) _starts.Dequeue();
        }
    }

    /// <summary>Re-evaluates every configured warning; returns those that were raised or cleared now.</summary>
    public IReadOnlyList<WarningState> Evaluate(CameraHealth health)
    {
        var now = _time.GetUtcNow();
        var changed = new List<WarningState>();
        lock (_gate)
        {
            if (_options.NoFrameMinutes is { } minutes)
            {
                var limit = TimeSpan.FromMinutes(minutes);
                var last = health.LastFrameAt ?? _started;
                var quiet = now - last;
                Set(WarningKinds.NoFrames, quiet >= limit, last + limit,
                    health.LastFrameAt is null ? $"no frame since start ({Minutes(quiet)})" : $"no frame for {Minutes(quiet)} (limit {minutes} min)", changed);
            }
            if (_options.MaxEventsPerHour is { } max)
            {
                while (_starts.Count > 0 && _starts.Peek() <= now - EventWindow) _starts.Dequeue();
                var count = _starts.Count;
                Set(WarningKinds.TooManyEvents, count > max, now,
                    $"{(count > max ? "more than " + max : count.ToString(System.Globalization.CultureInfo.InvariantCulture))} events in the last hour (limit {max})", changed);
            }
            if (_options.Offline)
                Set(WarningKinds.Offline, health.Status == CameraStatus.Offline, now, "camera is offline", changed);
        }
        return changed;
    }

    private void Set(string kind, bool active, DateTimeOffset raisedAt, string message, List<WarningState> changed)
    {
        var old = _states[kind];
        if (old.Active == active)
        {
            if (active) _states[kind] = old with { Message = message };
            return;
        }
        var now = active ? new WarningState(kind, true, raisedAt, message) : new WarningState(kind, false, null, Watching(kind));
        _states[kind] = now;
        changed.Add(now);
    }

    private string Watching(string kind) => kind switch
    {
        WarningKinds.NoFrames => $"warns after {_options.NoFrameMinutes} min without a frame",
        WarningKinds.TooManyEvents => $"warns above {_options.MaxEventsPerHour} events an hour",
        _ => "warns while the camera is offline",
    };

    private static string Minutes(TimeSpan t) => t.TotalMinutes >= 1 ? $"{Math.Floor(t.TotalMinutes):0} min" : $"{Math.Max(0, t.TotalSeconds):0} s";
}
