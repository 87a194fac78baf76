using Lookback.Config;
using Lookback.Events;

namespace Lookback.Tests.Hosting;

/// <summary>Issue 14: motion_url — motion is detected on the small feed, the buffer keeps the main URL.</summary>
public sealed class MotionUrlEndToEndTests
{
    [Fact]
    public async Task Motion_is_detected_on_the_motion_url_while_the_ring_keeps_the_main_camera()
    {
        // the main URL never changes; only the motion_url feed shows someone
        await using var main = await SceneCamera.StartAsync();
        await using var small = await SceneCamera.StartAsync();
        var motion = new MotionOptions { Enabled = true, Fps = 5, OffDelay = 1.5, PreCapture = 0.5, PostCapture = 0.5 };
        var porch = AppHarness.Camera("porch", main.Url, interval: 0.2, motion: motion) with { MotionUrl = small.Url };
        await using var h = await AppHarness.StartAsync([porch]);
        var started = new TaskCompletionSource<MotionChanged>(TaskCreationOptions.RunContinuationsAsynchronously);
        using var sub = h.App.Bus.Subscribe<MotionChanged>(e => { if (e.Active) started.TrySetResult(e); });

        var cam = h.App.Cameras.Find("porch")!;
        await AppHarness.WaitUntilAsync(() => cam.Ring.Count >= 20, TimeSpan.FromSeconds(20), "20 quiet frames");
        Assert.False(started.Task.IsCompleted, "motion fired on a static scene");

        small.ObjectVisible = true;
        var start = await started.Task.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal("porch", start.Camera);
    }
}
