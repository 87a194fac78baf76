using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using Lookback.Config;
using Lookback.Events;
using Lookback.Tests.Hosting;
using Lookback.Tests.Mqtt;
using Lookback.Media.Upload;
using Microsoft.Extensions.Logging;

namespace Lookback.Tests.Upload;

/// <summary>Multipart uploads of large files to a real S3 server (s3rver): checked parts, the remote URL, and a
/// <c>kill -9</c> of the real <c>lookback</c> process in the middle of one — the restart sends only the missing parts.</summary>
public sealed class MultipartUploadTests(Xunit.Abstractions.ITestOutputHelper output) : IDisposable
{
    private const long Mb = 1024 * 1024;
    private readonly string _root = Directory.CreateTempSubdirectory("lookback-upmp-").FullName;
    private readonly ListLoggerProvider _log = new();
    private ILoggerFactory? _factory;
    private ILoggerFactory _loggers => _factory ??= LoggerFactory.Create(b => b.AddProvider(_log));
    private readonly EventBus _bus = new();


    public void Dispose()
    {
        _factory?.Dispose();
        try { Directory.Delete(_root, true); } catch (IOException) { }
    }

    private static byte[] WriteRandom(string path, long bytes)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var data = new byte[bytes];
        new Random((int)bytes).NextBytes(data);
        File.WriteAllBytes(path, data);
        return data;
    }

    private string LogText => string.Join("\n", _log.Entries.Select(e => e.Text));

    [Fact]
    public async Task A_large_file_goes_in_checked_parts_lands_whole_and_carries_a_presigned_remote_url()
    {
        await using var s3 = await S3rver.StartAsync(countStores: true);
        var target = s3.Target(media: UploadMedia.Moments) with { MultipartThreshold = 5 * Mb, PartSize = 5 * Mb, PresignSeconds = 600 };
        var media = Path.Combine(_root, "media");
        var rel = "front/2026-12-02/moments/big.mp4";
        var data = WriteRandom(Path.Combine(media, rel), 12 * Mb + 123); // three parts: 5 + 5 + 2 MB
        var small = "front/2026-12-02/moments/small.gif";
        WriteRandom(Path.Combine(media, small), 40_000);
        FileUploaded? uploaded = null;
        using var sub = _bus.Subscribe<FileUploaded>(e => { if (e.RelativePath == rel) uploaded = e; });
        await using var up = new UploadService(new LookbackOptions { Upload = [target] }, media, _bus, TimeProvider.System, _loggers,
            new UploadServiceOptions());
        up.Start();
        Assert.Equal(2, up.Feeder.Offer("front", UploadMedia.Moments, [rel, small]));
        await Wait.UntilAsync(() => up.Queue.Uploaded == 2, TimeSpan.FromSeconds(60), "both uploads; log: " + LogText);

        var key = $"front/{DateOnly.FromDateTime(DateTime.Now):yyyy-MM-dd}/big.mp4";
        Assert.Equal(MD5.HashData(data), MD5.HashData(await s3.GetAsync(key)));
        Assert.Equal(1, s3.StoredCount(key));
        Assert.Contains($"Multipart upload of {rel} to offsite complete: 3 parts, 0 from before, 3 sent now", LogText);
        Assert.DoesNotContain("Multipart upload of " + small, LogText); // under the threshold: one PUT

        // remote_url: presigned now, fetchable, never carrying the secret
        await Wait.UntilAsync(() => uploaded is not null, TimeSpan.FromSeconds(5), "the FileUploaded event");
        var url = up.RemoteUrl(rel);
        Assert.NotNull(url);
        Assert.StartsWith($"{s3.Endpoint}/{S3rver.Bucket}/{key}", url!.Split('?')[0]);
        Assert.Contains("X-Amz-Signature=", url);
        Assert.Contains("X-Amz-Expires=600", url);
        Assert.DoesNotContain(target.SecretKey, url + uploaded!.RemoteUrl + LogText);
        using var http = new HttpClient();
        Assert.Equal(MD5.HashData(data), MD5.HashData(await http.GetByteArrayAsync(url)));
        Assert.Null(up.RemoteUrl("front/2026-12-02/moments/never.gif"));

        // the index survives a restart (remote_url of old results)
        await up.DisposeAsync();
        await using var again = new UploadService(new LookbackOptions { Upload = [target with { PresignSeconds = 0 }] }, media, _bus,
            TimeProvider.System, _loggers, new UploadServiceOptions());
        Assert.Equal($"{s3.Endpoint}/{S3rver.Bucket}/{key}", again.RemoteUrl(rel));
    }

    [Fact]
    public void Multipart_etag_is_the_md5_of_the_part_md5s_and_the_part_count()
    {
        byte[] a = [1, 2, 3], b = [4, 5];
        var expected = Convert.ToHexStringLower(MD5.HashData([.. MD5.HashData(a), .. MD5.HashData(b)])) + "-2";
        Assert.Equal(expected, UploadTargets.MultipartETag([Convert.ToHexStringLower(MD5.HashData(a)), Convert.ToHexStringLower(MD5.HashData(b))]));
        Assert.NotEqual(expected, UploadTargets.MultipartETag([Convert.ToHexStringLower(MD5.HashData(b)), Convert.ToHexStringLower(MD5.HashData(a))]));
    }

    private static JsonObject? ReadJob(string path)
    {
        try { return JsonNode.Parse(File.ReadAllText(path)) as JsonObject; }
        catch (Exception ex) when (ex is IOException or JsonException) { return null; }
    }

    private static int PartsOf(string jobFile) => ReadJob(jobFile)?["multipart"]?["parts"]?.AsArray().Count ?? 0;

    /// <summary>
    /// The "kill -9 Lookback mid-multipart-upload → completed after restart", with the real process: a job for
    /// an 80 MB recording (16 parts of 5 MB) waits in the queue folder as a previous run leaves it; lookback starts
    /// (S3 down until it answers, so it cannot finish before the test watches), and is SIGKILLed once the job file has
    /// checkpointed at least two parts. The restarted lookback resumes the same upload id, sends only the parts still
    /// missing, completes it (ETag and size checked) and removes the job; the object is stored once, byte-identical.
    /// </summary>
    [Fact]
    public async Task Kill_9_in_the_middle_of_a_multipart_upload_is_completed_after_the_restart_sending_only_the_missing_parts()
    {
        await using var s3 = await S3rver.StartAsync(countStores: true);
        var storage = Path.Combine(_root, "node");
        var media = Path.Combine(storage, "media");
        const string rel = "front/2026-12-01/rec/big.ts";
        const string key = "front/2026-12-01/big.ts";
        var data = WriteRandom(Path.Combine(media, rel), 80 * Mb);
        var queueDir = Path.Combine(media, ".state", "uploads");
        Directory.CreateDirectory(queueDir);
        var created = DateTimeOffset.UtcNow;
        var jobFile = Path.Combine(queueDir, $"{created.UtcTicks:D19}-kill9job.json");
        File.WriteAllText(jobFile, JsonSerializer.Serialize(new UploadJob
        {
            Id = "kill9job", Target = "offsite", Camera = "front", RelativePath = rel, Key = key, Bytes = data.Length,
            Created = created, Media = "recordings",
        }));
        var yaml = $"""
            cameras:
              front: {"{"} url: "http://127.0.0.1:9/snap.jpg" {"}"}
            upload:
              offsite:
                type: s3
                endpoint: {s3.Endpoint}
                bucket: {S3rver.Bucket}
                access_key: S3RVER
                secret_key: kill9-s3cr3t
                media: [recordings]
                multipart_threshold: 5MB
                part_size: 5MB
                timeout: 20
            """;
        await s3.StopAsync();
        int partsBefore;
        string? uploadId;
        await using (var first = await LookbackProcess.StartAsync(yaml, storage))
        {
            await s3.StartAgainAsync();
            await Wait.UntilAsync(() => PartsOf(jobFile) >= 2 || first.Exited, TimeSpan.FromSeconds(60), "two parts checkpointed\n" + first.Output);
            // the upload under way shows in /api/status and /metrics (bytes acknowledged so far)
            var current = (await first.GetJsonAsync("/api/status")).GetProperty("upload").GetProperty("current");
            var metrics = await first.Http.GetStringAsync("/metrics");
            first.Kill9();
            Assert.Equal((rel, "offsite", 80 * Mb), (current.GetProperty("file").GetString(), current.GetProperty("target").GetString(),
                current.GetProperty("bytes").GetInt64()));
            Assert.InRange(current.GetProperty("sent_bytes").GetInt64(), 10 * Mb, 80 * Mb - 1);
            Assert.Contains($"lookback_upload_current_bytes {80 * Mb}", metrics);
            Assert.True(File.Exists(jobFile), "the job must outlive the crash\n" + first.Output);
            partsBefore = PartsOf(jobFile);
            uploadId = ReadJob(jobFile)?["multipart"]?["upload_id"]?.GetValue<string>();
            Assert.InRange(partsBefore, 2, 15); // killed in the middle: some parts acknowledged, not all
            Assert.NotNull(uploadId);
            Assert.Equal(0, s3.StoredCount(key));
        }
        await using var second = await LookbackProcess.StartAsync(yaml, storage);
        await Wait.UntilAsync(() => !File.Exists(jobFile) && second.Output.Contains("Multipart upload of"), TimeSpan.FromSeconds(90),
            "the job completed after the restart\n" + second.Output);
        Assert.Contains($"Resuming the multipart upload of {rel} to offsite: {partsBefore} part(s) acknowledged before", second.Output);
        Assert.Contains($"Multipart upload of {rel} to offsite complete: 16 parts, {partsBefore} from before, {16 - partsBefore} sent now", second.Output);
        output.WriteLine($"killed after {partsBefore} of 16 parts; the restart sent {16 - partsBefore}");
        Assert.Equal(MD5.HashData(data), MD5.HashData(await s3.GetAsync(key)));
        Assert.Equal(1, s3.StoredCount(key));
        var status = (await second.GetJsonAsync("/api/status")).GetProperty("upload");
        Assert.Equal((1L, 0), (status.GetProperty("uploaded").GetInt64(), status.GetProperty("pending").GetInt32()));
        Assert.DoesNotContain("kill9-s3cr3t", second.Output);
    }
}
