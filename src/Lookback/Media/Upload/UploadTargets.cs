using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using Lookback.Config;

namespace Lookback.Media.Upload;

/// <summary>What one upload sends: the file, its remote key, and for multipart the checkpoint so far and a way to
/// record the next one durably (the queue's job file) before going on.</summary>
public sealed record UploadRequest(string File, string Key)
{
    public string Camera { get; init; } = "";
    /// <summary>The file relative to the media root.</summary>
    public string RelativePath { get; init; } = "";
    /// <summary>events | moments | recordings | timelapses.</summary>
    public string? Media { get; init; }
    public DateTimeOffset Created { get; init; }
    /// <summary>The file's URL on this Lookback (storage public URL), for a webhook's JSON descriptor.</summary>
    public string? LocalUrl { get; init; }
    /// <summary>A multipart upload left by an earlier attempt or run.</summary>
    public MultipartState? Multipart { get; init; }
    /// <summary>Writes the multipart state (null: start over); awaited before the next part is sent.</summary>
    public Func<MultipartState?, Task>? Checkpoint { get; init; }
}

/// <summary>What the target acknowledged: the key, a URL it gave back (webhook), and for a multipart upload how many
/// parts were already there from before and how many this attempt sent.</summary>
public sealed record UploadReceipt(string Key, string? Url = null, int PartsResumed = 0, int PartsSent = 0);

/// <summary>A place files are copied to. <see cref="UploadAsync"/> returns only once the target acknowledged the
/// file; any failure throws (<see cref="UploadException"/> with a message free of secrets).</summary>
public interface IUploadTarget : IDisposable
{
    string Name { get; }
    Task<UploadReceipt> UploadAsync(UploadRequest request, CancellationToken ct);
    /// <summary>The remote URL of an uploaded file (presigned when configured), or null when the target has none.</summary>
    string? RemoteUrl(UploadReceipt receipt);
}

public sealed class UploadException(string message, Exception? inner = null) : Exception(message, inner);

public static class UploadTargets
{
    public static IUploadTarget Create(UploadTargetOptions o) =>
        o.Type == UploadType.S3 ? new S3Target(o) : new WebhookTarget(o);

    /// <summary>The plain form: a file and its key.</summary>
    public static Task<UploadReceipt> UploadAsync(this IUploadTarget t, string file, string key, CancellationToken ct) =>
        t.UploadAsync(new UploadRequest(file, key), ct);

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

    /// <summary>MD5 of <paramref name="length"/> bytes of the file from <paramref name="offset"/>.</summary>
    internal static byte[] Md5Of(string file, long offset, long length)
    {
        using var fs = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1 << 16);
        fs.Position = offset;
        using var md5 = IncrementalHash.CreateHash(HashAlgorithmName.MD5);
        var buf = new byte[1 << 16];
        while (length > 0)
        {
            var n = fs.Read(buf, 0, (int)Math.Min(buf.Length, length));
            if (n == 0) throw new IOException($"{file} ended early");
            md5.AppendData(buf, 0, n);
            length -= n;
        }
        return md5.GetHashAndReset();
    }

    /// <summary>The ETag S3 gives a completed multipart upload: MD5 of the parts' binary MD5s, "-" and the count.</summary>
    public static string MultipartETag(IEnumerable<string> partMd5Hex)
    {
        var list = partMd5Hex.ToList();
        var all = list.SelectMany(Convert.FromHexString).ToArray();
        return $"{Convert.ToHexStringLower(MD5.HashData(all))}-{list.Count}";
    }
}

