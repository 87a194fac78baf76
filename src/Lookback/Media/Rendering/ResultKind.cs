using Lookback.Config;
using System.Text.Json.Serialization;

namespace Lookback.Media.Rendering;

/// <summary>What a result on <c>P/&lt;cam&gt;/result</c> answers: a render (<c>snapshot</c>, <c>gif</c>, <c>mp4</c>,
/// <c>moment</c>) or a settings command (<c>motion</c>, <c>motion_threshold</c>); serialised as those strings.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<ResultKind>))]
public enum ResultKind
{
    [JsonStringEnumMemberName("snapshot")] Snapshot,
    [JsonStringEnumMemberName("gif")] Gif,
    [JsonStringEnumMemberName("mp4")] Mp4,
    [JsonStringEnumMemberName("moment")] Moment,
    [JsonStringEnumMemberName("motion")] Motion,
    [JsonStringEnumMemberName("motion_threshold")] MotionThreshold,
}

public static class ResultKinds
{
    /// <summary>The result kind of a render.</summary>
    public static ResultKind Of(RenderKind k) => k switch
    {
        RenderKind.Snapshot => ResultKind.Snapshot, RenderKind.Gif => ResultKind.Gif, RenderKind.Mp4 => ResultKind.Mp4, _ => ResultKind.Moment,
    };

    /// <summary>The wire name (<c>snapshot</c> … <c>motion_threshold</c>): JSON, metrics labels, the moment store, the command journal.</summary>
    public static string Name(this ResultKind k) => k switch
    {
        ResultKind.Snapshot => "snapshot", ResultKind.Gif => "gif", ResultKind.Mp4 => "mp4", ResultKind.Moment => "moment",
        ResultKind.Motion => "motion", _ => "motion_threshold",
    };

    /// <summary>The kind of a wire name (a command action or a journal entry); null for any other text.</summary>
    public static ResultKind? Parse(string? name) => name switch
    {
        "snapshot" => ResultKind.Snapshot, "gif" => ResultKind.Gif, "mp4" => ResultKind.Mp4, "moment" => ResultKind.Moment,
        "motion" => ResultKind.Motion, "motion_threshold" => ResultKind.MotionThreshold, _ => null,
    };
}
