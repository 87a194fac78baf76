using Lookback.Hosting;
using Lookback.Mqtt;

namespace Lookback.Tests.Composition;

/// <summary>The stop waits live in one table; the MQTT bridge's own defaults must be the table's values.</summary>
public class ShutdownPlanTests
{
    [Fact]
    public void Mqtt_defaults_are_the_tables_values()
    {
        Assert.Equal(MqttStopTimeouts.Default, ShutdownPlan.Mqtt);
        Assert.Equal((5, 3, 1), (ShutdownPlan.Host.TotalSeconds, ShutdownPlan.Renders.TotalSeconds, ShutdownPlan.MotionEvents.TotalSeconds));
    }
}
