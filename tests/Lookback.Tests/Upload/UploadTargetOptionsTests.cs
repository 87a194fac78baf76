using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using System.Text.Json;
using Amazon.S3.Model;
using Lookback.Config;
using Lookback.Events;
using Lookback.Media.Storage;
using Lookback.Tests.Config;
using Lookback.Tests.Mqtt;
using Lookback.Media.Upload;
using Microsoft.Extensions.Logging;

namespace Lookback.Tests.Upload;

/// <summary>The per-target options: multipart sizes, presign, server-side encryption, storage class, webhook mode;
/// the recordings feed. Requests are checked on the wire (an HttpListener that records them) or against s3rver.</summary>
public sealed class UploadTargetOptionsTests : IDisposable
{
    private const long Mb = 1024 * 1024;
    private readonly string _media = Directory.CreateTempSubdirectory("lookback-upopt-").FullName;
    private readonly ListLoggerProvider _log = new();
    private readonly ILoggerFactory _loggers;
    private readonly EventBus _bus = new();

    public UploadTargetOptionsTests() => _loggers = LoggerFactory.Create(b => b.AddProvider(_log));

    public void Dispose()
    {
        _loggers.Dispose();
        try { Directory.Delete(_media, true); } catch (IOException) { }
    }

    [Fact]
    public void New_target_keys_bind_and_bad_values_name_the_field_and_line()
    {
        var o = ConfigTestHelpers.AssertValid(ConfigLoader.Parse("""
            cameras:
              front: { url: "http://127.0.0.1/a.jpg" }
            upload:
              offsite:
                type: s3
                endpoint: https://s3.example.com
                bucket: cams
                access_key: AKIAEXAMPLE
                secret_key: verysecret
                multipart_threshold: 100MB
                part_size: 8MB
                presign_seconds: 3600
                server_side_encryption: aws:kms
                kms_key_id: alias/cams
                storage_class: STANDARD_IA
              hook:
                type: webhook
                endpoint: http://127.0.0.1:9/in
                mode: json
            """, "lookback.yaml"));
        var t = o.Upload.Single(x => x.Name == "offsite");
        Assert.Equal((100 * Mb, 8 * Mb, 3600, "aws:kms", "alias/cams", "STANDARD_IA"),
            (t.MultipartThreshold, t.PartSize, t.PresignSeconds, t.ServerSideEncryption, t.KmsKeyId, t.StorageClass));
        Assert.Equal(WebhookMode.Json, o.Upload.Single(x => x.Name == "hook").Mode);
        var d = o.Upload.Single(x => x.Name == "hook");
        Assert.Equal((64 * Mb, 16 * Mb, 0, "none", WebhookMode.Json), (d.MultipartThreshold, d.PartSize, d.PresignSeconds, d.ServerSideEncryption, d.Mode));

        var bad = ConfigLoader.Parse("""
            cameras:
              front: { url: "http://127.0.0.1/a.jpg" }
            upload:
              offsite:
                type: s3
                endpoint: https://s3.example.com
                bucket: cams
                access_key: AKIAEXAMPLE
                secret_key: verysecret
                part_size: 1MB
                presign_seconds: 999999
                server_side_encryption: aes128
                kms_key_id: alias/cams
                storage_class: standard_ia
                mode: xml
            """, "lookback.yaml");
        ConfigTestHelpers.AssertError(bad, "upload.offsite.part_size", 10, "at least 5MB");
        ConfigTestHelpers.AssertError(bad, "upload.offsite.presign_seconds", 11, "604800");
        ConfigTestHelpers.AssertError(bad, "upload.offsite.server_side_encryption", 12, "aes256");
        ConfigTestHelpers.AssertError(bad, "upload.offsite.kms_key_id", 13, "aws:kms");
        ConfigTestHelpers.AssertError(bad, "upload.offsite.storage_class", 14, "capitals");
        ConfigTestHelpers.AssertError(bad, "upload.offsite.mode", 15, "json");
    }

    /// <summary>A stand-in S3 endpoint that records each request's method, path and headers and answers like S3
    /// (PUT: ETag = MD5 of the body; HEAD: the stored length).</summary>
    private sealed class RecordingS3 : IDisposable
    {
        private readonly HttpListener _l = new();
        private readonly Task _serve;
        private readonly ConcurrentDictionary<string, long> _sizes = new();
        public ConcurrentQueue<(string Method, string Path, WebHeaderCollection Headers)> Requests { get; } = new();
        public string Endpoint { get; }

