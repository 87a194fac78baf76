using System.Text.Json.Serialization;
using Lookback.Config;

namespace Lookback.Media.Rendering;

/// <summary>Who asked for a render. Every door (HTTP, MQTT command, trigger, motion event) makes the same request.</summary>
public enum RenderOrigin { Http, Mqtt, Trigger, Motion }

/// <summary>Everything a user can ask for, whatever door it came in by. Null fields take the camera's defaults.</summary>
public sealed record RenderRequest
{
    public required string Camera { get; init; }
    public required RenderKind Kind { get; init; }
    public string? RequestId { get; init; }
    public RenderOrigin Origin { get; init; } = RenderOrigin.Http;
    /// <summary>
    /// Where the result is announced as a message: set by the MQTT doors (commands, triggers) — the result goes to
    /// P/&lt;cam&gt;/result and to the response topic when given. Null: the asker reads the returned result itself (HTTP
    /// answers with it, a motion event carries it in motion_end). See <see cref="RenderCompleted"/>.
    /// </summary>
    public ResultReply? Reply { get; init; }
    /// <summary>Origin Trigger: the MQTT topic that fired it (recorded with the moment).</summary>
    public string? TriggerTopic { get; init; }
    /// <summary>GIF/MP4: length of the window ending now.</summary>
    public double? Seconds { get; init; }
    public double? Fps { get; init; }
    public int? Width { get; init; }
    public double? Speed { get; init; }
    /// <summary>Moment: seconds before the request and after it.</summary>
    public double? Before { get; init; }
    public double? After { get; init; }
    /// <summary>Explicit window (motion events); overrides Seconds/Before/After when both are set.</summary>
    public DateTimeOffset? From { get; init; }
    public DateTimeOffset? To { get; init; }
    /// <summary>cctv-gif-buffer: seconds each GIF frame is shown (sets the output frame rate to 1/interval).</summary>
    public double? FrameInterval { get; init; }
    /// <summary>
    /// GIF (also a moment's GIF): start with the frame at <see cref="RequestedAt"/> (a doorbell press), shown once before
    /// the seconds that led up to it, so a phone that does not animate GIFs shows the press. Doorbell triggers set it.
    /// </summary>
    public bool LeadFrame { get; init; }
    /// <summary>When the request was made (the moment's reference point). Set by the queue when null.</summary>
    public DateTimeOffset? RequestedAt { get; init; }
}