/// <summary>
/// Any S3-compatible service, path-style at the configured endpoint. A PUT counts as acknowledged only when the
/// returned ETag equals the file's MD5 and a HEAD reports the file's size. Files from <c>multipart_threshold</c> on go
/// as a multipart upload: each part's ETag must equal its MD5, each acknowledged part is checkpointed before the next
/// is sent (a restart sends only the missing ones), and the completed object's ETag (S3's MD5-of-MD5s "-N", or the
/// whole file's MD5 as some servers give) and size are checked. With <c>aws:kms</c> ETags are not MD5s: the request's
/// Content-MD5 (checked by the server) and the size are the check then.
/// </summary>
public sealed class S3Target : IUploadTarget
{
    private readonly UploadTargetOptions _o;
    private readonly AmazonS3Client _client;
    private readonly bool _etagIsMd5;

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
        _etagIsMd5 = o.ServerSideEncryption != "aws:kms";
    }

    public string Name => _o.Name;

    private ServerSideEncryptionMethod? Sse => _o.ServerSideEncryption switch
    {
        "aes256" => ServerSideEncryptionMethod.AES256, "aws:kms" => ServerSideEncryptionMethod.AWSKMS, _ => null,
    };

    private S3StorageClass? StorageClass => _o.StorageClass.Length > 0 ? new S3StorageClass(_o.StorageClass) : null;

    public async Task<UploadReceipt> UploadAsync(UploadRequest r, CancellationToken ct)
    {
        var size = new FileInfo(r.File).Length;
        try
        {
            if (size >= _o.MultipartThreshold || r.Multipart is not null) return await MultipartAsync(r, size, ct).ConfigureAwait(false);
            var md5 = UploadTargets.Md5Of(r.File);
            var put = new PutObjectRequest
            {
                BucketName = _o.Bucket, Key = r.Key, FilePath = r.File, ContentType = UploadTargets.ContentType(r.File),
                MD5Digest = Convert.ToBase64String(md5), UseChunkEncoding = false,
            };
            if (Sse is { } sse) put.ServerSideEncryptionMethod = sse;
            if (_o.KmsKeyId.Length > 0) put.ServerSideEncryptionKeyManagementServiceKeyId = _o.KmsKeyId;
            if (StorageClass is { } sc) put.StorageClass = sc;
            var answer = await _client.PutObjectAsync(put, ct).ConfigureAwait(false);
            if (_etagIsMd5 && !ETagOf(answer.ETag).Equals(Convert.ToHexStringLower(md5), StringComparison.OrdinalIgnoreCase))
                throw new UploadException($"{_o.Name}: ETag of {r.Key} does not match the file's MD5");
            await CheckSizeAsync(r.Key, size, ct).ConfigureAwait(false);
            return new UploadReceipt(r.Key);
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

    private async Task<UploadReceipt> MultipartAsync(UploadRequest r, long size, CancellationToken ct)
    {
        var ticks = File.GetLastWriteTimeUtc(r.File).Ticks;
        var state = r.Multipart;
        if (state is not null && (state.FileBytes != size || state.FileTicks != ticks))
        {
            await AbortQuietlyAsync(r.Key, state.UploadId).ConfigureAwait(false); // the file changed: its parts are stale
            state = null;
        }
        var resumed = state?.Parts.Count ?? 0;
        if (state is null)
        {
            var init = new InitiateMultipartUploadRequest
            {
                BucketName = _o.Bucket, Key = r.Key, ContentType = UploadTargets.ContentType(r.File),
            };
            if (Sse is { } sse) init.ServerSideEncryptionMethod = sse;
            if (_o.KmsKeyId.Length > 0) init.ServerSideEncryptionKeyManagementServiceKeyId = _o.KmsKeyId;
            if (StorageClass is { } sc) init.StorageClass = sc;
            var started = await _client.InitiateMultipartUploadAsync(init, ct).ConfigureAwait(false);
            state = new MultipartState { UploadId = started.UploadId, PartBytes = _o.PartSize, FileBytes = size, FileTicks = ticks };
            await Save(r, state).ConfigureAwait(false);
        }
        var count = (int)Math.Max(1, (size + state.PartBytes - 1) / state.PartBytes);
        var sent = 0;
        try
        {
            for (var n = 1; n <= count; n++)
            {
                if (state.Parts.Any(p => p.Number == n)) continue;
                var offset = (n - 1) * state.PartBytes;
                var length = Math.Min(state.PartBytes, size - offset);
                var md5 = UploadTargets.Md5Of(r.File, offset, length);
                var part = await _client.UploadPartAsync(new UploadPartRequest
                {
                    BucketName = _o.Bucket, Key = r.Key, UploadId = state.UploadId, PartNumber = n, FilePath = r.File,
                    FilePosition = offset, PartSize = length, MD5Digest = Convert.ToBase64String(md5), UseChunkEncoding = false,
                    IsLastPart = n == count,
                }, ct).ConfigureAwait(false);
                var etag = ETagOf(part.ETag);
                if (_etagIsMd5 && !etag.Equals(Convert.ToHexStringLower(md5), StringComparison.OrdinalIgnoreCase))
                    throw new UploadException($"{_o.Name}: ETag of part {n} of {r.Key} does not match its MD5");
                state = state with { Parts = [.. state.Parts, new UploadedPart(n, etag)] };
                await Save(r, state).ConfigureAwait(false);
                sent++;
            }
            var parts = state.Parts.OrderBy(p => p.Number).ToList();
            var done = await _client.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest
            {
                BucketName = _o.Bucket, Key = r.Key, UploadId = state.UploadId,
                PartETags = parts.Select(p => new PartETag(p.Number, p.ETag)).ToList(),
            }, ct).ConfigureAwait(false);
            if (_etagIsMd5)
            {
                var etag = ETagOf(done.ETag);
                if (!etag.Equals(UploadTargets.MultipartETag(parts.Select(p => p.ETag)), StringComparison.OrdinalIgnoreCase)
                    && !etag.Equals(Convert.ToHexStringLower(UploadTargets.Md5Of(r.File)), StringComparison.OrdinalIgnoreCase))
                    throw new UploadException($"{_o.Name}: ETag of the completed {r.Key} matches neither its parts nor the file");
            }
            await CheckSizeAsync(r.Key, size, ct).ConfigureAwait(false);
            return new UploadReceipt(r.Key, PartsResumed: resumed, PartsSent: sent);
        }
        catch (AmazonS3Exception ex) when (ex.ErrorCode is "NoSuchUpload" or "InvalidPart" or "InvalidPartOrder")
        {
            // the server forgot the upload (expired, aborted by a lifecycle rule): the next attempt starts over
            await Save(r, null).ConfigureAwait(false);
            throw new UploadException($"{_o.Name}: S3 answered {ex.ErrorCode} for the multipart upload of {r.Key}; starting over", ex);
        }
    }

    private static Task Save(UploadRequest r, MultipartState? state) => r.Checkpoint?.Invoke(state) ?? Task.CompletedTask;

    private async Task AbortQuietlyAsync(string key, string uploadId)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(_o.Timeout));
        try { await _client.AbortMultipartUploadAsync(_o.Bucket, key, uploadId, cts.Token).ConfigureAwait(false); }
        catch (Exception ex) when (ex is AmazonServiceException or AmazonClientException or HttpRequestException or IOException or OperationCanceledException) { }
    }

    private async Task CheckSizeAsync(string key, long size, CancellationToken ct)
    {
        var head = await _client.GetObjectMetadataAsync(_o.Bucket, key, ct).ConfigureAwait(false);
        if (head.ContentLength != size)
            throw new UploadException($"{_o.Name}: {key} has {head.ContentLength} bytes remotely, {size} locally");
    }

    private static string ETagOf(string? etag) => etag?.Trim('"') ?? "";

    /// <summary>A presigned GET (valid <c>presign_seconds</c>), or the plain path-style object URL.</summary>
    public string? RemoteUrl(UploadReceipt receipt)
    {
        if (_o.PresignSeconds > 0)
            return _client.GetPreSignedURL(new GetPreSignedUrlRequest
            {
                BucketName = _o.Bucket, Key = receipt.Key, Verb = HttpVerb.GET, Expires = DateTime.UtcNow.AddSeconds(_o.PresignSeconds),
                Protocol = _o.Endpoint.StartsWith("http://", StringComparison.OrdinalIgnoreCase) ? Protocol.HTTP : Protocol.HTTPS,
            });
        var key = string.Join('/', receipt.Key.Split('/').Select(Uri.EscapeDataString));
        return $"{_o.Endpoint.TrimEnd('/')}/{Uri.EscapeDataString(_o.Bucket)}/{key}";
    }

    public void Dispose() => _client.Dispose();
}