        public RecordingS3()
        {
            var port = Mosquitto.FreePort();
            Endpoint = $"http://127.0.0.1:{port}";
            _l.Prefixes.Add(Endpoint + "/");
            _l.Start();
            _serve = Task.Run(async () =>
            {
                while (_l.IsListening)
                {
                    HttpListenerContext ctx;
                    try { ctx = await _l.GetContextAsync(); } catch (Exception) { return; }
                    var path = ctx.Request.Url!.AbsolutePath;
                    Requests.Enqueue((ctx.Request.HttpMethod, path, (WebHeaderCollection)ctx.Request.Headers));
                    using var ms = new MemoryStream();
                    await ctx.Request.InputStream.CopyToAsync(ms);
                    if (ctx.Request.HttpMethod == "PUT")
                    {
                        _sizes[path] = ms.Length;
                        ctx.Response.Headers["ETag"] = $"\"{Convert.ToHexStringLower(MD5.HashData(ms.ToArray()))}\"";
                    }
                    else if (ctx.Request.HttpMethod == "HEAD")
                    {
                        ctx.Response.ContentLength64 = _sizes.GetValueOrDefault(path);
                    }
                    ctx.Response.Close();
                }
            });
        }

        public void Dispose() { _l.Stop(); _serve.Wait(TimeSpan.FromSeconds(5)); _l.Close(); }
    }

    [Theory]
    [InlineData("aes256", "", "AES256")]
    [InlineData("aws:kms", "alias/cams", "aws:kms")]
    public async Task Server_side_encryption_goes_out_as_the_s3_headers(string sse, string kms, string header)
    {
        using var s3 = new RecordingS3();
        var file = Path.Combine(_media, "a.jpg");
        await File.WriteAllBytesAsync(file, new byte[5000]);
        using var target = new S3Target(new UploadTargetOptions
        {
            Name = "enc", Endpoint = s3.Endpoint, Bucket = "cams", AccessKey = "AK", SecretKey = "sk-secret", Timeout = 10,
            ServerSideEncryption = sse, KmsKeyId = kms, StorageClass = "STANDARD_IA",
        });
        await target.UploadAsync(file, "front/a.jpg", CancellationToken.None);
        var put = Assert.Single(s3.Requests, r => r.Method == "PUT");
        Assert.Equal("/cams/front/a.jpg", put.Path);
        Assert.Equal(header, put.Headers["x-amz-server-side-encryption"]);
        Assert.Equal(kms.Length > 0 ? kms : null, put.Headers["x-amz-server-side-encryption-aws-kms-key-id"]);
        Assert.Equal("STANDARD_IA", put.Headers["x-amz-storage-class"]);
    }

    [Fact]
    public async Task Storage_class_is_kept_by_s3_for_single_and_multipart_uploads()
    {
        await using var s3 = await S3rver.StartAsync();
        var small = Path.Combine(_media, "s.gif");
        var large = Path.Combine(_media, "l.mp4");
        await File.WriteAllBytesAsync(small, new byte[10_000]);
        var bytes = new byte[6 * Mb + 1];
        new Random(6).NextBytes(bytes);
        await File.WriteAllBytesAsync(large, bytes);
        using var target = new S3Target(s3.Target() with { StorageClass = "STANDARD_IA", MultipartThreshold = 5 * Mb, PartSize = 5 * Mb });
        await target.UploadAsync(small, "x/s.gif", CancellationToken.None);
        var receipt = await target.UploadAsync(large, "x/l.mp4", CancellationToken.None);
        Assert.Equal((0, 2), (receipt.PartsResumed, receipt.PartsSent));
        using var c = s3.Client();
        foreach (var key in new[] { "x/s.gif", "x/l.mp4" })
        {
            var head = await c.GetObjectMetadataAsync(new GetObjectMetadataRequest { BucketName = S3rver.Bucket, Key = key });
            Assert.Equal("STANDARD_IA", head.StorageClass?.Value);
        }
        Assert.Equal(bytes, await s3.GetAsync("x/l.mp4"));
    }

