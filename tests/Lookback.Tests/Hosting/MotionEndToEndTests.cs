using System.Net;
using System.Text.Json;
using Lookback.Config;
using Lookback.Events;
using Lookback.Imaging;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Lookback.Tests.Hosting;

/// <summary>A snapshot camera drawing a textured gray scene; <see cref="ObjectVisible"/> adds a moving bright block.</summary>
public sealed class SceneCamera : IAsyncDisposable
{
    private readonly WebApplication _web;
    private readonly byte[] _background;
    private const int W = 320, H = 240;
    public volatile bool ObjectVisible;
    private int _step;

    private SceneCamera()
    {
        var rnd = new Random(7);
        _background = new byte[W * H];
        for (var y = 0; y < H; y++)
            for (var x = 0; x < W; x++)
                _background[y * W + x] = (byte)(60 + (x / 16 + y / 16) % 2 * 40 + rnd.Next(8));
        var b = WebApplication.CreateSlimBuilder();
        b.Logging.ClearProviders();
        b.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
        _web = b.Build();
        _web.MapGet("/scene.jpg", () => Results.File(Render(), "image/jpeg"));
    }

    private byte[] Render()
    {
        var px = (byte[])_background.Clone();
        if (ObjectVisible)
        {
            var x0 = 40 + Interlocked.Increment(ref _step) * 6 % 200;
            for (var y = 80; y < 180; y++)
                for (var x = x0; x < x0 + 50; x++) px[y * W + x] = 235;
        }
        return Jpeg.Encode(px, W, H, W, PixelFormat.Gray, 85);
    }

    public static async Task<SceneCamera> StartAsync()
    {
        var s = new SceneCamera();
        await s._web.StartAsync();
        return s;
    }

    public string Url => _web.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First() + "/scene.jpg";

    public async ValueTask DisposeAsync() { await _web.StopAsync(); await _web.DisposeAsync(); }
}

public sealed class MotionEndToEndTests
{
    [Fact]
    public async Task A_person_entering_starts_an_event_that_ends_with_a_snapshot_a_gif_and_a_stored_row()
    {
        await using var scene = await SceneCamera.StartAsync();
        var motion = new MotionOptions { Enabled = true, Fps = 5, OffDelay = 1.5, PreCapture = 0.5, PostCapture = 0.5 };
        await using var h = await AppHarness.StartAsync([AppHarness.Camera("porch", scene.Url, interval: 0.2, motion: motion)]);
        var started = new TaskCompletionSource<MotionChanged>(TaskCreationOptions.RunContinuationsAsynchronously);
        var ended = new TaskCompletionSource<MotionChanged>(TaskCreationOptions.RunContinuationsAsynchronously);
        var completed = new TaskCompletionSource<MotionEventCompleted>(TaskCreationOptions.RunContinuationsAsynchronously);
        using var s1 = h.App.Bus.Subscribe<MotionChanged>(e => (e.Active ? started : ended).TrySetResult(e));
        using var s2 = h.App.Bus.Subscribe<MotionEventCompleted>(e => completed.TrySetResult(e));

        // A quiet scene first: the background model settles and nothing fires.
        var cam = h.App.Cameras.Find("porch")!;
        await AppHarness.WaitUntilAsync(() => cam.Ring.Count >= 20, TimeSpan.FromSeconds(20), "20 quiet frames");
        Assert.False(started.Task.IsCompleted, "motion fired on a static scene");

        scene.ObjectVisible = true;
        var start = await started.Task.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal("porch", start.Camera);
        await AppHarness.WaitUntilAsync(() => cam.Ring.NewestTime > start.At.AddSeconds(1), TimeSpan.FromSeconds(10), "a second of motion");
        scene.ObjectVisible = false;

        await ended.Task.WaitAsync(TimeSpan.FromSeconds(15));
        var done = await completed.Task.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Null(done.Error);
        Assert.NotNull(done.Snapshot);
        Assert.NotNull(done.Gif);
        Assert.True(File.Exists(Path.Combine(h.Storage, done.Gif!.RelativePath)));
        Assert.StartsWith("/media/local/lookback/porch/", done.Gif.Media);

        using var events = JsonDocument.Parse(await h.Http.GetStringAsync("/api/events?camera=porch"));
        var row = Assert.Single(events.RootElement.EnumerateArray());
        Assert.Equal(done.EventId, row.GetProperty("id").GetString());
        Assert.True(row.GetProperty("score").GetDouble() > 0);
        Assert.NotEmpty(row.GetProperty("boxes").EnumerateArray());
        var gifPath = row.GetProperty("files").GetProperty("gif").GetProperty("path").GetString()!;
        Assert.Equal(HttpStatusCode.OK, (await h.Http.GetAsync("/" + gifPath)).StatusCode);
    }

