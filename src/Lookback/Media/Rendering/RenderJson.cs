using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Lookback.Media.Rendering;

/// <summary>ISO-8601 UTC with milliseconds, e.g. <c>2026-11-22T17:34:51.120Z</c>, whatever the offset of the value.</summary>
public sealed class UtcMillisecondsConverter : JsonConverter<DateTimeOffset>
{
    public override DateTimeOffset Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        DateTimeOffset.Parse(reader.GetString()!, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);

    public override void Write(Utf8JsonWriter writer, DateTimeOffset value, JsonSerializerOptions options) =>
        writer.WriteStringValue(RenderJson.Format(value));
}

/// <summary>JSON of render results as published on MQTT and answered by the API.</summary>
public static class RenderJson
{
    public static JsonSerializerOptions Options { get; } = new(JsonSerializerDefaults.General)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Converters = { new UtcMillisecondsConverter() },
    };

    public static string Format(DateTimeOffset t) =>
        t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    public static string Serialize(RenderResult result) => JsonSerializer.Serialize(result, Options);
}
