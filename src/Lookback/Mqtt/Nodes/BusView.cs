using System.Text;

namespace Lookback.Mqtt.Nodes;

/// <summary>
/// The other nodes' cameras, as this node sees them: two subscriptions on this node's own connection
/// (<c>P/+/state</c>, <c>P/+/availability</c>) feeding a <see cref="BusState"/>, and retained snapshots subscribed
/// lazily per camera when someone asks for one (at most <see cref="BusState.MaxSnapshots"/> such subscriptions; the
/// least recently asked is dropped). The nodes (<c>P/nodes/+</c>, <c>P/nodes/+/cameras</c>) are the bridge's
/// <see cref="NodeDirectory"/>, fed by the same connection.
/// </summary>
public sealed class BusView
{
    private readonly MqttConnection _conn;
    private readonly Topics _t;
    private readonly object _gate = new();
    private readonly LinkedList<string> _snapshotSubs = new(); // least recently asked first
    private readonly Dictionary<string, TaskCompletionSource> _snapshotWaiters = new(StringComparer.Ordinal);
    private bool _started;

    public BusView(MqttConnection connection, Topics topics, NodeDirectory nodes, TimeProvider? time = null)
    {
        _conn = connection; _t = topics;
        State = new BusState(nodes, time);
    }

    public BusState State { get; }
    public bool Connected => _conn.IsConnected;

    /// <summary>The subscriptions of the bus view (restored by the connection on every connect).</summary>
    public IReadOnlyList<string> Subscriptions =>
        [$"{_t.Prefix}/+/state", $"{_t.Prefix}/+/availability"];

    public async Task StartAsync(CancellationToken ct)
    {
        if (_started) return;
        _started = true;
        _conn.MessageReceived += OnMessage;
        foreach (var s in Subscriptions) await _conn.SubscribeAsync(s, ct).ConfigureAwait(false);
    }

    /// <summary>
    /// The newest retained snapshot of <paramref name="cam"/>: subscribes to <c>P/&lt;cam&gt;/snapshot</c> on first use and
    /// waits up to <paramref name="wait"/> for the broker's retained copy. Null when none came.
    /// </summary>
    public async Task<(byte[] Jpeg, DateTimeOffset At)?> SnapshotAsync(string cam, TimeSpan wait, CancellationToken ct)
    {
        string? drop = null;
        Task? arrived = null;
        lock (_gate)
        {
            var node = _snapshotSubs.Find(cam);
            if (node != null) { _snapshotSubs.Remove(node); _snapshotSubs.AddLast(node); }
            else
            {
                _snapshotSubs.AddLast(cam);
                if (_snapshotSubs.Count > BusState.MaxSnapshots)
                {
                    drop = _snapshotSubs.First!.Value;
                    _snapshotSubs.RemoveFirst();
                    _snapshotWaiters.Remove(drop);
                }
            }
            if (State.GetSnapshot(cam) is null)
            {
                if (!_snapshotWaiters.TryGetValue(cam, out var tcs))
                    _snapshotWaiters[cam] = tcs = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                arrived = tcs.Task;
            }
        }
        if (drop != null)
        {
            await _conn.UnsubscribeAsync(_t.Snapshot(drop), ct).ConfigureAwait(false);
            State.Snapshot(drop, []);
        }
        await _conn.SubscribeAsync(_t.Snapshot(cam), ct).ConfigureAwait(false);
        if (arrived != null)
        {
            try { await arrived.WaitAsync(wait, ct).ConfigureAwait(false); }
            catch (TimeoutException) { }
        }
        return State.GetSnapshot(cam);
    }

    private void OnMessage(IncomingMessage m)
    {
        var topic = m.Topic;
        if (!topic.StartsWith(_t.Prefix + "/", StringComparison.Ordinal)) return;
        var parts = topic[(_t.Prefix.Length + 1)..].Split('/');
        if (parts.Length != 2 || parts[0].Length == 0 || parts[0] == "nodes") return;
        var cam = parts[0];
        switch (parts[1])
        {
            case "state": State.State(cam, m.Payload.Span); break;
            case "availability": if (Text(m) is { } a) State.Availability(cam, a); break;
            case "snapshot":
                State.Snapshot(cam, m.Payload.Span);
                TaskCompletionSource? waiter;
                lock (_gate) _snapshotWaiters.Remove(cam, out waiter);
                waiter?.TrySetResult();
                break;
        }
    }

    /// <summary>A short text payload (online/offline); null for anything longer, which is ignored.</summary>
    private static string? Text(IncomingMessage m) => m.Payload.Length > 64 ? null : Encoding.UTF8.GetString(m.Payload.Span);
}
