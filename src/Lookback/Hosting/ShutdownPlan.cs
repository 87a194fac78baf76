using Lookback.Mqtt;

namespace Lookback.Hosting;

/// <summary>
/// The stop order and every wait in it, in one place (src/Lookback/README.md, "Start and stop", shows the same table).
/// Hosted services stop in the reverse order of their registration (<c>LookbackHost.Build</c>): the retention loop,
/// the timelapse, then <see cref="LookbackRuntime"/> (its steps below share one <see cref="Common.StopBudget"/> of
/// <see cref="Runtime"/>), then the warnings and the uploads. Each waits at most its share, and not at all once the
/// host's stop token fired. All shares add up to <see cref="Steps"/>, under <see cref="Host"/>: README promises a stop
/// within 5 s of SIGTERM/SIGINT, and the Supervisor sends SIGKILL 10 s after SIGTERM (the add-on sets no <c>timeout</c>).
/// </summary>
/// <remarks>
/// The runtime's steps:
/// <list type="number">
/// <item>motion monitors, cameras (their ffmpeg children) and folder-event recorders stop together: <see cref="Cameras"/></item>
/// <item>the render queue lets running renders finish for <see cref="Renders"/>, then cancels them</item>
/// <item>the moment and availability recorders unsubscribe (after the queue, so renders finished while stopping are recorded)</item>
/// <item>motion events that ended meanwhile get <see cref="MotionEvents"/> to reach the outbox</item>
/// <item>the MQTT bridge stops with <see cref="Mqtt"/> (commands, flush, disconnect, loops)</item>
/// </list>
/// </remarks>
public static class ShutdownPlan
{
    /// <summary>The host's whole budget (<c>HostOptions.ShutdownTimeout</c>): its stop token fires then.</summary>
    public static readonly TimeSpan Host = TimeSpan.FromSeconds(5);
    /// <summary>The timelapse's sampling loop and an encode in progress (a missing day is encoded at the next start).</summary>
    public static readonly TimeSpan Timelapse = TimeSpan.FromMilliseconds(250);
    /// <summary>Cameras and their pipelines, stopping together.</summary>
    public static readonly TimeSpan Cameras = TimeSpan.FromSeconds(1);
    /// <summary>Running renders may finish this long before they are cancelled.</summary>
    public static readonly TimeSpan Renders = TimeSpan.FromSeconds(1);
    /// <summary>Motion events that ended while stopping may reach the outbox this long.</summary>
    public static readonly TimeSpan MotionEvents = TimeSpan.FromMilliseconds(250);
    /// <summary>The MQTT bridge: commands 0.5 s, outbox/retained flush 0.75 s, disconnect 0.25 s, its loops 0.25 s.</summary>
    public static readonly MqttStopTimeouts Mqtt = MqttStopTimeouts.Default;
    /// <summary>The warnings' evaluation loop.</summary>
    public static readonly TimeSpan Warnings = TimeSpan.FromMilliseconds(100);
    /// <summary>The upload workers' current transfers (pending jobs stay on disk; a multipart upload resumes).</summary>
    public static readonly TimeSpan Uploads = TimeSpan.FromMilliseconds(250);
    /// <summary>The runtime's budget: its steps' shares.</summary>
    public static TimeSpan Runtime => Cameras + Renders + MotionEvents + Mqtt.Total;
    /// <summary>Every share of the stop.</summary>
    public static TimeSpan Steps => Timelapse + Runtime + Warnings + Uploads;
}
