using MQTTnet;
using MQTTnet.Protocol;
using Microsoft.Extensions.Logging;

namespace Lookback.Mqtt.Nodes;

/// <summary>
/// Before a node connects for real: a short connection with its own client id and no last will reads the retained
/// <c>P/nodes/N</c> and <c>P/nodes/N/cameras</c> of this node id. Another process uses the node id when the node is
/// <c>online</c> with an announcement whose nonce is not this run's; a previous run that crashed left <c>offline</c>
/// (its last will) and is no clash. A marker message published after subscribing says when every retained
/// message has arrived (the broker delivers in order).
/// </summary>
public sealed class NodeClashProbe(MqttConnectionSettings settings, Topics topics, string nonce, ILogger logger)
{
    /// <summary>How long to wait for the marker once connected.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>The other process's announcement, or null when the node id is free (or the broker did not answer in time).</summary>
    public async Task<NodeAnnouncement?> FindClashAsync(CancellationToken ct)
    {
        var probeSettings = settings with { ClientId = $"{settings.ClientId}-probe-{nonce[..Math.Min(8, nonce.Length)]}", AnnounceNode = false };
        await using var connection = new MqttConnection(probeSettings, new QuietLogger(logger));
        var directory = new NodeDirectory(topics.Prefix, topics.NodeId, nonce);
        var marker = $"{topics.Node}/probe/{nonce}";
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        connection.MessageReceived += m =>
        {
            if (m.Topic == marker) done.TrySetResult();
            else directory.Apply(m.Topic, m.Payload.Span, out _, m.Retain);
        };
        foreach (var f in new[] { topics.Node, topics.NodeCameras, marker }) await connection.SubscribeAsync(f, ct).ConfigureAwait(false);
        await connection.StartAsync(ct).ConfigureAwait(false);
        await connection.WaitConnectedAsync(ct).ConfigureAwait(false);
        var msg = new MqttApplicationMessageBuilder().WithTopic(marker).WithPayload("probe"u8.ToArray())
            .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).Build();
        await connection.PublishAsync(msg, ct).ConfigureAwait(false);
        try { await done.Task.WaitAsync(Timeout, ct).ConfigureAwait(false); }
        catch (TimeoutException) { logger.LogDebug("MQTT: node id check got no answer in {Timeout} s; connecting", Timeout.TotalSeconds); }
        return directory.Clash();
    }

    /// <summary>The probe's connection says only what goes wrong (a broker that cannot be reached); the node's own connection says the rest.</summary>
    private sealed class QuietLogger(ILogger inner) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => inner.BeginScope(state);
        public bool IsEnabled(LogLevel level) => level >= LogLevel.Warning && inner.IsEnabled(level);
        public void Log<TState>(LogLevel level, EventId id, TState state, Exception? ex, Func<TState, Exception?, string> format)
        {
            if (IsEnabled(level)) inner.Log(level, id, state, ex, format);
        }
    }

    /// <summary>The error naming the clash: the node id and what the other process announced.</summary>
    public static string Describe(string nodeId, NodeAnnouncement other)
    {
        var details = new List<string>();
        if (other.Started is { } s) details.Add($"started {s.UtcDateTime:yyyy-MM-dd'T'HH:mm:ss'Z'}");
        if (other.PublicUrl is { } u) details.Add($"at {u}");
        if (other.Version is { } v) details.Add($"version {v}");
        var more = details.Count > 0 ? $" ({string.Join(", ", details)})" : "";
        return $"node_id '{nodeId}' is already used by another running Lookback{more}: give each instance its own node_id";
    }
}
