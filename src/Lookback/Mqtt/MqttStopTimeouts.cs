namespace Lookback.Mqtt;

/// <summary>How long <see cref="MqttBridge.StopAsync"/> waits at each of its steps (the host's shutdown table,
/// <c>Hosting/ShutdownPlan.cs</c>, sets them; these defaults are the same values).</summary>
/// <param name="Commands">running commands and trigger renders to answer</param>
/// <param name="Flush">outbox and retained values to reach the broker (connected only; both at once)</param>
/// <param name="Loops">the outbox, retained, tick and connect loops to end after the connection stopped</param>
public sealed record MqttStopTimeouts(TimeSpan Commands, TimeSpan Flush, TimeSpan Loops)
{
    public static readonly MqttStopTimeouts Default = new(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2));
}
