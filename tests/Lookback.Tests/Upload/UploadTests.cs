using System.Text.Json;
using Lookback.Config;
using Lookback.Events;
using Lookback.Media.Storage;
using Lookback.Tests.Config;
using Lookback.Tests.Mqtt;
using Lookback.Media.Upload;
using Microsoft.Extensions.Logging;

namespace Lookback.Tests.Upload;

/// <summary>Pure parts of the upload feature: config, key templates, the durable queue, retention pins.</summary>
public sealed class UploadQueueTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("lookback-upq-").FullName;
    public void Dispose() { try { Directory.Delete(_root, true); } catch (IOException) { } }

    private static ConfigResult Load(string yaml) => ConfigLoader.Parse(yaml, "lookback.yaml");

    [Fact]
    public void Upload_section_binds_the_issue_yaml_and_names_bad_fields_with_path_and_line()
    {
        var o = ConfigTestHelpers.AssertValid(Load("""
            cameras:
              frontdoor: { url: "http://127.0.0.1/a.jpg" }
            upload:
              offsite:
                type: s3
                endpoint: https://s3.example.com
                bucket: cams
                region: eu-west-1
                access_key: AKIAEXAMPLE
                secret_key: verysecret
                path: "{camera}/{date}/{file}"
                media: [events, moments]
                cameras: [frontdoor]
              hook:
                type: webhook
                endpoint: http://127.0.0.1:9/in
                media: [recordings, timelapses]
            """));
        var t = Assert.Single(o.Upload, x => x.Name == "offsite");
        Assert.Equal((UploadType.S3, "cams", "eu-west-1", "verysecret"), (t.Type, t.Bucket, t.Region, t.SecretKey));
        Assert.Equal(UploadMedia.Events | UploadMedia.Moments, t.Media);
        Assert.Equal(["frontdoor"], t.Cameras);
        Assert.Equal(UploadMedia.Recordings | UploadMedia.Timelapses, o.Upload.Single(x => x.Name == "hook").Media);

        var bad = Load("""
            cameras:
              frontdoor: { url: "http://127.0.0.1/a.jpg" }
            upload:
              offsite:
                type: s3
                endpoint: https://s3.example.com
                bucket: cams
                access_key: AKIAEXAMPLE
                secret_key: verysecret
                path: "{camera}/{day}/{file}"
                media: [events, clips]
                cameras: [backdoor]
            """);
        ConfigTestHelpers.AssertError(bad, "upload.offsite.path", 10, "unknown field '{day}'");
        ConfigTestHelpers.AssertError(bad, "upload.offsite.media[1]", 11, "events|moments|recordings|timelapses");
        ConfigTestHelpers.AssertError(bad, "upload.offsite.cameras[0]", 12, "unknown camera 'backdoor'");
        Assert.DoesNotContain(bad.Errors, e => e.Message.Contains("verysecret"));

        var missing = Load("""
            cameras:
              frontdoor: { url: "http://127.0.0.1/a.jpg" }
            upload:
              Off-Site:
                type: s3
              offsite:
                type: s3
                endpoint: s3.example.com
            """);
        ConfigTestHelpers.AssertError(missing, "upload.Off-Site", 4, "[a-z0-9_]+");
        ConfigTestHelpers.AssertError(missing, "upload.offsite.endpoint", 8, "absolute http");
        ConfigTestHelpers.AssertError(missing, "upload.offsite.bucket", 6, "is required for s3");
    }

    [Fact]
    public void Key_template_expands_camera_date_and_file_name()
    {
        Assert.Equal("front/2026-12-02/ev-1.gif", UploadKey.Expand("{camera}/{date}/{file}", "front", new DateOnly(2026, 12, 2), "front/2026-12-02/events/ev-1.gif"));
        Assert.Equal("x/ev.jpg", UploadKey.Expand("x/{file}", "front", new DateOnly(2026, 1, 1), "a/b/ev.jpg"));
        Assert.Contains("{file}", UploadKey.Problem("{camera}/{date}"));
        Assert.NotNull(UploadKey.Problem("/{file}"));
        Assert.NotNull(UploadKey.Problem("../{file}"));
        Assert.Null(UploadKey.Problem("lookback/{camera}/{file}"));
    }

    private static UploadJob Job(string file, long bytes, int minute) => new()
    {
        Id = Guid.NewGuid().ToString("N"), Target = "offsite", Camera = "front", RelativePath = file, Key = file,
        Bytes = bytes, Created = new DateTimeOffset(2026, 12, 2, 10, minute, 0, TimeSpan.Zero),
    };

    [Fact]
    public void Jobs_survive_a_restart_leave_on_ack_and_the_oldest_are_dropped_at_the_bounds()
    {
        var dir = Path.Combine(_root, "q");
        var q = new UploadQueue(dir);
        var a = Job("a.gif", 100, 1);
        q.Enqueue(Job("b.gif", 100, 2));
        q.Enqueue(a);
        q.Failed(a, "offsite: connection refused");

        var again = new UploadQueue(dir); // a restart
        Assert.Equal(["a.gif", "b.gif"], again.Snapshot().Select(j => j.RelativePath));
        Assert.Equal(1, again.Snapshot()[0].Attempts);
        Assert.True(again.IsPending("a.gif"));
        again.Complete(again.Snapshot()[0]);
        Assert.Equal(["b.gif"], new UploadQueue(dir).Snapshot().Select(j => j.RelativePath));
        Assert.Equal((1, 100L), (again.Uploaded, again.UploadedBytes));

        var log = new ListLoggerProvider();
        var bounded = new UploadQueue(Path.Combine(_root, "b"), new UploadQueueLimits(MaxJobs: 3, MaxBytes: 250),
            log.CreateLogger("upload"));
        for (var i = 0; i < 4; i++) bounded.Enqueue(Job($"f{i}.jpg", 100, i));
        Assert.Equal(["f2.jpg", "f3.jpg"], bounded.Snapshot().Select(j => j.RelativePath)); // 250 bytes: two of 100
        Assert.Equal(2, bounded.Dropped);
        Assert.Contains(log.Entries, e => e.Level == LogLevel.Warning && e.Text.Contains("dropped the oldest job f0.jpg"));
        Assert.Equal(2, Directory.GetFiles(Path.Combine(_root, "b"), "*.json").Length);
    }

    [Fact]
    public void Retention_never_deletes_a_file_whose_upload_is_pending()
    {
        var media = Path.Combine(_root, "media");
        var day = Path.Combine(media, "front", "2026-11-01");
        Directory.CreateDirectory(day);
        var old = DateTime.UtcNow.AddDays(-30);
        foreach (var n in new[] { "pending.gif", "done.gif" })
        {
            File.WriteAllBytes(Path.Combine(day, n), new byte[1000]);
            File.SetLastWriteTimeUtc(Path.Combine(day, n), old);
        }
        var pinned = new HashSet<string> { "front/2026-11-01/pending.gif" };
        var r = new Retention(new StorageOptions { RetainDays = 7, MaxBytes = 10 }, media, null, TimeProvider.System, null, () => pinned).Sweep();
        Assert.Equal(1, r.FilesDeleted);
        Assert.True(File.Exists(Path.Combine(day, "pending.gif")));
        Assert.False(File.Exists(Path.Combine(day, "done.gif")));
    }
}