    [Fact]
    public async Task Continuous_motion_is_split_into_closed_events_each_with_a_snapshot_and_a_gif()
    {
        await using var scene = await SceneCamera.StartAsync();
        var motion = new MotionOptions { Enabled = true, Fps = 5, OffDelay = 1.5, PreCapture = 0.5, PostCapture = 0.5, MaxEventSeconds = 2 };
        await using var h = await AppHarness.StartAsync([AppHarness.Camera("street", scene.Url, interval: 0.2, motion: motion)]);
        var completed = new List<MotionEventCompleted>();
        using var sub = h.App.Bus.Subscribe<MotionEventCompleted>(e => { lock (completed) completed.Add(e); });
        var cam = h.App.Cameras.Find("street")!;
        await AppHarness.WaitUntilAsync(() => cam.Ring.Count >= 20, TimeSpan.FromSeconds(20), "20 quiet frames");

        scene.ObjectVisible = true;                    // never stops moving: one event would never end
        await AppHarness.WaitUntilAsync(() => { lock (completed) return completed.Count >= 3; }, TimeSpan.FromSeconds(60),
            "three closed events while the motion goes on");
        MotionEventCompleted[] done;
        lock (completed) done = completed.Take(3).ToArray();
        foreach (var e in done)
        {
            Assert.Null(e.Error);
            Assert.NotNull(e.Snapshot);
            Assert.NotNull(e.Gif);
            Assert.True((e.End - e.Start).TotalSeconds <= 2.01, $"event {e.EventId} lasted {(e.End - e.Start).TotalSeconds} s");
        }
        for (int i = 1; i < done.Length; i++) Assert.True(done[i].Start >= done[i - 1].End, "events overlap");
        Assert.True(cam.Ring.NewestTime > done[^1].End, "the split events closed while the motion went on");

        // each event kept its frames [start − pre_capture, end + post_capture], served one by one
        foreach (var e in done)
        {
            using var list = JsonDocument.Parse(await h.Http.GetStringAsync($"/api/events/{e.EventId}/frames"));
            var frames = list.RootElement.EnumerateArray().ToArray();
            Assert.True(frames.Length >= 8, $"event {e.EventId}: {frames.Length} frames for ~3 s at 5 fps");
            var times = frames.Select(f => f.GetProperty("time").GetDateTimeOffset()).ToArray();
            Assert.Equal(times.Order(), times);
            Assert.True(times[0] >= e.Start.AddSeconds(-0.5) && times[^1] <= e.End.AddSeconds(0.5), "frames outside the event's window");
            var last = frames.Length - 1;
            var r = await h.Http.GetAsync($"/api/events/{e.EventId}/frames/{last}.jpg");
            Assert.Equal(HttpStatusCode.OK, r.StatusCode);
            var jpeg = await r.Content.ReadAsByteArrayAsync();
            Assert.Equal(frames[last].GetProperty("bytes").GetInt32(), jpeg.Length);
            Assert.True(jpeg[0] == 0xFF && jpeg[1] == 0xD8 && jpeg[^2] == 0xFF && jpeg[^1] == 0xD9, "not a whole JPEG");
            Assert.Equal(times[last], DateTimeOffset.Parse(r.Headers.GetValues("X-Frame-Time").Single(), System.Globalization.CultureInfo.InvariantCulture));
        }
        Assert.Equal(HttpStatusCode.NotFound, (await h.Http.GetAsync($"/api/events/{done[0].EventId}/frames/100000.jpg")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await h.Http.GetAsync($"/api/events/{done[0].EventId}/frames/x.jpg")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await h.Http.GetAsync("/api/events/nope/frames")).StatusCode);
    }
}
