using System.Collections.Concurrent;
using Lookback.Config;
using Lookback.Events;
using Lookback.Media.Rendering;
using Lookback.Media.Storage;

namespace Lookback.Tests.Rendering;

public sealed class RenderQueueTests : IDisposable
{
    private readonly TempDir _dir = new();
    private readonly TestCamera _cam = new("front");
    private readonly EventBus _bus = new();
    private readonly ConcurrentQueue<RenderCompleted> _completed = new();
    private readonly DateTimeOffset _filledTo = DateTimeOffset.UtcNow;

    public RenderQueueTests()
    {
        _bus.Subscribe<RenderCompleted>(_completed.Enqueue);
        _cam.Fill(_filledTo, 20, 10);
    }

    public void Dispose() { _cam.Ring.Dispose(); _dir.Dispose(); }

    private RenderEngine Engine(string? storagePath = null) =>
        new(new MediaStore(new StorageOptions { Path = storagePath ?? _dir.Path }, new HttpOptions { PublicUrl = "http://h:1" }),
            new FfmpegProcess());

    private static RenderRequest Snap(string id) => new() { Camera = "front", Kind = RenderKind.Snapshot, RequestId = id };

    [Fact]
    public async Task Full_queue_answers_busy_at_once_and_accepts_again_after_draining()
    {
        var gated = new GatedEngine(Engine());
        await using var q = new RenderQueue(new TestCameras(_cam), gated, _bus, new RenderQueueOptions { Workers = 1, Capacity = 1 });

        var a = q.SubmitAsync(Snap("a"), CancellationToken.None);
        await gated.Started.Task;                 // the worker holds "a"
        var b = q.SubmitAsync(Snap("b"), CancellationToken.None);
        Assert.Equal(1, q.Queued);                // "b" fills the queue
        var c = q.SubmitAsync(Snap("c"), CancellationToken.None);
        Assert.True(c.IsCompleted);               // answered at once
        var busy = await c;
        Assert.Equal(RenderStatus.Busy, busy.Status);
        Assert.True(busy.RetryAfter >= 1);
        Assert.Contains(_completed, e => e.Result.RequestId == "c" && e.Result.Status == RenderStatus.Busy);

        gated.Gate.SetResult();
        Assert.True((await a).Ok);
        Assert.True((await b).Ok);
        var d = await q.SubmitAsync(Snap("d"), CancellationToken.None);
        Assert.True(d.Ok, d.Error);

        var m = Assert.Single(q.Metrics.Snapshot());
        Assert.Equal(("front", "snapshot", 3L, 0L, 1L), (m.Camera, m.Kind, m.Ok, m.Error, m.Busy));
        Assert.Equal(4, _completed.Count);
        var text = new StringWriter();
        q.Metrics.WritePrometheus(text);
        Assert.Contains("lookback_renders_total{camera=\"front\",kind=\"snapshot\",status=\"busy\"} 1", text.ToString());
    }

    [Fact]
    public async Task Stop_abandons_pending_jobs_with_shutting_down()
    {
        var gated = new GatedEngine(Engine());
        var q = new RenderQueue(new TestCameras(_cam), gated, _bus, new RenderQueueOptions { Workers = 1, Capacity = 2 });
        var a = q.SubmitAsync(Snap("a"), CancellationToken.None);
        await gated.Started.Task;
        var b = q.SubmitAsync(Snap("b"), CancellationToken.None);
        var moment = q.SubmitAsync(new RenderRequest { Camera = "front", Kind = RenderKind.Moment, Before = 1, After = 30 }, CancellationToken.None);

        await q.StopAsync(TimeSpan.FromMilliseconds(100));

        Assert.Equal("shutting down", (await a).Error);
        Assert.Equal("shutting down", (await b).Error);
        Assert.Equal("shutting down", (await moment).Error);
        var after = await q.SubmitAsync(Snap("late"), CancellationToken.None);
        Assert.Equal("shutting down", after.Error);
        Assert.Equal(4, _completed.Count);
    }

    [Fact]
    public async Task Moments_waiting_do_not_hold_workers()
    {
        await using var q = new RenderQueue(new TestCameras(_cam), Engine(), _bus, new RenderQueueOptions { Workers = 1, Capacity = 1 });
        var m1 = q.SubmitAsync(new RenderRequest { Camera = "front", Kind = RenderKind.Moment, Before = 1, After = 30 }, CancellationToken.None);
        var m2 = q.SubmitAsync(new RenderRequest { Camera = "front", Kind = RenderKind.Moment, Before = 1, After = 30 }, CancellationToken.None);
        Assert.Equal(2, q.WaitingMoments);
        var s = await q.SubmitAsync(Snap("s"), CancellationToken.None);
        Assert.True(s.Ok, s.Error);
        Assert.False(m1.IsCompleted || m2.IsCompleted);
    }

    [Fact]
    public async Task Cancelled_request_kills_its_render_and_is_published()
    {
        var gated = new GatedEngine(Engine());
        await using var q = new RenderQueue(new TestCameras(_cam), gated, _bus, new RenderQueueOptions { Workers = 1 });
        using var cts = new CancellationTokenSource();
        var a = q.SubmitAsync(Snap("a"), cts.Token);
        await gated.Started.Task;
        cts.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => a);
        gated.Gate.SetResult();
        var next = await q.SubmitAsync(Snap("n"), CancellationToken.None); // the worker is free again
        Assert.True(next.Ok);
        Assert.Contains(_completed, e => e.Result.RequestId == "a" && e.Result.Error == "cancelled");
    }

    [Fact]
    public async Task Storage_path_that_is_a_file_gives_a_clear_error()
    {
        var file = Path.Combine(_dir.Path, "not-a-dir");
        await File.WriteAllTextAsync(file, "x");
        await using var q = new RenderQueue(new TestCameras(_cam), Engine(file), _bus, new RenderQueueOptions { Workers = 1 });

        foreach (var kind in new[] { RenderKind.Snapshot, RenderKind.Gif })
        {
            // An explicit window over the filled frames: "the last second" may hold none on a loaded machine.
            var r = await q.SubmitAsync(new RenderRequest { Camera = "front", Kind = kind, From = _filledTo.AddSeconds(-1), To = _filledTo },
                CancellationToken.None);
            Assert.Equal(RenderStatus.Error, r.Status);
            Assert.Contains("cannot create media folder", r.Error);
            Assert.Contains(file, r.Error);
        }
        // the service is fine: a good store still renders
        await using var ok = new RenderQueue(new TestCameras(_cam), Engine(), _bus, new RenderQueueOptions { Workers = 1 });
        Assert.True((await ok.SubmitAsync(Snap("ok"), CancellationToken.None)).Ok);
    }

    [Fact]
    public async Task Ffmpeg_failure_reports_stderr_and_leaves_no_temporary_file()
    {
        var cam = new TestCamera("bad");
        for (var i = 0; i < 5; i++) cam.Ring.Append("not a jpeg at all"u8, DateTimeOffset.UtcNow.AddMilliseconds(i * 100 - 500));
        await using var q = new RenderQueue(new TestCameras(cam), Engine(), _bus, new RenderQueueOptions { Workers = 1 });
        var r = await q.SubmitAsync(new RenderRequest { Camera = "bad", Kind = RenderKind.Gif, Seconds = 2, Width = 100 }, CancellationToken.None);
        Assert.Equal(RenderStatus.Error, r.Status);
        Assert.StartsWith("ffmpeg exited with code", r.Error);
        Assert.Empty(Directory.GetFiles(_dir.Path, "*", SearchOption.AllDirectories));
    }
}
