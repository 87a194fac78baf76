using System.Net;
using Microsoft.Extensions.Logging;
using MQTTnet.Server;

namespace Lookback.Mqtt;

/// <summary>An in-process MQTT broker (MQTTnet.Server) on 127.0.0.1, for <c>lookback demo</c> without a configured broker.</summary>
public sealed class EmbeddedBroker(int port = 1883, ILogger? logger = null) : IAsyncDisposable
{
    private MqttServer? _server;

    public int Port { get; } = port;

    public async Task StartAsync()
    {
        var options = new MqttServerOptionsBuilder()
            .WithDefaultEndpoint()
            .WithDefaultEndpointBoundIPAddress(IPAddress.Loopback)
            .WithDefaultEndpointPort(Port)
            .Build();
        _server = new MqttServerFactory().CreateMqttServer(options);
        await _server.StartAsync().ConfigureAwait(false);
        logger?.LogInformation("Embedded MQTT broker listening on 127.0.0.1:{Port}", Port);
    }

    public async Task StopAsync()
    {
        if (_server == null) return;
        await _server.StopAsync().ConfigureAwait(false);
        _server.Dispose();
        _server = null;
    }

    public async ValueTask DisposeAsync() => await StopAsync().ConfigureAwait(false);
}
