namespace Lookback.Mqtt;

/// <summary>How long <see cref="MqttBridge.StopAsync"/> waits at each of its steps (the host's shutdown table,
/// <c>Hosting/ShutdownPlan.cs</c>, uses these values; a stop budget shortens them when it runs out).</summary>
/// <param name="Commands">running commands and trigger renders to answer</param>
/// <param name="Flush">outbox and retained values to reach the broker (connected only; both at once)</param>
/// <param name="Loops">the clean disconnect (P/nodes/N offline), then the outbox, retained, tick and connect loops' end: each</param>
public sealed record MqttStopTimeouts(TimeSpan Commands, TimeSpan Flush, TimeSpan Loops)
{
    public static readonly MqttStopTimeouts Default = new(TimeSpan.FromMilliseconds(500), TimeSpan.FromMilliseconds(750), TimeSpan.FromMilliseconds(250));
    public TimeSpan Total => Commands + Flush + Loops + Loops;
}
