using System.Text.Json.Serialization;

namespace Lookback.Media.Upload;

/// <summary>
/// One file to copy to one target. Written to the queue before the upload starts; removed only after the target
/// acknowledged it. <see cref="RelativePath"/> is under the media root (retention keeps it while the job exists).
/// </summary>
public sealed record UploadJob
{
    [JsonPropertyName("id")] public required string Id { get; init; }
    [JsonPropertyName("target")] public required string Target { get; init; }
    [JsonPropertyName("camera")] public required string Camera { get; init; }
    [JsonPropertyName("file")] public required string RelativePath { get; init; }
    [JsonPropertyName("key")] public required string Key { get; init; }
    [JsonPropertyName("bytes")] public long Bytes { get; init; }
    [JsonPropertyName("created")] public DateTimeOffset Created { get; init; }
    [JsonPropertyName("attempts")] public int Attempts { get; init; }
    [JsonPropertyName("last_error"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? LastError { get; init; }
    /// <summary>Which media feed queued it (events, moments, recordings, timelapses).</summary>
    [JsonPropertyName("media"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? Media { get; init; }
    /// <summary>A multipart upload under way: written after each acknowledged part, so a restart resumes it.</summary>
    [JsonPropertyName("multipart"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public MultipartState? Multipart { get; init; }
}

/// <summary>An S3 multipart upload in progress: its id, the part size and the parts the server acknowledged so far
/// (number and ETag = the part's MD5). <see cref="FileBytes"/> and <see cref="FileTicks"/> tell a file that changed
/// since (then the upload starts over).</summary>
public sealed record MultipartState
{
    [JsonPropertyName("upload_id")] public required string UploadId { get; init; }
    [JsonPropertyName("part_bytes")] public required long PartBytes { get; init; }
    [JsonPropertyName("file_bytes")] public required long FileBytes { get; init; }
    [JsonPropertyName("file_ticks")] public long FileTicks { get; init; }
    [JsonPropertyName("parts")] public IReadOnlyList<UploadedPart> Parts { get; init; } = [];
}

public sealed record UploadedPart([property: JsonPropertyName("n")] int Number, [property: JsonPropertyName("etag")] string ETag);
