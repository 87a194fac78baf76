using System.Security.Cryptography.X509Certificates;
using Lookback.Config;
using Lookback.Sources;
using MQTTnet.Formatter;

namespace Lookback.Mqtt;

/// <summary>Everything <see cref="MqttConnection"/> needs; build with <see cref="From"/>.</summary>
public sealed record MqttConnectionSettings
{
    public required string Host { get; init; }
    public int Port { get; init; } = 1883;
    public required string ClientId { get; init; }
    public string Username { get; init; } = "";
    public string Password { get; init; } = "";
    public bool Tls { get; init; }
    public string? CaFile { get; init; }
    public bool TlsInsecure { get; init; }
    /// <summary>P/nodes/N: last will "offline", "online" on every connect (retained, QoS 1).</summary>
    public required string NodeTopic { get; init; }
    /// <summary>False: no last will and no online/offline on <see cref="NodeTopic"/> (a short-lived probe connection).</summary>
    public bool AnnounceNode { get; init; } = true;
    public TimeSpan KeepAlive { get; init; } = TimeSpan.FromSeconds(30);
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(10);
    public TimeSpan BackoffInitial { get; init; } = TimeSpan.FromSeconds(1);
    public TimeSpan BackoffMax { get; init; } = TimeSpan.FromSeconds(30);

    public static MqttConnectionSettings From(MqttOptions o, string nodeId) => new()
    {
        Host = o.Host, Port = o.Port,
        ClientId = string.IsNullOrWhiteSpace(o.ClientId) ? $"lookback-{nodeId}" : o.ClientId!,
        Username = o.Username, Password = o.Password, Tls = o.Tls, CaFile = o.CaFile, TlsInsecure = o.TlsInsecure,
        NodeTopic = new Topics(o.TopicPrefix, o.DiscoveryPrefix, nodeId).Node,
        KeepAlive = TimeSpan.FromSeconds(o.KeepAlive),
    };

    /// <summary>For logs: never the password.</summary>
    public override string ToString() =>
        $"{(Tls ? "mqtts" : "mqtt")}://{(Username.Length > 0 ? Username + "@" : "")}{Host}:{Port} client_id={ClientId}";
}
