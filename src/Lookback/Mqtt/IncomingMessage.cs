namespace Lookback.Mqtt;

/// <summary>A message received on a subscribed topic, copied out of MQTTnet's buffers.</summary>
public sealed record IncomingMessage(string Topic, ReadOnlyMemory<byte> Payload, bool Retain,
    string? ResponseTopic = null, byte[]? CorrelationData = null);