/// <summary>Uploads to a real S3 server (s3rver on 127.0.0.1): keys and bytes, outages, restarts, secrets.</summary>
public sealed class S3UploadTests : IDisposable
{
    private readonly string _media = Directory.CreateTempSubdirectory("lookback-ups3-").FullName;
    private readonly ListLoggerProvider _log = new();
    private readonly ILoggerFactory _loggers;
    private readonly EventBus _bus = new();

    public S3UploadTests() => _loggers = LoggerFactory.Create(b => b.AddProvider(_log));
    public void Dispose()
    {
        _loggers.Dispose();
        try { Directory.Delete(_media, true); } catch (IOException) { }
    }

    private UploadService Service(UploadTargetOptions target, UploadServiceOptions? tuning = null) =>
        new(new LookbackOptions { Upload = [target] }, _media, _bus, TimeProvider.System, _loggers, tuning ?? new UploadServiceOptions());

    /// <summary>Writes an event's snapshot and GIF and publishes that the event is complete.</summary>
    private (string Snap, string Gif) Event(int i)
    {
        var dir = Path.Combine("front", "2026-12-02", "events");
        Directory.CreateDirectory(Path.Combine(_media, dir));
        var snap = Path.Combine(dir, $"ev{i}.jpg").Replace('\\', '/');
        var gif = Path.Combine(dir, $"ev{i}.gif").Replace('\\', '/');
        File.WriteAllBytes(Path.Combine(_media, snap), Enumerable.Range(0, 3000 + i).Select(b => (byte)(b * 7 + i)).ToArray());
        File.WriteAllBytes(Path.Combine(_media, gif), Enumerable.Range(0, 70_000 + i).Select(b => (byte)(b ^ i)).ToArray());
        _bus.Publish(new MotionEventCompleted("front", $"ev{i}", DateTimeOffset.UtcNow, DateTimeOffset.UtcNow, 1, [],
            new MediaRef("u", null, snap), new MediaRef("u", null, gif), null));
        return (snap, gif);
    }

    private static string Today => DateOnly.FromDateTime(DateTime.Now).ToString("yyyy-MM-dd");

    private string LogText => string.Join("\n", _log.Entries.Select(e => e.Text));