/// <summary>The outcome of a render: the JSON published on P/&lt;cam&gt;/result and answered by the API.</summary>
public sealed record RenderResult
{
    [JsonPropertyName("request_id"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? RequestId { get; init; }
    /// <summary>The node that answered (MQTT results: every result names its node_id).</summary>
    [JsonPropertyName("node"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? Node { get; init; }
    [JsonPropertyName("camera")] public required string Camera { get; init; }
    /// <summary>snapshot | gif | mp4 | moment, or motion | motion_threshold for settings commands</summary>
    [JsonPropertyName("kind")] public required ResultKind Kind { get; init; }
    /// <summary>ok | error | busy</summary>
    [JsonPropertyName("status")] public required RenderStatus Status { get; init; }
    [JsonPropertyName("error"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? Error { get; init; }
    [JsonPropertyName("url"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? Url { get; init; }
    [JsonPropertyName("media"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? Media { get; init; }
    [JsonPropertyName("bytes"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public long? Bytes { get; init; }
    [JsonPropertyName("frames"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public int? Frames { get; init; }
    [JsonPropertyName("width"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public int? Width { get; init; }
    [JsonPropertyName("height"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public int? Height { get; init; }
    [JsonPropertyName("start"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull), JsonConverter(typeof(UtcMillisecondsConverter))] public DateTimeOffset? Start { get; init; }
    [JsonPropertyName("end"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull), JsonConverter(typeof(UtcMillisecondsConverter))] public DateTimeOffset? End { get; init; }
    [JsonPropertyName("elapsed_ms"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public long? ElapsedMs { get; init; }
    /// <summary>Moment: the GIF rendered beside the MP4.</summary>
    [JsonPropertyName("gif_url"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? GifUrl { get; init; }
    /// <summary>Home Assistant media path of the GIF: the moment's GIF, or the file of a gif render.</summary>
    [JsonPropertyName("gif_media"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? GifMedia { get => _gifMedia ?? (Kind == ResultKind.Gif ? Media : null); init => _gifMedia = value; }
    private readonly string? _gifMedia;
    /// <summary>Media path of the MP4 (mp4 and moment renders): for notification <c>video</c> / tap targets.</summary>
    [JsonPropertyName("mp4_media"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Mp4Media => Kind is ResultKind.Mp4 or ResultKind.Moment ? Media : null;
    /// <summary>Media path of the JPEG of a snapshot render.</summary>
    [JsonPropertyName("snapshot_media"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? SnapshotMedia => Kind == ResultKind.Snapshot ? Media : null;
    /// <summary>GIF made smaller than asked to stay within the byte budget, e.g. "width 480→320 to fit 10485760 bytes" (null otherwise).</summary>
    [JsonPropertyName("reduced"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? Reduced { get; init; }
    /// <summary>Stream cameras: true when the window had a break (ffmpeg restart, outage) or reached past what is buffered;
    /// <see cref="Start"/>/<see cref="End"/> are then the longest unbroken run covered. Absent when there was none.</summary>
    [JsonPropertyName("gap"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public bool? Gap { get; init; }
    /// <summary>Moments remuxed from the stream's packets: how many ms before the asked start they begin (the keyframe at or before it).</summary>
    [JsonPropertyName("lead_ms"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public long? LeadMs { get; init; }
    /// <summary>Where the video came from when not the JPEG ring: <c>packets</c> (the stream's own packets in RAM) or, for
    /// GIFs, <c>preview</c> (the camera's preview frames).</summary>
    [JsonPropertyName("source"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? Source { get; init; }
    public const string SourcePackets = "packets";
    /// <summary>A GIF made from the camera's preview frames (<c>preview_seconds</c>): the same decode's small JPEGs at its GIF rate.</summary>
    public const string SourcePreview = "preview";
    /// <summary>Stream cameras: why the packets could not make this render (or its GIF), so the JPEG frames did; absent otherwise.</summary>
    [JsonPropertyName("fallback"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? Fallback { get; init; }
    /// <summary>Busy: seconds after which to retry.</summary>
    [JsonPropertyName("retry_after"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public int? RetryAfter { get; init; }
    /// <summary>Local file path (never serialized).</summary>
    [JsonIgnore] public string? Path { get; init; }
    [JsonIgnore] public string? GifPath { get; init; }
    [JsonIgnore] public bool Ok => Status == RenderStatus.Ok;
    /// <summary>Why it failed, for the HTTP status (never serialized).</summary>
    [JsonIgnore] public RenderErrorCode ErrorCode { get; init; }

    public static RenderResult Failed(RenderRequest r, string error, RenderErrorCode code = RenderErrorCode.Failed) => new()
    { RequestId = r.RequestId, Camera = r.Camera, Kind = ResultKinds.Of(r.Kind), Status = RenderStatus.Error, Error = error, ErrorCode = code };
    public static RenderResult Busy(RenderRequest r, int retryAfter) => new()
    { RequestId = r.RequestId, Camera = r.Camera, Kind = ResultKinds.Of(r.Kind), Status = RenderStatus.Busy,
      Error = "render queue is full", RetryAfter = retryAfter, ErrorCode = RenderErrorCode.Busy };
}

public enum RenderErrorCode { None, BadParameter, UnknownCamera, NoFrames, Busy, Failed }

/// <summary>The one door to rendering. Answers busy at once when its bounded queue is full.</summary>
public interface IRenderService
{
    Task<RenderResult> SubmitAsync(RenderRequest request, CancellationToken ct);
    int Queued { get; }
}
