using System.Net.Http.Json;
using System.Text.Json;
using Lookback.Config;
using Lookback.Events;
using Lookback.Hosting;
using Lookback.Tests.Hosting;
using Lookback.Tests.Mqtt;
using Lookback.Tests.Sources;

namespace Lookback.Tests.Warnings;

/// <summary>Camera warnings through a real mosquitto: problem sensors in discovery, the retained warnings topic,
/// warning / warning_cleared events, and /api/cameras.</summary>
public sealed class WarningsEndToEndTests(MosquittoFixture broker) : IClassFixture<MosquittoFixture>
{
    [Fact]
    public async Task Offline_and_too_many_events_warnings_reach_mqtt_home_assistant_and_the_api()
    {
        await using var server = await TestCameraServer.StartAsync();
        await using var obs = await Observer.ConnectAsync(broker.Broker.Port, "warn/#", "homeassistant/device/#");
        var cam = AppHarness.Camera("yard", server.SnapshotUrl, interval: 0.1) with
        {
            Name = "Yard",
            Warnings = new WarningOptions { Offline = true, MaxEventsPerHour = 1, NoFrameMinutes = 60 },
        };
        var plain = AppHarness.Camera("porch", server.SnapshotUrl, interval: 0.5);
        await using var h = await AppHarness.StartAsync([cam, plain],
            mqtt: new MqttOptions { Host = "127.0.0.1", Port = broker.Broker.Port, TopicPrefix = "warn" }, nodeId: "warn",
            settings: new HostSettings { WarningsEvery = TimeSpan.FromMilliseconds(100) });

        // discovery: a problem binary sensor per configured warning, on the retained warnings topic
        var discovery = obs.WaitFor("homeassistant/device/warn_yard/config", timeout: TimeSpan.FromSeconds(20)).Json;
        var problems = discovery.GetProperty("components").EnumerateObject()
            .Where(p => p.Value.TryGetProperty("device_class", out var dc) && dc.GetString() == "problem")
            .ToDictionary(p => p.Name, p => p.Value.GetProperty("state_topic").GetString());
        Assert.Equal(new Dictionary<string, string?>
        {
            ["warning_no_frames"] = "warn/yard/warnings", ["warning_too_many_events"] = "warn/yard/warnings", ["warning_offline"] = "warn/yard/warnings",
        }, problems);
        var porch = obs.WaitFor("homeassistant/device/warn_porch/config", timeout: TimeSpan.FromSeconds(20)).Json;
        Assert.DoesNotContain(porch.GetProperty("components").EnumerateObject(), p => p.Name.StartsWith("warning", StringComparison.Ordinal));

        // all clear while the camera answers
        obs.WaitFor("warn/yard/availability", s => s.Text == "online", TimeSpan.FromSeconds(20));
        var clear = obs.WaitFor("warn/yard/warnings", s => s.Json.TryGetProperty("offline", out _), TimeSpan.FromSeconds(20)).Json;
        Assert.False(clear.GetProperty("offline").GetProperty("active").GetBoolean());
        Assert.False(clear.GetProperty("too_many_events").GetProperty("active").GetBoolean());

        // the camera fails: offline warning event, retained state ON for the problem sensor, the API shows it
        server.SnapshotFailStatus = 500;
        var raised = obs.WaitFor("warn/yard/event", s => s.Text.Contains("\"warning\"") && s.Text.Contains("offline"), TimeSpan.FromSeconds(30)).Json;
        Assert.Equal(("warning", "yard", "offline"), (raised.GetProperty("event_type").GetString(), raised.GetProperty("camera").GetString(), raised.GetProperty("warning").GetString()));
        Assert.False(string.IsNullOrEmpty(raised.GetProperty("message").GetString()));
        obs.WaitFor("warn/yard/warnings", s => s.Json.GetProperty("offline").GetProperty("active").GetBoolean());
        var api = await h.Http.GetFromJsonAsync<JsonElement>("/api/cameras/yard");
        var offline = api.GetProperty("warnings").EnumerateArray().Single(w => w.GetProperty("kind").GetString() == "offline");
        Assert.True(offline.GetProperty("active").GetBoolean());
        Assert.True(offline.TryGetProperty("since", out var since) && since.ValueKind == JsonValueKind.String);
        Assert.Equal(0, (await h.Http.GetFromJsonAsync<JsonElement>("/api/cameras/porch")).GetProperty("warnings").GetArrayLength());
        var metrics = await h.Http.GetStringAsync("/metrics");
        Assert.Contains("lookback_camera_warning{camera=\"yard\",kind=\"offline\"} 1", metrics);
        Assert.Contains("lookback_camera_warning{camera=\"yard\",kind=\"no_frames\"} 0", metrics);
        Assert.DoesNotContain("camera=\"porch\",kind=", metrics);

        // it recovers: warning_cleared
        server.SnapshotFailStatus = null;
        obs.WaitFor("warn/yard/event", s => s.Text.Contains("warning_cleared") && s.Text.Contains("offline"), TimeSpan.FromSeconds(30));

        // two events within the hour (limit 1): too_many_events
        h.App.Bus.Publish(new MotionChanged("yard", true, DateTimeOffset.UtcNow, 0.5, [], "ev-1"));
        h.App.Bus.Publish(new MotionChanged("yard", true, DateTimeOffset.UtcNow, 0.5, [], "ev-2"));
        var many = obs.WaitFor("warn/yard/event", s => s.Text.Contains("too_many_events"), TimeSpan.FromSeconds(10)).Json;
        Assert.Contains("more than 1 events", many.GetProperty("message").GetString());
        // the problem sensor's template reads the retained topic: a broker's new subscriber gets ON
        await using var late = await Observer.ConnectAsync(broker.Broker.Port, "warn/yard/warnings");
        var retained = late.WaitFor("warn/yard/warnings", s => s.Retain && s.Json.GetProperty("too_many_events").GetProperty("active").GetBoolean(), TimeSpan.FromSeconds(10));
        Assert.False(retained.Json.GetProperty("no_frames").GetProperty("active").GetBoolean());
    }
}
