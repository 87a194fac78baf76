using MQTTnet;

namespace Lookback.Mqtt;

public enum PublishOutcome
{
    /// <summary>QoS 0 written, or QoS 1 PUBACK with a success code (including "no matching subscribers").</summary>
    Acked,
    /// <summary>The broker answered with an error reason code (retrying will not help).</summary>
    Rejected,
    /// <summary>Not connected, or the connection dropped before the PUBACK: send again later.</summary>
    NotSent,
}

/// <summary>What the outbox and the retained state need from a connection.</summary>
public interface IMqttPublisher
{
    bool IsConnected { get; }
    /// <summary>Completes when connected (at once when already connected).</summary>
    Task WaitConnectedAsync(CancellationToken ct);
    Task<PublishOutcome> PublishAsync(MqttApplicationMessage message, CancellationToken ct);
}