    [Fact]
    public async Task Event_media_land_with_the_right_keys_and_bytes()
    {
        await using var s3 = await S3rver.StartAsync();
        await using var up = Service(s3.Target());
        up.Start();
        var (snap, gif) = Event(1);
        try { await Wait.UntilAsync(() => up.Queue.Uploaded == 2, TimeSpan.FromSeconds(30), "two uploads"); }
        catch (TimeoutException) { throw new TimeoutException("log: " + LogText + string.Join("|", up.Queue.Snapshot().Select(j => j.LastError))); }
        var objects = await s3.ListAsync();
        Assert.Equal([$"front/{Today}/ev1.gif", $"front/{Today}/ev1.jpg"], objects.Keys.Order());
        Assert.Equal(File.ReadAllBytes(Path.Combine(_media, gif)), await s3.GetAsync($"front/{Today}/ev1.gif"));
        Assert.Equal(File.ReadAllBytes(Path.Combine(_media, snap)), await s3.GetAsync($"front/{Today}/ev1.jpg"));
        Assert.Equal(0, up.Queue.Pending);
        Assert.Empty(Directory.GetFiles(Path.Combine(_media, ".state", "uploads")));
    }

    /// <summary>
    /// The issue's outage: the S3 server is killed while 20 events happen (40 files) and comes back later. The outage
    /// here is not 60 s but long enough for several retries of the shortened backoff (100 ms doubling to 400 ms, so
    /// ≥ 6 failed attempts ≈ 1.5–3 s); what is shown is the same: every file arrives after the return, each stored once.
    /// </summary>
    [Fact]
    public async Task Twenty_events_during_an_outage_all_arrive_once_the_server_returns_none_twice_and_the_secret_is_never_logged()
    {
        await using var s3 = await S3rver.StartAsync(countStores: true);
        var target = s3.Target();
        await using var up = Service(target, new UploadServiceOptions
            { InitialBackoff = TimeSpan.FromMilliseconds(100), MaxBackoff = TimeSpan.FromMilliseconds(400) });
        up.Start();
        await s3.StopAsync();
        for (var i = 0; i < 20; i++) Event(i);
        await Wait.UntilAsync(() => up.Queue.Failures >= 6, TimeSpan.FromSeconds(30), "several failed retries while S3 is down");
        Assert.Equal((40, 0L), (up.Queue.Pending, up.Queue.Uploaded));
        Assert.Equal(40, Directory.GetFiles(Path.Combine(_media, ".state", "uploads"), "*.json").Length); // durable meanwhile
        await s3.StartAgainAsync();
        await Wait.UntilAsync(() => up.Queue.Pending == 0, TimeSpan.FromSeconds(60), "the backlog to drain");
        Assert.Equal(40, up.Queue.Uploaded); // each job acknowledged exactly once
        var objects = await s3.ListAsync();
        Assert.Equal(40, objects.Count);
        for (var i = 0; i < 20; i++)
        {
            Assert.Equal(70_000 + i, objects[$"front/{Today}/ev{i}.gif"]);
            Assert.Equal(1, s3.StoredCount($"front/{Today}/ev{i}.gif")); // stored once: none twice
            Assert.Equal(1, s3.StoredCount($"front/{Today}/ev{i}.jpg"));
        }
        Assert.Equal(File.ReadAllBytes(Path.Combine(_media, "front/2026-12-02/events/ev19.gif")), await s3.GetAsync($"front/{Today}/ev19.gif"));
        Assert.Contains(_log.Entries, e => e.Level == LogLevel.Warning && e.Text.Contains("retrying offsite"));
        Assert.DoesNotContain(target.SecretKey, LogText);
    }

    [Fact]
    public async Task Jobs_pending_at_a_restart_are_completed_after_it()
    {
        await using var s3 = await S3rver.StartAsync();
        var target = s3.Target();
        await s3.StopAsync();
        await using (var first = Service(target))
        {
            first.Start();
            for (var i = 0; i < 3; i++) Event(i);
            Assert.Equal(6, first.Queue.Pending);
        } // Lookback stops with 6 jobs on disk
        await s3.StartAgainAsync();
        await using var second = Service(target);
        Assert.Equal(6, second.Queue.Pending);
        second.Start();
        await Wait.UntilAsync(() => second.Queue.Pending == 0, TimeSpan.FromSeconds(30), "the jobs from before the restart");
        Assert.Equal(6, (await s3.ListAsync()).Count);
    }

