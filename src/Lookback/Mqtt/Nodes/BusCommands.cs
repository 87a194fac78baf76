using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using MQTTnet;
using MQTTnet.Formatter;
using MQTTnet.Protocol;

namespace Lookback.Mqtt.Nodes;

/// <summary>How a command sent over the bus ended.</summary>
public enum BusCommandOutcome { Answered, TimedOut, NotConnected, Busy }

/// <summary>The result JSON (as the answering node published it) and how it came back.</summary>
public sealed record BusCommandReply(BusCommandOutcome Outcome, JsonObject? Result = null, string? Via = null, TimeSpan Elapsed = default);

/// <summary>
/// Sends <c>P/&lt;cam&gt;/&lt;action&gt;/set</c> for whichever node serves the camera and waits for its result: on this
/// node's MQTT 5 response topic <c>P/nodes/N/responses</c> (correlation data = the request id), and on
/// <c>P/&lt;cam&gt;/result</c> matched by <c>request_id</c> (subscribed while a request for that camera waits), so it also
/// works across brokers or bridges that drop MQTT 5 properties. The first result wins; later ones are ignored.
/// </summary>
public sealed class BusCommands
{
    /// <summary>Requests waiting at once; more are answered <see cref="BusCommandOutcome.Busy"/>.</summary>
    public const int MaxPending = 64;

    private readonly MqttConnection _conn;
    private readonly Topics _t;
    private readonly ILogger _log;
    private readonly ConcurrentDictionary<string, TaskCompletionSource<(JsonObject, string)>> _pending = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _resultSubs = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _subGate = new(1, 1);
    private bool _started;

    public BusCommands(MqttConnection connection, Topics topics, ILogger logger)
    {
        _conn = connection; _t = topics; _log = logger;
    }

    public string ResponseTopic => $"{_t.Prefix}/nodes/{_t.NodeId}/responses";
    public int Pending => _pending.Count;

    public async Task StartAsync(CancellationToken ct)
    {
        if (_started) return;
        _started = true;
        _conn.MessageReceived += OnMessage;
        await _conn.SubscribeAsync(ResponseTopic, ct).ConfigureAwait(false);
    }

    /// <summary>A request id unique to this node: <c>bus-N-&lt;random&gt;</c>.</summary>
    public string NewRequestId() => $"bus-{_t.NodeId}-{Guid.NewGuid().ToString("N")[..12]}";

    /// <summary>Publishes the command with <paramref name="args"/> (and a request id) and waits up to <paramref name="timeout"/> for the first result.</summary>
    public async Task<BusCommandReply> SendAsync(string cam, string action, JsonObject args, TimeSpan timeout, CancellationToken ct)
    {
        if (!_conn.IsConnected) return new(BusCommandOutcome.NotConnected);
        if (_pending.Count >= MaxPending) return new(BusCommandOutcome.Busy);
        var id = NewRequestId();
        var payload = new JsonObject { ["request_id"] = id };
        foreach (var (k, v) in args) payload[k] = v?.DeepClone();
        var tcs = new TaskCompletionSource<(JsonObject, string)>(TaskCreationOptions.RunContinuationsAsynchronously);
        _pending[id] = tcs;
        var started = System.Diagnostics.Stopwatch.StartNew();
        await AddResultSubscriptionAsync(cam, ct).ConfigureAwait(false);
        try
        {
            var b = new MqttApplicationMessageBuilder().WithTopic(_t.Command(cam, action))
                .WithPayload(JsonSerializer.SerializeToUtf8Bytes(payload)).WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce);
            if (_conn.ProtocolVersion == MqttProtocolVersion.V500)
                b = b.WithResponseTopic(ResponseTopic).WithCorrelationData(Encoding.UTF8.GetBytes(id));
            var sent = await _conn.PublishAsync(b.Build(), ct).ConfigureAwait(false);
            if (sent != PublishOutcome.Acked) return new(BusCommandOutcome.NotConnected, Elapsed: started.Elapsed);
            try
            {
                var (result, via) = await tcs.Task.WaitAsync(timeout, ct).ConfigureAwait(false);
                return new(BusCommandOutcome.Answered, result, via, started.Elapsed);
            }
            catch (TimeoutException)
            {
                _log.LogInformation("Bus command {Action} for {Camera} ({Id}): no result within {Seconds:0} s", action, cam, id, timeout.TotalSeconds);
                return new(BusCommandOutcome.TimedOut, Elapsed: started.Elapsed);
            }
        }
        finally
        {
            _pending.TryRemove(id, out _);
            await RemoveResultSubscriptionAsync(cam).ConfigureAwait(false);
        }
    }

    private async Task AddResultSubscriptionAsync(string cam, CancellationToken ct)
    {
        await _subGate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            _resultSubs[cam] = _resultSubs.GetValueOrDefault(cam) + 1;
            if (_resultSubs[cam] == 1) await _conn.SubscribeAsync(_t.Result(cam), ct).ConfigureAwait(false);
        }
        finally { _subGate.Release(); }
    }

    private async Task RemoveResultSubscriptionAsync(string cam)
    {
        await _subGate.WaitAsync().ConfigureAwait(false);
        try
        {
            if (!_resultSubs.TryGetValue(cam, out var n)) return;
            if (n > 1) { _resultSubs[cam] = n - 1; return; }
            _resultSubs.Remove(cam);
            using var t = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            await _conn.UnsubscribeAsync(_t.Result(cam), t.Token).ConfigureAwait(false);
        }
        finally { _subGate.Release(); }
    }

    private void OnMessage(IncomingMessage m)
    {
        if (_pending.IsEmpty) return;
        string via;
        if (m.Topic == ResponseTopic) via = "response_topic";
        else if (m.Topic.EndsWith("/result", StringComparison.Ordinal) && m.Topic.StartsWith(_t.Prefix + "/", StringComparison.Ordinal)) via = "result_topic";
        else return;
        var result = ParseResult(m.Payload.Span);
        var id = result?["request_id"] is JsonValue v && v.TryGetValue<string>(out var s) ? s
            : m.CorrelationData is { Length: > 0 and <= 128 } c ? Encoding.UTF8.GetString(c) : null;
        if (result == null || id == null || !_pending.TryGetValue(id, out var tcs)) return;
        tcs.TrySetResult((result, via));
    }

    private static JsonObject? ParseResult(ReadOnlySpan<byte> payload)
    {
        if (payload.IsEmpty || payload.Length > 64 * 1024) return null;
        try { return JsonNode.Parse(payload) as JsonObject; }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException) { return null; }
    }
}
