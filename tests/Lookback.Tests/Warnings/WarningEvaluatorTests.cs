using Lookback.Cameras;
using Lookback.Config;
using Lookback.Events;
using Lookback.Mqtt;
using Lookback.Tests.Mqtt;
using Lookback.Tests.Sources;
using Lookback.Warnings;
using Microsoft.Extensions.Logging.Abstractions;

namespace Lookback.Tests.Warnings;

/// <summary>The pure warning evaluator on a manual clock, the options that turn warnings on, and their discovery.</summary>
public class WarningEvaluatorTests
{
    private static readonly CameraHealth Online = new(CameraStatus.Online, null);

    [Fact]
    public void No_frame_warning_is_raised_after_the_limit_and_cleared_by_a_frame()
    {
        var time = new ManualTimeProvider();
        var ev = new WarningEvaluator(new WarningOptions { NoFrameMinutes = 5 }, time);
        var frame = time.GetUtcNow();
        Assert.Equal([WarningKinds.NoFrames], ev.Current.Select(w => w.Kind));
        Assert.False(ev.Current[0].Active);

        time.Advance(TimeSpan.FromMinutes(4) + TimeSpan.FromSeconds(59));
        Assert.Empty(ev.Evaluate(Online with { LastFrameAt = frame }));

        time.Advance(TimeSpan.FromSeconds(1));
        var raised = Assert.Single(ev.Evaluate(Online with { LastFrameAt = frame }));
        Assert.Equal((WarningKinds.NoFrames, true, frame + TimeSpan.FromMinutes(5)), (raised.Kind, raised.Active, raised.Since));
        Assert.Contains("no frame for 5 min", raised.Message);
        // still raised: no second change, the message follows the time
        time.Advance(TimeSpan.FromMinutes(3));
        Assert.Empty(ev.Evaluate(Online with { LastFrameAt = frame }));
        Assert.Contains("8 min", ev.Current[0].Message);

        var cleared = Assert.Single(ev.Evaluate(Online with { LastFrameAt = time.GetUtcNow() }));
        Assert.Equal((false, (DateTimeOffset?)null), (cleared.Active, cleared.Since));
    }

    [Fact]
    public void A_camera_that_never_sent_a_frame_counts_from_the_start()
    {
        var time = new ManualTimeProvider();
        var ev = new WarningEvaluator(new WarningOptions { NoFrameMinutes = 1 }, time);
        time.Advance(TimeSpan.FromSeconds(30));
        Assert.Empty(ev.Evaluate(new CameraHealth(CameraStatus.Starting, null)));
        time.Advance(TimeSpan.FromSeconds(30));
        var w = Assert.Single(ev.Evaluate(new CameraHealth(CameraStatus.Starting, null)));
        Assert.True(w.Active);
        Assert.Contains("since start", w.Message);
    }

    [Fact]
    public void Events_per_hour_warning_counts_a_sliding_hour()
    {
        var time = new ManualTimeProvider();
        var ev = new WarningEvaluator(new WarningOptions { MaxEventsPerHour = 3 }, time);
        var t0 = time.GetUtcNow();
        for (var i = 0; i < 3; i++) ev.EventStarted(t0 + TimeSpan.FromMinutes(i));
        time.Advance(TimeSpan.FromMinutes(10));
        Assert.Empty(ev.Evaluate(Online)); // 3 is not more than 3
        ev.EventStarted(time.GetUtcNow());
        var raised = Assert.Single(ev.Evaluate(Online));
        Assert.Equal((WarningKinds.TooManyEvents, true), (raised.Kind, raised.Active));
        Assert.Contains("more than 3 events in the last hour", raised.Message);

        // the first event (t0) leaves the hour at t0 + 60 min: 3 left, cleared
        time.Advance(TimeSpan.FromMinutes(49) + TimeSpan.FromSeconds(59));
        Assert.Empty(ev.Evaluate(Online));
        time.Advance(TimeSpan.FromSeconds(1));
        var cleared = Assert.Single(ev.Evaluate(Online));
        Assert.False(cleared.Active);
    }

    [Fact]
    public void Events_per_hour_keeps_only_what_it_needs()
    {
        var time = new ManualTimeProvider();
        var ev = new WarningEvaluator(new WarningOptions { MaxEventsPerHour = 2 }, time);
        for (var i = 0; i < 100_000; i++) ev.EventStarted(time.GetUtcNow());
        Assert.True(Assert.Single(ev.Evaluate(Online)).Active);
        // every one of them leaves the hour together
        time.Advance(TimeSpan.FromHours(1));
        Assert.False(Assert.Single(ev.Evaluate(Online)).Active);
    }

    [Fact]
    public void Offline_warning_follows_the_status_and_unset_warnings_stay_silent()
    {
        var time = new ManualTimeProvider();
        var ev = new WarningEvaluator(new WarningOptions { Offline = true }, time);
        Assert.Empty(ev.Evaluate(new CameraHealth(CameraStatus.Starting, null)));
        time.Advance(TimeSpan.FromSeconds(7));
        var w = Assert.Single(ev.Evaluate(new CameraHealth(CameraStatus.Offline, null)));
        Assert.Equal((WarningKinds.Offline, true, time.GetUtcNow()), (w.Kind, w.Active, w.Since));
        Assert.False(Assert.Single(ev.Evaluate(new CameraHealth(CameraStatus.Online, time.GetUtcNow()))).Active);

        var none = new WarningEvaluator(new WarningOptions(), time);
        Assert.Empty(none.Current);
        time.Advance(TimeSpan.FromDays(1));
        none.EventStarted(time.GetUtcNow());
        Assert.Empty(none.Evaluate(new CameraHealth(CameraStatus.Offline, null)));
    }

