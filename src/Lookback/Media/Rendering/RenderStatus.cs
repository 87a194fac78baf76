using System.Text.Json.Serialization;

namespace Lookback.Media.Rendering;

/// <summary>How a render ended; serialised as today's strings <c>ok</c>, <c>error</c>, <c>busy</c> (a cancelled render is
/// an error whose message says "cancelled").</summary>
[JsonConverter(typeof(JsonStringEnumConverter<RenderStatus>))]
public enum RenderStatus
{
    [JsonStringEnumMemberName("ok")] Ok,
    [JsonStringEnumMemberName("error")] Error,
    [JsonStringEnumMemberName("busy")] Busy,
}

public static class RenderStatusNames
{
    /// <summary>The wire name (<c>ok</c>, <c>error</c>, <c>busy</c>): metrics labels, logs.</summary>
    public static string Name(this RenderStatus s) => s switch
    {
        RenderStatus.Ok => "ok", RenderStatus.Busy => "busy", _ => "error",
    };
}
