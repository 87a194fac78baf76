using System.Net.Http.Headers;
using System.Security.Cryptography;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using Lookback.Config;

namespace Lookback.Media.Upload;

/// <summary>A place files are copied to. <see cref="UploadAsync"/> returns only once the target acknowledged the
/// file; any failure throws (<see cref="UploadException"/> with a message free of secrets).</summary>
public interface IUploadTarget : IDisposable
{
    string Name { get; }
    Task UploadAsync(string file, string key, CancellationToken ct);
}

public sealed class UploadException(string message, Exception? inner = null) : Exception(message, inner);

public static class UploadTargets
{
    public static IUploadTarget Create(UploadTargetOptions o) =>
        o.Type == UploadType.S3 ? new S3Target(o) : new WebhookTarget(o);

    internal static string ContentType(string file) => Path.GetExtension(file).ToLowerInvariant() switch
    {
        ".jpg" or ".jpeg" => "image/jpeg", ".gif" => "image/gif", ".mp4" => "video/mp4",
        ".ts" => "video/mp2t", ".m3u8" => "application/vnd.apple.mpegurl", ".json" => "application/json",
        _ => "application/octet-stream",
    };

    internal static byte[] Md5Of(string file)
    {
        using var fs = File.OpenRead(file);
        return MD5.HashData(fs);
    }
}

/// <summary>
/// Any S3-compatible service, path-style at the configured endpoint. A PUT counts as acknowledged only when the
/// returned ETag equals the file's MD5 and a HEAD reports the file's size.
/// </summary>
public sealed class S3Target : IUploadTarget
{
    private readonly UploadTargetOptions _o;
    private readonly AmazonS3Client _client;

    public S3Target(UploadTargetOptions o)
    {
        _o = o;
        var config = new AmazonS3Config
        {
            ServiceURL = o.Endpoint,
            ForcePathStyle = true,
            AuthenticationRegion = o.Region,
            Timeout = TimeSpan.FromSeconds(o.Timeout),
            MaxErrorRetry = 0, // the queue retries, with backoff
            RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED,
            ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED,
        };
        _client = new AmazonS3Client(new BasicAWSCredentials(o.AccessKey, o.SecretKey), config);
    }

    public string Name => _o.Name;

    public async Task UploadAsync(string file, string key, CancellationToken ct)
    {
        var md5 = UploadTargets.Md5Of(file);
        var size = new FileInfo(file).Length;
        try
        {
            var put = await _client.PutObjectAsync(new PutObjectRequest
            {
                BucketName = _o.Bucket, Key = key, FilePath = file, ContentType = UploadTargets.ContentType(file),
                MD5Digest = Convert.ToBase64String(md5), UseChunkEncoding = false,
            }, ct).ConfigureAwait(false);
            var etag = put.ETag?.Trim('"') ?? "";
            if (!etag.Equals(Convert.ToHexStringLower(md5), StringComparison.OrdinalIgnoreCase))
                throw new UploadException($"{_o.Name}: ETag of {key} does not match the file's MD5");
            var head = await _client.GetObjectMetadataAsync(_o.Bucket, key, ct).ConfigureAwait(false);
            if (head.ContentLength != size)
                throw new UploadException($"{_o.Name}: {key} has {head.ContentLength} bytes remotely, {size} locally");
        }
        catch (AmazonServiceException ex)
        {
            throw new UploadException($"{_o.Name}: S3 answered {(int)ex.StatusCode} {ex.ErrorCode}", ex);
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException or AmazonClientException
                                       or TaskCanceledException && !ct.IsCancellationRequested)
        {
            throw new UploadException($"{_o.Name}: {Redaction.Scrub(ex.GetBaseException().Message, _o.SecretKey)}", ex);
        }
    }

    public void Dispose() => _client.Dispose();
}

/// <summary>HTTP POST of the raw file, with its camera, key and MD5 in headers; any 2xx acknowledges it.
/// A configured <c>secret_key</c> is sent as <c>Authorization: Bearer …</c>.</summary>
public sealed class WebhookTarget : IUploadTarget
{
    private readonly UploadTargetOptions _o;
    private readonly HttpClient _http;

    public WebhookTarget(UploadTargetOptions o)
    {
        _o = o;
        _http = new HttpClient { Timeout = TimeSpan.FromSeconds(o.Timeout) };
    }

    public string Name => _o.Name;

    public async Task UploadAsync(string file, string key, CancellationToken ct)
    {
        await using var fs = File.OpenRead(file);
        using var req = new HttpRequestMessage(HttpMethod.Post, _o.Endpoint) { Content = new StreamContent(fs) };
        req.Content.Headers.ContentType = new MediaTypeHeaderValue(UploadTargets.ContentType(file));
        req.Content.Headers.ContentMD5 = UploadTargets.Md5Of(file);
        req.Headers.Add("X-Lookback-Key", key);
        req.Headers.Add("X-Lookback-Target", _o.Name);
        if (_o.SecretKey.Length > 0) req.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _o.SecretKey);
        try
        {
            using var resp = await _http.SendAsync(req, ct).ConfigureAwait(false);
            if (!resp.IsSuccessStatusCode) throw new UploadException($"{_o.Name}: webhook answered {(int)resp.StatusCode}");
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException or TaskCanceledException && !ct.IsCancellationRequested)
        {
            throw new UploadException($"{_o.Name}: {Redaction.Scrub(ex.GetBaseException().Message, _o.SecretKey)}", ex);
        }
    }

    public void Dispose() => _http.Dispose();
}