    [Fact]
    public async Task Service_raises_on_the_timer_and_publishes_changes_on_the_bus()
    {
        var time = new ManualTimeProvider();
        var dir = new FakeDirectory("cam", "quiet");
        dir.Cameras[0] = new FakeCamera(dir.Cameras[0].Options with { Warnings = new WarningOptions { NoFrameMinutes = 1, MaxEventsPerHour = 1 } });
        var bus = new EventBus();
        var seen = new System.Collections.Concurrent.ConcurrentQueue<CameraWarningChanged>();
        using var sub = bus.Subscribe<CameraWarningChanged>(seen.Enqueue);
        await using var service = new WarningService(dir, bus, time, NullLogger<WarningService>.Instance) { Every = TimeSpan.FromSeconds(5) };
        Assert.Equal(["cam"], service.Cameras);
        Assert.Empty(service.Of("quiet"));
        service.Start();
        await time.WaitForTimerAsync(TimeSpan.FromSeconds(5));

        // two event starts within the hour: more than 1, raised at once (no timer needed)
        bus.Publish(new MotionChanged("cam", true, time.GetUtcNow(), 1, [], "e1"));
        bus.Publish(new MotionChanged("cam", false, time.GetUtcNow(), 1, [], "e1"));
        bus.Publish(new MotionChanged("cam", true, time.GetUtcNow(), 1, [], "e2"));
        var many = Assert.Single(seen);
        Assert.Equal(("cam", WarningKinds.TooManyEvents, true), (many.Camera, many.Warning.Kind, many.Warning.Active));
        Assert.Equal(2, many.All.Count);

        // no frame for a minute: the timer raises it
        time.Advance(TimeSpan.FromSeconds(60));
        await Wait.UntilAsync(() => seen.Count == 2, TimeSpan.FromSeconds(10), "the no-frame warning");
        Assert.Equal(WarningKinds.NoFrames, seen.Last().Warning.Kind);
        Assert.All(service.Of("cam"), w => Assert.True(w.Active));
    }

    [Fact]
    public void Options_bind_from_yaml_and_addon_fields_and_refuse_bad_values()
    {
        var o = ConfigLoader.Parse("""
            cameras:
              cam:
                url: http://cam/a.jpg
                warnings:
                  no_frame_minutes: 10
                  max_events_per_hour: 30
                  offline: true
              plain:
                url: http://cam/b.jpg
            """, "test.yaml");
        Assert.True(o.Errors.Count == 0, string.Join("; ", o.Errors));
        Assert.Equal(new WarningOptions { NoFrameMinutes = 10, MaxEventsPerHour = 30, Offline = true }, o.Options!.Cameras[0].Warnings);
        Assert.False(o.Options.Cameras[1].Warnings.Any);

        var addon = ConfigLoader.FromAddonOptions("""
            {"cameras": [{"slug": "cam", "url": "http://cam/a.jpg", "warn_no_frame_minutes": 3, "warn_offline": true}]}
            """);
        Assert.True(addon.Errors.Count == 0, string.Join("; ", addon.Errors));
        Assert.Equal(new WarningOptions { NoFrameMinutes = 3, Offline = true }, addon.Options!.Cameras[0].Warnings);

        var bad = ConfigLoader.Parse("""
            cameras:
              cam:
                url: http://cam/a.jpg
                warnings: {no_frame_minutes: 0, max_events: 3}
            """, "test.yaml");
        Assert.Contains(bad.Errors, e => e.Path == "cameras.cam.warnings.no_frame_minutes" && e.Message.Contains("between 1 and 10080"));
        Assert.Contains(bad.Errors, e => e.Path == "cameras.cam.warnings.max_events" && e.Message.Contains("max_events_per_hour"));
    }

    [Fact]
    public void Discovery_has_a_problem_sensor_per_configured_warning_available_with_the_node()
    {
        var t = new Topics("lookback", "homeassistant", "n1");
        var plain = new CameraOptions { Slug = "yard", Name = "Yard", Url = "http://x" };
        var plainCmps = Discovery.Camera(t, plain, "1.0")["components"]!.AsObject();
        Assert.DoesNotContain(plainCmps, kv => kv.Key.StartsWith("warning", StringComparison.Ordinal));

        var cam = plain with { Warnings = new WarningOptions { NoFrameMinutes = 5, Offline = true } };
        var p = Discovery.Camera(t, cam, "1.0");
        DiscoveryTests.Validate(t.CameraDiscovery("yard"), System.Text.Encoding.UTF8.GetBytes(Discovery.Serialize(p)), [], "n1");
        var c = p["components"]!.AsObject();
        var sensors = c.Where(kv => (string?)kv.Value!["device_class"] == "problem").ToDictionary(kv => kv.Key, kv => kv.Value!.AsObject());
        Assert.Equal(["warning_no_frames", "warning_offline"], sensors.Keys.Order());
        foreach (var s in sensors.Values)
        {
            Assert.Equal(("binary_sensor", "lookback/yard/warnings", "diagnostic"), ((string)s["platform"]!, (string)s["state_topic"]!, (string)s["entity_category"]!));
            Assert.Equal(["lookback/nodes/n1"], s["availability"]!.AsArray().Select(a => (string)a!["topic"]!));
        }
        Assert.Equal("{{ 'ON' if value_json.offline.active else 'OFF' }}", (string)sensors["warning_offline"]["value_template"]!);
        Assert.Equal("warning", (string)c["trigger_warning_raised"]!["payload"]!);
        Assert.Contains("lookback/yard/warnings", t.CameraRetained("yard"));
    }
}
