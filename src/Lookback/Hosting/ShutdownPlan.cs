using Lookback.Mqtt;

namespace Lookback.Hosting;

/// <summary>
/// The stop order and every wait in it, in one place (src/Lookback/README.md, "Start and stop", shows the same table).
/// Hosted services stop in the reverse order of their registration: <see cref="RetentionLoop"/> first, then
/// <see cref="LookbackRuntime"/>, which runs the steps below in this order.
/// </summary>
/// <remarks>
/// <list type="number">
/// <item>motion monitors, cameras (their ffmpeg children), folder-event recorders and the timelapse stop together
/// (each bounds its own loop's end, 3–5 s)</item>
/// <item>the render queue lets running renders finish for <see cref="Renders"/>, then cancels them</item>
/// <item>the moment and availability recorders unsubscribe (after the queue, so renders finished while stopping are recorded)</item>
/// <item>motion events that ended meanwhile get <see cref="MotionEvents"/> to reach the outbox</item>
/// <item>the MQTT bridge stops with <see cref="Mqtt"/> (commands, flush, loops)</item>
/// <item>uploads are disposed (pending jobs stay on disk)</item>
/// </list>
/// </remarks>
public static class ShutdownPlan
{
    /// <summary>The host's whole budget (<c>HostOptions.ShutdownTimeout</c>).</summary>
    public static readonly TimeSpan Host = TimeSpan.FromSeconds(5);
    /// <summary>Running renders may finish this long before they are cancelled.</summary>
    public static readonly TimeSpan Renders = TimeSpan.FromSeconds(3);
    /// <summary>Motion events that ended while stopping may reach the outbox this long.</summary>
    public static readonly TimeSpan MotionEvents = TimeSpan.FromSeconds(1);
    /// <summary>The MQTT bridge: commands 1 s, outbox/retained flush 1 s, its loops 2 s.</summary>
    public static readonly MqttStopTimeouts Mqtt = new(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2));
}