    [Fact]
    public async Task Webhook_json_mode_posts_a_descriptor_and_the_answers_location_becomes_the_remote_url()
    {
        var port = Mosquitto.FreePort();
        using var listener = new HttpListener();
        listener.Prefixes.Add($"http://127.0.0.1:{port}/in/");
        listener.Start();
        var bodies = new ConcurrentQueue<(string? Type, string Body)>();
        var serve = Task.Run(async () =>
        {
            while (listener.IsListening)
            {
                HttpListenerContext ctx;
                try { ctx = await listener.GetContextAsync(); } catch (Exception) { return; }
                using var r = new StreamReader(ctx.Request.InputStream);
                bodies.Enqueue((ctx.Request.ContentType, await r.ReadToEndAsync()));
                ctx.Response.StatusCode = 201;
                ctx.Response.Headers["Location"] = "https://archive.example/cams/ev7.gif";
                ctx.Response.Close();
            }
        });
        var target = new UploadTargetOptions
        {
            Name = "hook", Type = UploadType.Webhook, Endpoint = $"http://127.0.0.1:{port}/in/", Media = UploadMedia.Events,
            Mode = WebhookMode.Json, Timeout = 10,
        };
        var rel = "front/2026-12-02/events/ev7.gif";
        Directory.CreateDirectory(Path.Combine(_media, "front/2026-12-02/events"));
        var gif = Enumerable.Range(0, 4321).Select(i => (byte)i).ToArray();
        await File.WriteAllBytesAsync(Path.Combine(_media, rel), gif);
        FileUploaded? seen = null;
        using var sub = _bus.Subscribe<FileUploaded>(e => seen = e);
        await using (var up = new UploadService(new LookbackOptions { Upload = [target] }, _media, _bus, TimeProvider.System, _loggers,
                         new UploadServiceOptions { LocalUrl = r => "http://lookback.local:8099/media/" + r }))
        {
            up.Start();
            _bus.Publish(new MotionEventCompleted("front", "ev7", DateTimeOffset.UtcNow, DateTimeOffset.UtcNow, 1, [], null,
                new MediaRef("u", null, rel), null));
            await Wait.UntilAsync(() => up.Queue.Uploaded == 1 && seen is not null, TimeSpan.FromSeconds(30), "the webhook delivery");
            Assert.Equal("https://archive.example/cams/ev7.gif", up.RemoteUrl(rel));
        }
        var (type, body) = Assert.Single(bodies);
        Assert.StartsWith("application/json", type);
        using var d = JsonDocument.Parse(body);
        var j = d.RootElement;
        Assert.Equal(("hook", "front", rel, "ev7.gif", "events", 4321L, "image/gif"),
            (j.GetProperty("target").GetString(), j.GetProperty("camera").GetString(), j.GetProperty("file").GetString(),
             j.GetProperty("name").GetString(), j.GetProperty("media").GetString(), j.GetProperty("bytes").GetInt64(),
             j.GetProperty("content_type").GetString()));
        Assert.Equal(Convert.ToHexStringLower(MD5.HashData(gif)), j.GetProperty("md5").GetString());
        Assert.Equal("http://lookback.local:8099/media/" + rel, j.GetProperty("url").GetString());
        Assert.EndsWith("/ev7.gif", j.GetProperty("key").GetString());
        Assert.Equal("https://archive.example/cams/ev7.gif", seen!.RemoteUrl);
        listener.Stop();
        await serve;
    }

    [Fact]
    public void Recording_segments_finished_after_the_feed_started_are_queued_once_and_the_cursor_survives_a_restart()
    {
        var cam = new CameraOptions { Slug = "front", Url = "rtsp://127.0.0.1/x", Record = true };
        var target = new UploadTargetOptions { Name = "offsite", Endpoint = "http://127.0.0.1:9", Media = UploadMedia.Recordings };
        var queue = new UploadQueue(Path.Combine(_media, ".state", "uploads"));
        var feeder = new UploadFeeder([target], queue, _media, _bus, TimeProvider.System, () => { });
        var day = DateOnly.FromDateTime(DateTime.Now).ToString("yyyy-MM-dd");
        var rec = Path.Combine(_media, "front", day, "rec");
        Directory.CreateDirectory(rec);
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        void Segment(string name, long start)
        {
            File.WriteAllBytes(Path.Combine(rec, name), new byte[1000]);
            File.AppendAllText(Path.Combine(rec, "segments.csv"), $"{name},{start},2.000\n");
        }
        Segment("old.ts", now - 60_000); // before the feed first ran: no backfill
        var feed = new RecordingFeed([cam], feeder, _media, TimeProvider.System);
        Assert.Equal(0, feed.ScanOnce());
        Segment("a.ts", now + 1000);
        Segment("b.ts", now + 3000);
        File.AppendAllText(Path.Combine(rec, "segments.csv"), "garbage line\n../../etc/passwd,99999999999999,1\n");
        Assert.Equal(2, feed.ScanOnce());
        Assert.Equal(0, feed.ScanOnce()); // once
        Assert.Equal([$"front/{day}/rec/a.ts", $"front/{day}/rec/b.ts"], queue.Snapshot().Select(j => j.RelativePath).Order());
        Assert.All(queue.Snapshot(), j => Assert.Equal("recordings", j.Media));

        Segment("c.ts", now + 5000);
        var again = new RecordingFeed([cam], feeder, _media, TimeProvider.System); // a restart: the cursor is kept
        Assert.Equal(1, again.ScanOnce());
        Assert.Contains(queue.Snapshot(), j => j.RelativePath == $"front/{day}/rec/c.ts");
        Assert.False(new RecordingFeed([cam with { Record = false }], feeder, _media, TimeProvider.System).Active);
    }
}

