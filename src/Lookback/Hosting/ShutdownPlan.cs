using Lookback.Mqtt;

namespace Lookback.Hosting;

/// <summary>
/// The stop order and every wait in it, in one place (src/Lookback/README.md, "Start and stop", shows the same table).
/// Hosted services stop in the reverse order of their registration: <see cref="RetentionLoop"/> first, then
/// <see cref="LookbackRuntime"/>, which runs the steps below in this order within one <see cref="Common.StopBudget"/>
/// of <see cref="Steps"/>: each step waits at most its share, never past the budget, and not at all once the host's
/// stop token fired. The shares add up to <see cref="Steps"/>, which stays under <see cref="Host"/>, which stays
/// under the Supervisor's 10 s between SIGTERM and SIGKILL (the add-on sets no <c>timeout</c>).
/// </summary>
/// <remarks>
/// <list type="number">
/// <item>motion monitors, cameras (their ffmpeg children), folder-event recorders, the timelapse and the warnings stop
/// together: <see cref="Cameras"/></item>
/// <item>the render queue lets running renders finish for <see cref="Renders"/>, then cancels them</item>
/// <item>the moment and availability recorders unsubscribe (after the queue, so renders finished while stopping are recorded)</item>
/// <item>motion events that ended meanwhile get <see cref="MotionEvents"/> to reach the outbox</item>
/// <item>the MQTT bridge stops with <see cref="Mqtt"/> (commands, flush, loops)</item>
/// <item>uploads stop within <see cref="Uploads"/> (pending jobs stay on disk)</item>
/// </list>
/// </remarks>
public static class ShutdownPlan
{
    /// <summary>The host's whole budget (<c>HostOptions.ShutdownTimeout</c>): its stop token fires then.</summary>
    public static readonly TimeSpan Host = TimeSpan.FromSeconds(8);
    /// <summary>Cameras, their pipelines, the timelapse and the warnings, stopping together.</summary>
    public static readonly TimeSpan Cameras = TimeSpan.FromSeconds(2);
    /// <summary>Running renders may finish this long before they are cancelled.</summary>
    public static readonly TimeSpan Renders = TimeSpan.FromSeconds(2);
    /// <summary>Motion events that ended while stopping may reach the outbox this long.</summary>
    public static readonly TimeSpan MotionEvents = TimeSpan.FromMilliseconds(500);
    /// <summary>The MQTT bridge: commands 0.5 s, outbox/retained flush 1 s, its loops 0.5 s.</summary>
    public static readonly MqttStopTimeouts Mqtt = MqttStopTimeouts.Default;
    /// <summary>The upload workers' current transfers.</summary>
    public static readonly TimeSpan Uploads = TimeSpan.FromMilliseconds(500);
    /// <summary>The runtime's budget: the sum of the shares above.</summary>
    public static TimeSpan Steps => Cameras + Renders + MotionEvents + Mqtt.Total + Uploads;
}
