using Lookback.Config;

namespace Lookback.Tests.Config;

/// <summary>failover_priority (node and camera), standby, mqtt.keepalive: bound, checked, and the same in the add-on options.</summary>
public class SeveralNodesConfigTests
{
    [Fact]
    public void Priorities_standby_and_keepalive_are_bound()
    {
        var r = ConfigLoader.Parse("""
            node_id: garage
            failover_priority: 20
            mqtt:
              host: broker
              keepalive: 5
            cameras:
              entrance:
                url: http://cam/p
                standby: true
                failover_priority: 7
              yard:
                url: http://cam/q
            """, "test.yaml");
        Assert.True(r.IsValid, string.Join("; ", r.Errors));
        var o = r.Options!;
        Assert.Equal((20, 5), (o.FailoverPriority, o.Mqtt!.KeepAlive));
        Assert.Equal((7, true), (o.Cameras[0].FailoverPriority, o.Cameras[0].Standby));
        Assert.Equal(((int?)null, false), (o.Cameras[1].FailoverPriority, o.Cameras[1].Standby));
        var d = ConfigLoader.Parse("cameras:\n  c:\n    url: http://cam/p\n", "d.yaml").Options!;
        Assert.Equal((100, 30), (d.FailoverPriority, new MqttOptions().KeepAlive));
    }

    [Theory]
    [InlineData("failover_priority: -1\ncameras:\n  c:\n    url: http://cam/p\n", "failover_priority")]
    [InlineData("cameras:\n  c:\n    url: http://cam/p\n    failover_priority: high\n", "cameras.c.failover_priority")]
    [InlineData("cameras:\n  c:\n    url: http://cam/p\n    standby: maybe\n", "cameras.c.standby")]
    [InlineData("mqtt:\n  host: b\n  keepalive: 0\ncameras:\n  c:\n    url: http://cam/p\n", "mqtt.keepalive")]
    public void Bad_values_are_errors_naming_the_field(string yaml, string path)
    {
        var r = ConfigLoader.Parse(yaml, "bad.yaml");
        Assert.False(r.IsValid);
        Assert.Contains(r.Errors, e => e.Path == path);
    }

    [Fact]
    public void Addon_options_carry_the_same_keys()
    {
        var r = ConfigLoader.FromAddonOptions("""
            {"node_id": "garage", "failover_priority": 5, "mqtt": {"keepalive": 10}, "topic_prefix": "lookback",
             "discovery_prefix": "homeassistant", "retain_days": 7, "max_bytes": "10GB", "triggers": [],
             "cameras": [{"slug": "entrance", "url": "http://cam/p", "standby": true, "failover_priority": 50}]}
            """);
        Assert.True(r.IsValid, string.Join("; ", r.Errors));
        Assert.Equal((5, 10), (r.Options!.FailoverPriority, r.Options.Mqtt!.KeepAlive));
        Assert.Equal((50, true), (r.Options.Cameras[0].FailoverPriority, r.Options.Cameras[0].Standby));
    }
}