/// <summary>HTTP POST of the raw file (<c>mode: file</c>, with its camera, key and MD5 in headers) or of a JSON
/// descriptor of it (<c>mode: json</c>); any 2xx acknowledges it. A configured <c>secret_key</c> is sent as
/// <c>Authorization: Bearer …</c>. The answer's <c>Location</c> header or JSON <c>url</c>, if any, is the remote URL.</summary>
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

    /// <summary>The JSON descriptor of <c>mode: json</c>.</summary>
    public static JsonObject Descriptor(UploadRequest r, string target)
    {
        var info = new FileInfo(r.File);
        return new JsonObject
        {
            ["target"] = target, ["camera"] = r.Camera, ["key"] = r.Key, ["file"] = r.RelativePath, ["name"] = info.Name,
            ["media"] = r.Media, ["bytes"] = info.Length, ["md5"] = Convert.ToHexStringLower(UploadTargets.Md5Of(r.File)),
            ["content_type"] = UploadTargets.ContentType(r.File), ["created"] = r.Created.ToString("O"), ["url"] = r.LocalUrl,
        };
    }

    public async Task<UploadReceipt> UploadAsync(UploadRequest r, CancellationToken ct)
    {
        FileStream? fs = null;
        using var req = new HttpRequestMessage(HttpMethod.Post, _o.Endpoint);
        if (_o.Mode == WebhookMode.Json)
            req.Content = new StringContent(Descriptor(r, _o.Name).ToJsonString(), System.Text.Encoding.UTF8, "application/json");
        else
        {
            fs = File.OpenRead(r.File);
            req.Content = new StreamContent(fs);
            req.Content.Headers.ContentType = new MediaTypeHeaderValue(UploadTargets.ContentType(r.File));
            req.Content.Headers.ContentMD5 = UploadTargets.Md5Of(r.File);
        }
        req.Headers.Add("X-Lookback-Key", r.Key);
        req.Headers.Add("X-Lookback-Target", _o.Name);
        if (_o.SecretKey.Length > 0) req.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _o.SecretKey);
        try
        {
            using var resp = await _http.SendAsync(req, ct).ConfigureAwait(false);
            if (!resp.IsSuccessStatusCode) throw new UploadException($"{_o.Name}: webhook answered {(int)resp.StatusCode}");
            return new UploadReceipt(r.Key, await RemoteUrlOfAsync(resp, ct).ConfigureAwait(false));
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException or TaskCanceledException && !ct.IsCancellationRequested)
        {
            throw new UploadException($"{_o.Name}: {Redaction.Scrub(ex.GetBaseException().Message, _o.SecretKey)}", ex);
        }
        finally { if (fs is not null) await fs.DisposeAsync().ConfigureAwait(false); }
    }

    /// <summary>An absolute http(s) URL from the answer's Location header or a small JSON body's "url".</summary>
    private static async Task<string?> RemoteUrlOfAsync(HttpResponseMessage resp, CancellationToken ct)
    {
        if (resp.Headers.Location is { IsAbsoluteUri: true } loc && loc.Scheme is "http" or "https") return loc.ToString();
        if (resp.Content.Headers.ContentType?.MediaType != "application/json" || resp.Content.Headers.ContentLength is > 64 * 1024) return null;
        try
        {
            var body = await resp.Content.ReadAsStringAsync(ct).ConfigureAwait(false);
            if (body.Length > 64 * 1024) return null;
            return JsonNode.Parse(body) is JsonObject o && o["url"] is JsonValue v && v.TryGetValue<string>(out var s)
                   && Uri.TryCreate(s, UriKind.Absolute, out var u) && u.Scheme is "http" or "https" ? s : null;
        }
        catch (JsonException) { return null; }
    }

    public string? RemoteUrl(UploadReceipt receipt) => receipt.Url;

    public void Dispose() => _http.Dispose();
}
