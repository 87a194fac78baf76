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
}
