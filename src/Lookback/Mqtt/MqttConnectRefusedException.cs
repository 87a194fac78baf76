using MQTTnet;

namespace Lookback.Mqtt;

/// <summary>The broker answered CONNECT with a refusal.</summary>
public sealed class MqttConnectRefusedException(MqttClientConnectResultCode code)
    : Exception($"connect refused: {code}")
{
    public MqttClientConnectResultCode ResultCode { get; } = code;
}
