using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using MQTTnet;
using MQTTnet.Protocol;

namespace Lookback.Mqtt;

/// <summary>
/// "Latest value per topic" for retained messages (availability, motion, snapshot, state, gif/url, discovery).
/// Not persisted and not queued: a topic that changes while disconnected is simply re-published, with its newest
/// value, on the next connect (<see cref="MarkAllDirty"/>). One publisher loop, so a topic's values reach the
/// broker in order and bursts coalesce. An empty value clears the topic on the broker and then leaves the map.
/// </summary>
public sealed class RetainedState(ILogger? logger = null)
{
    private readonly ILogger _log = logger ?? NullLogger.Instance;
    private readonly object _gate = new();
    private readonly Dictionary<string, Entry> _values = new(StringComparer.Ordinal);
    private readonly List<string> _order = [];           // first-set order: discovery before states on re-publish
    private readonly Queue<string> _dirty = new();
    private readonly HashSet<string> _dirtySet = new(StringComparer.Ordinal);
    private TaskCompletionSource _signal = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private sealed record Entry(byte[] Payload, long Version);
    private long _version;

    public int Count { get { lock (_gate) return _values.Count; } }
    public long Published { get; private set; }

    /// <summary>Sets the latest value; published at once when connected (skipped when unchanged).</summary>
    public void Set(string topic, ReadOnlySpan<byte> payload)
    {
        lock (_gate)
        {
            if (_values.TryGetValue(topic, out var old) && old.Payload.AsSpan().SequenceEqual(payload)) return;
            if (old == null) _order.Add(topic);
            _values[topic] = new Entry(payload.ToArray(), ++_version);
            MarkDirtyLocked(topic);
        }
    }

    public void Set(string topic, string payload) => Set(topic, System.Text.Encoding.UTF8.GetBytes(payload));

    /// <summary>Publishes an empty retained payload (removes the retained message), then forgets the topic.</summary>
    public void Clear(string topic) => Set(topic, ReadOnlySpan<byte>.Empty);

    /// <summary>Forgets the topic without publishing anything (the retained value on the broker stays: another node owns it now).</summary>
    public void Forget(string topic)
    {
        lock (_gate) if (_values.Remove(topic)) _order.Remove(topic);
    }

    public byte[]? Get(string topic) { lock (_gate) return _values.TryGetValue(topic, out var e) ? e.Payload : null; }

    public IReadOnlyList<string> Topics { get { lock (_gate) return [.. _order]; } }

    /// <summary>Queues every topic for re-publishing (after a connect, or Home Assistant's birth message).</summary>
    public void MarkAllDirty(Func<string, bool>? filter = null)
    {
        lock (_gate) foreach (var t in _order) if (filter == null || filter(t)) MarkDirtyLocked(t);
    }

    private void MarkDirtyLocked(string topic)
    {
        if (_dirtySet.Add(topic)) _dirty.Enqueue(topic);
        _signal.TrySetResult();
    }

    /// <summary>True when nothing is waiting to be published and no publish is in flight.</summary>
    public bool Idle { get { lock (_gate) return _dirty.Count == 0 && !_busy; } }
    private bool _busy;

    /// <summary>Waits (polling, for shutdown) until <see cref="Idle"/> or the timeout.</summary>
    public async Task<bool> WaitIdleAsync(TimeSpan timeout)
    {
        var until = DateTime.UtcNow + timeout;
        while (!Idle && DateTime.UtcNow < until) await Task.Delay(10).ConfigureAwait(false);
        return Idle;
    }

    /// <summary>Publisher loop (QoS 1, retained). Returns when cancelled; never throws otherwise.</summary>
    public async Task RunAsync(IMqttPublisher publisher, CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            try
            {
                string? topic = null;
                Entry? entry = null;
                Task signal;
                lock (_gate)
                {
                    if (_dirty.Count > 0)
                    {
                        topic = _dirty.Dequeue();
                        _dirtySet.Remove(topic);
                        _busy = true;
                        _values.TryGetValue(topic, out entry);
                    }
                    else _signal = new(TaskCreationOptions.RunContinuationsAsynchronously);
                    signal = _signal.Task;
                }
                if (topic == null) { await signal.WaitAsync(ct).ConfigureAwait(false); continue; }
                try { await PublishOneAsync(publisher, topic, entry, ct).ConfigureAwait(false); }
                finally { lock (_gate) _busy = false; }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested) { break; }
            catch (Exception ex) { _log.LogError(ex, "Retained state publishing failed"); }
        }
    }

    private async Task PublishOneAsync(IMqttPublisher publisher, string topic, Entry? entry, CancellationToken ct)
    {
        if (entry == null) return;
        if (!publisher.IsConnected) return; // re-marked on the next connect
        var msg = new MqttApplicationMessageBuilder().WithTopic(topic).WithPayload(entry.Payload)
            .WithRetainFlag(true).WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).Build();
        var outcome = await publisher.PublishAsync(msg, ct).ConfigureAwait(false);
        if (outcome == PublishOutcome.NotSent) return;
        Published++;
        if (entry.Payload.Length == 0)
            lock (_gate)
                if (_values.TryGetValue(topic, out var now) && now.Version == entry.Version)
                {
                    _values.Remove(topic);
                    _order.Remove(topic);
                }
    }
}