/// <summary>Disk full: a tmpfs of 4 MB as the media root (needs root, like the discovery tests' namespaces).</summary>
public sealed class UploadDiskFullTests : IAsyncLifetime
{
    private readonly string _mount = Directory.CreateTempSubdirectory("lookback-upfull-").FullName;
    private readonly ListLoggerProvider _log = new();

    public async Task InitializeAsync()
    {
        using var p = System.Diagnostics.Process.Start("mount", ["-t", "tmpfs", "-o", "size=4m", "tmpfs", _mount])!;
        await p.WaitForExitAsync();
        if (p.ExitCode != 0) throw new InvalidOperationException("mount tmpfs failed (root needed)");
    }

    public async Task DisposeAsync()
    {
        using var p = System.Diagnostics.Process.Start("umount", [_mount])!;
        await p.WaitForExitAsync();
        try { Directory.Delete(_mount, true); } catch (IOException) { }
    }

    [Fact]
    public async Task A_full_disk_loses_only_new_jobs_logged_and_counted_while_queued_ones_still_go_out()
    {
        await using var s3 = await S3rver.StartAsync();
        var target = s3.Target();
        await s3.StopAsync();
        var bus = new EventBus();
        using var loggers = LoggerFactory.Create(b => b.AddProvider(_log));
        var dir = Path.Combine(_mount, "front", "2026-12-02", "events");
        Directory.CreateDirectory(dir);
        var first = new byte[1_000_000];
        new Random(1).NextBytes(first);
        await File.WriteAllBytesAsync(Path.Combine(dir, "a.gif"), first);
        await File.WriteAllBytesAsync(Path.Combine(dir, "b.gif"), new byte[1000]);
        await using var up = new UploadService(new LookbackOptions { Upload = [target] }, _mount, bus, TimeProvider.System, loggers,
            new UploadServiceOptions { InitialBackoff = TimeSpan.FromMilliseconds(100), MaxBackoff = TimeSpan.FromMilliseconds(300) });
        up.Start();
        Assert.Equal(1, up.Feeder.Offer("front", UploadMedia.Events, ["front/2026-12-02/events/a.gif"]));

        // fill the disk to the last byte
        using (var filler = new FileStream(Path.Combine(_mount, "filler"), FileMode.Create, FileAccess.Write, FileShare.None, bufferSize: 0))
        {
            var block = new byte[64 * 1024];
            try { while (true) filler.Write(block); } catch (IOException) { }
            try { while (true) filler.Write(block, 0, 1); } catch (IOException) { }
        }
        Assert.Equal(0, up.Feeder.Offer("front", UploadMedia.Events, ["front/2026-12-02/events/b.gif"]));
        Assert.Equal((1, 1L), (up.Queue.Pending, up.Queue.Dropped));
        Assert.Contains(_log.Entries, e => e.Level == LogLevel.Warning && e.Text.Contains("cannot write the job for front/2026-12-02/events/b.gif"));
        Assert.Empty(Directory.GetFiles(Path.Combine(_mount, ".state", "uploads"), "*.tmp"));

        await s3.StartAgainAsync();
        await Wait.UntilAsync(() => up.Queue.Pending == 0, TimeSpan.FromSeconds(30), "the queued job to go out on a full disk");
        Assert.Equal(1, up.Queue.Uploaded);
        Assert.Equal(first, await s3.GetAsync($"front/{DateOnly.FromDateTime(DateTime.Now):yyyy-MM-dd}/a.gif"));
        Assert.Equal([$"front/{DateOnly.FromDateTime(DateTime.Now):yyyy-MM-dd}/a.gif"], (await s3.ListAsync()).Keys);
    }
}
