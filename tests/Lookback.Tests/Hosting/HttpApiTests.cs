using System.Net;
using System.Text.Json;
using Lookback.Config;
using Lookback.Hosting;
using Lookback.Tests.Rendering;
using Lookback.Tests.Sources;

namespace Lookback.Tests.Hosting;

/// <summary>The HTTP API (README "HTTP API") against a real Lookback reading real test cameras on 127.0.0.1.</summary>
public sealed class HttpApiTests
{
    private static async Task<string> SaveAsync(HttpResponseMessage r, string ext)
    {
        var path = Path.Combine(Path.GetTempPath(), $"lookback-e2e-{Guid.NewGuid():N}.{ext}");
        await File.WriteAllBytesAsync(path, await r.Content.ReadAsByteArrayAsync());
        return path;
    }

    private static async Task WaitOnlineAsync(AppHarness h, string cam, int frames = 5) =>
        await AppHarness.WaitUntilAsync(() => h.App.Cameras.Find(cam) is { } c && c.Ring.Count >= frames,
            TimeSpan.FromSeconds(20), $"{frames} frames from {cam}");

    [Fact]
    public async Task Api_serves_cameras_snapshots_gifs_media_metrics_and_the_cctv_gif_buffer_endpoint()
    {
        await using var server = await TestCameraServer.StartAsync();
        await using var h = await AppHarness.StartAsync([
            AppHarness.Camera("front", server.SnapshotUrl, interval: 0.1),
            AppHarness.Camera("yard", server.MjpegUrl(10), CameraKind.Mjpeg, interval: 0.1),
        ]);
        await WaitOnlineAsync(h, "front", 12);
        await WaitOnlineAsync(h, "yard", 12);

        using var cams = JsonDocument.Parse(await h.Http.GetStringAsync("/api/cameras"));
        var list = cams.RootElement.EnumerateArray().ToDictionary(e => e.GetProperty("name").GetString()!);
        Assert.Equal(["front", "yard"], list.Keys.Order());
        foreach (var key in new[] { "name", "title", "kind", "status", "fps", "last_frame_at", "buffered_frames", "buffered_seconds", "last_error" })
            Assert.True(list["front"].TryGetProperty(key, out _), key);
        Assert.Equal("online", list["yard"].GetProperty("status").GetString());

        var snap = await h.Http.GetAsync("/api/cameras/front/snapshot.jpg?width=160");
        Assert.Equal(HttpStatusCode.OK, snap.StatusCode);
        Assert.Equal("image/jpeg", snap.Content.Headers.ContentType!.MediaType);
        var snapInfo = await Probe.RunAsync(await SaveAsync(snap, "jpg"));
        Assert.Equal(160, snapInfo.Width);

        var gif = await h.Http.GetAsync("/api/cameras/yard/gif?seconds=1&fps=4&width=160");
        Assert.Equal(HttpStatusCode.OK, gif.StatusCode);
        Assert.Equal("image/gif", gif.Content.Headers.ContentType!.MediaType);
        var gifInfo = await Probe.RunAsync(await SaveAsync(gif, "gif"));
        Assert.Equal(160, gifInfo.Width);
        Assert.Equal(4, gifInfo.Frames);

        // The published URL (Content-Location) is served under /media.
        var location = gif.Content.Headers.ContentLocation ?? new Uri(gif.Headers.GetValues("Content-Location").First());
        var media = await h.Http.GetAsync(location.AbsolutePath);
        Assert.Equal(HttpStatusCode.OK, media.StatusCode);
        Assert.Equal((await gif.Content.ReadAsByteArrayAsync()).Length, (await media.Content.ReadAsByteArrayAsync()).Length);

        var compat = await h.Http.GetAsync("/gif?camera=front&duration=1&interval=0.25");
        Assert.Equal(HttpStatusCode.OK, compat.StatusCode);
        var compatInfo = await Probe.RunAsync(await SaveAsync(compat, "gif"));
        Assert.InRange(compatInfo.Frames, 5, 12); // every frame of the last second (polled every 0.1 s)
        Assert.InRange(compatInfo.Duration, compatInfo.Frames * 0.25 - 0.1, compatInfo.Frames * 0.25 + 0.1);

        var metrics = await h.Http.GetStringAsync("/metrics");
        Assert.Matches(@"lookback_camera_frames_total\{camera=""front""\} [1-9]", metrics);
        Assert.Contains("lookback_renders_total{camera=\"yard\",kind=\"gif\",status=\"ok\"} 1", metrics);
        Assert.Equal("ok\n", await h.Http.GetStringAsync("/healthz"));
        Assert.Contains("<title>Lookback</title>", await h.Http.GetStringAsync("/"));
    }

    [Theory]
    [InlineData("/api/cameras/nope/gif", 404, "unknown camera 'nope'")]
    [InlineData("/api/cameras/nope/snapshot.jpg", 404, "unknown camera 'nope'")]
    [InlineData("/api/cameras/front/gif?seconds=abc", 400, "seconds")]
    [InlineData("/api/cameras/front/gif?fps=99", 400, "fps")]
    [InlineData("/api/cameras/front/gif?width=5", 400, "width")]
    [InlineData("/api/cameras/front/moment.mp4?after=500", 400, "after")]
    [InlineData("/gif?duration=5", 400, "camera")]
    [InlineData("/api/events?limit=0", 400, "limit")]
    [InlineData("/media/front/..%2f..%2f..%2fetc%2fpasswd", 404, "no file")]
    [InlineData("/nothing/here", 404, "no such resource '/nothing/here'")]
    [InlineData("/api/cameras/empty/snapshot.jpg", 503, "no frame")]
    public async Task Errors_are_json_with_the_status_and_the_field(string url, int status, string error)
    {
        await using var server = await TestCameraServer.StartAsync();
        await using var h = await AppHarness.StartAsync([
            AppHarness.Camera("front", server.SnapshotUrl),
            AppHarness.Camera("empty", $"http://127.0.0.1:{TestCameraServer.ClosedPort()}/x.jpg"),
        ]);
        var r = await h.Http.GetAsync(url);
        Assert.Equal(status, (int)r.StatusCode);
        using var json = JsonDocument.Parse(await r.Content.ReadAsStringAsync());
        Assert.Contains(error, json.RootElement.GetProperty("error").GetString());
        if (status == 503) Assert.True(r.Headers.Contains("Retry-After"));
    }