    [Fact]
    public async Task A_wrong_bucket_keeps_the_job_and_logs_the_s3_error_without_the_secret()
    {
        await using var s3 = await S3rver.StartAsync();
        var target = s3.Target() with { Bucket = "nosuchbucket" };
        await using var up = Service(target);
        up.Start();
        Event(1);
        // the attempt is counted, then logged: wait for both
        await Wait.UntilAsync(() => up.Queue.Failures >= 1 && _log.Entries.Any(e => e.Text.Contains("S3 answered 404")),
            TimeSpan.FromSeconds(30), "a failed attempt, logged");
        Assert.Equal(2, up.Queue.Pending);
        Assert.DoesNotContain(target.SecretKey, LogText);
        Assert.Contains("404", up.Queue.Snapshot()[0].LastError);
    }

    [Fact]
    public async Task A_gif_asked_over_http_is_uploaded_and_the_backlog_shows_in_status_and_metrics()
    {
        await using var s3 = await S3rver.StartAsync();
        await using var server = await Sources.TestCameraServer.StartAsync();
        var target = s3.Target();
        await using var h = await Hosting.AppHarness.StartAsync([Hosting.AppHarness.Camera("front", server.SnapshotUrl, interval: 0.1)],
            upload: [target]);
        await Wait.UntilAsync(() => h.App.Cameras.Find("front") is { } c && c.Ring.Count >= 5, TimeSpan.FromSeconds(20), "frames");
        var gif = await h.Http.GetAsync("/api/cameras/front/gif?seconds=1&fps=4&width=160");
        gif.EnsureSuccessStatusCode();
        var bytes = await gif.Content.ReadAsByteArrayAsync();
        var location = gif.Content.Headers.ContentLocation ?? new Uri(gif.Headers.GetValues("Content-Location").First());
        var key = $"front/{Today}/{Path.GetFileName(location.AbsolutePath)}";
        await Wait.UntilAsync(() => s3.ListAsync().Result.ContainsKey(key), TimeSpan.FromSeconds(30), "the GIF in S3 as " + key);
        Assert.Equal(bytes, await s3.GetAsync(key));

        await Wait.UntilAsync(() => h.Http.GetStringAsync("/metrics").Result.Contains("lookback_uploads_total 1"),
            TimeSpan.FromSeconds(10), "the upload counted in /metrics");
        var metrics = await h.Http.GetStringAsync("/metrics");
        Assert.Contains("lookback_uploads_pending 0", metrics);
        using var status = JsonDocument.Parse(await h.Http.GetStringAsync("/api/status"));
        var u = status.RootElement.GetProperty("upload");
        Assert.Equal(1, u.GetProperty("targets").GetInt32());
        Assert.Equal(1, u.GetProperty("uploaded").GetInt64());
        Assert.Equal(bytes.Length, u.GetProperty("uploaded_bytes").GetInt64());
        Assert.Equal(0, u.GetProperty("pending").GetInt32());
        var whole = status.RootElement.GetRawText() + metrics + h.LogText;
        Assert.DoesNotContain(target.SecretKey, whole);
    }

    [Fact]
    public async Task A_webhook_gets_the_raw_file_with_key_headers_and_is_retried_after_an_error_answer()
    {
        var port = Mosquitto.FreePort();
        using var listener = new System.Net.HttpListener();
        listener.Prefixes.Add($"http://127.0.0.1:{port}/in/");
        listener.Start();
        var received = new System.Collections.Concurrent.ConcurrentQueue<(string? Key, string? Auth, byte[] Body)>();
        var answers = 0;
        var serve = Task.Run(async () =>
        {
            while (listener.IsListening)
            {
                System.Net.HttpListenerContext ctx;
                try { ctx = await listener.GetContextAsync(); } catch (Exception) { return; }
                using var ms = new MemoryStream();
                await ctx.Request.InputStream.CopyToAsync(ms);
                // the first answer is an error: the job must stay and be sent again
                if (Interlocked.Increment(ref answers) == 1) ctx.Response.StatusCode = 503;
                else received.Enqueue((ctx.Request.Headers["X-Lookback-Key"], ctx.Request.Headers["Authorization"], ms.ToArray()));
                ctx.Response.Close();
            }
        });
        var target = new UploadTargetOptions
        {
            Name = "hook", Type = UploadType.Webhook, Endpoint = $"http://127.0.0.1:{port}/in/", SecretKey = "hook-t0ken-secret",
            Media = UploadMedia.Events, Timeout = 10,
        };
        await using (var up = Service(target))
        {
            up.Start();
            var (_, gif) = Event(5);
            await Wait.UntilAsync(() => up.Queue.Uploaded == 2, TimeSpan.FromSeconds(30), "two webhook deliveries");
            Assert.Equal(1, up.Queue.Failures);
            var g = Assert.Single(received, r => r.Key == $"front/{Today}/ev5.gif");
            Assert.Equal(File.ReadAllBytes(Path.Combine(_media, gif)), g.Body);
            Assert.Equal("Bearer hook-t0ken-secret", g.Auth);
            Assert.DoesNotContain(target.SecretKey, LogText);
        }
        listener.Stop();
        await serve;
    }
}