    [Fact]
    public async Task A_full_render_queue_answers_429_with_retry_after()
    {
        await using var server = await TestCameraServer.StartAsync();
        await using var h = await AppHarness.StartAsync([AppHarness.Camera("front", server.MjpegUrl(20), CameraKind.Mjpeg, interval: 0.05, store: 400)],
            settings: new HostSettings { RenderWorkers = 1, RenderQueueCapacity = 1, RenderRateLimit = new(100, TimeSpan.FromSeconds(1)) });
        await WaitOnlineAsync(h, "front", 60);
        // 12 GIFs at once against one worker and one queue slot: some must be answered busy at once. On a loaded
        // machine the requests may reach the server spread out enough to be served one by one: up to 5 rounds.
        var answers = new List<HttpResponseMessage>();
        for (var round = 0; round < 5 && !answers.Any(a => (int)a.StatusCode == 429); round++)
            answers.AddRange(await Task.WhenAll(Enumerable.Range(0, 12).Select(_ => h.Http.GetAsync("/api/cameras/front/gif?seconds=3&fps=10"))));
        var busy = answers.Where(a => (int)a.StatusCode == 429).ToList();
        Assert.NotEmpty(busy);
        Assert.All(busy, b => Assert.True(int.Parse(b.Headers.GetValues("Retry-After").First()) >= 1));
        Assert.Contains(answers, a => a.StatusCode == HttpStatusCode.OK);
    }

    [Fact]
    public async Task A_broken_camera_is_offline_with_its_error_and_the_other_keeps_its_rate()
    {
        await using var server = await TestCameraServer.StartAsync();
        await using var h = await AppHarness.StartAsync([
            AppHarness.Camera("good", server.SnapshotUrl, interval: 0.1),
            AppHarness.Camera("broken", server.FaultUrl(CameraFault.Status500), interval: 0.1),
            AppHarness.Camera("hangs", server.FaultUrl(CameraFault.Hang), interval: 0.1),
            AppHarness.Camera("html", server.FaultUrl(CameraFault.Html), interval: 0.1),
        ]);
        var good = h.App.Cameras.Find("good")!;
        await WaitOnlineAsync(h, "good", 3);
        var start = good.Ring.NewestSequence;
        await AppHarness.WaitUntilAsync(() => good.Ring.NewestSequence - start >= 20, TimeSpan.FromSeconds(10), "20 more frames from good");
        await AppHarness.WaitUntilAsync(() => h.App.Cameras.All.Where(c => c.Slug != "good").All(c => c.LastError is not null),
            TimeSpan.FromSeconds(15), "errors on the broken cameras");
        using var cams = JsonDocument.Parse(await h.Http.GetStringAsync("/api/cameras"));
        var byName = cams.RootElement.EnumerateArray().ToDictionary(e => e.GetProperty("name").GetString()!);
        Assert.Equal("online", byName["good"].GetProperty("status").GetString());
        Assert.Contains("HTTP 500", byName["broken"].GetProperty("last_error").GetString());
        Assert.Contains("timeout", byName["hangs"].GetProperty("last_error").GetString());
        Assert.Contains("not a JPEG", byName["html"].GetProperty("last_error").GetString());
        foreach (var c in new[] { "broken", "hangs", "html" }) Assert.Equal("offline", byName[c].GetProperty("status").GetString());
    }

    [Fact]
    public async Task Passwords_never_reach_the_log_or_the_api()
    {
        const string secret = "Sup3rS3cret!";
        await using var server = await TestCameraServer.StartAsync();
        await using var h = await AppHarness.StartAsync([
            AppHarness.Camera("digest", server.Url("/digest/snapshot.jpg"), user: "admin", password: "wrong" + secret, auth: AuthKind.Digest),
            AppHarness.Camera("basic", server.Url("/basic/snapshot.jpg"), user: "admin", password: secret, auth: AuthKind.Basic),
            AppHarness.Camera("down", $"http://admin:{Uri.EscapeDataString(secret)}@127.0.0.1:{TestCameraServer.ClosedPort()}/x.jpg?password={secret}",
                user: "admin", password: secret),
        ]);
        await WaitOnlineAsync(h, "basic", 2);
        await AppHarness.WaitUntilAsync(() => h.App.Cameras.Find("digest")!.LastError is not null
            && h.App.Cameras.Find("down")!.LastError is not null, TimeSpan.FromSeconds(15), "errors");
        var api = await h.Http.GetStringAsync("/api/cameras");
        var metrics = await h.Http.GetStringAsync("/metrics");
        Assert.Contains("401", api);
        Assert.DoesNotContain(secret, api);
        Assert.DoesNotContain(secret, metrics);
        Assert.DoesNotContain(Uri.EscapeDataString(secret), api);
        Assert.Contains("offline", h.LogText);
        Assert.DoesNotContain(secret, h.LogText);
        Assert.DoesNotContain(Uri.EscapeDataString(secret), h.LogText);
    }
}
