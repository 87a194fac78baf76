using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Unicode;
using Lookback.Config;
using Lookback.Media.Rendering;

namespace Lookback.Mqtt;

/// <summary>A parsed command: a render request, a motion switch, a threshold, or an error naming the field.</summary>
public sealed record ParsedCommand
{
    public required string Camera { get; init; }
    /// <summary>snapshot | gif | moment | motion | motion_threshold</summary>
    public required string Action { get; init; }
    public string? RequestId { get; init; }
    public RenderRequest? Render { get; init; }
    public bool? MotionEnabled { get; init; }
    public int? MotionThreshold { get; init; }
    public string? Error { get; init; }
    public bool Ok => Error == null;
}

/// <summary>Pure parsing of command payloads (README "MQTT and Home Assistant"). Never throws.</summary>
public static class CommandParser
{
    /// <summary>Larger payloads are refused before any decoding.</summary>
    public const int MaxPayloadBytes = 16 * 1024;
    public const int MaxRequestIdLength = 128;

    private static readonly Dictionary<string, string[]> Fields = new()
    {
        ["snapshot"] = ["request_id", "width"],
        ["gif"] = ["request_id", "seconds", "fps", "width", "speed", "lead_frame"],
        ["moment"] = ["request_id", "before", "after", "lead_frame"],
    };

    /// <summary>The payload fields a render command accepts (besides request_id), or empty for any other action.</summary>
    public static IReadOnlyList<string> FieldsOf(string action) =>
        Fields.TryGetValue(action, out var f) ? [.. f.Where(x => x != "request_id")] : [];

    public static ParsedCommand Parse(string camera, string action, ReadOnlySpan<byte> payload, RenderOrigin origin = RenderOrigin.Mqtt)
    {
        // Whatever the reader throws on (lone surrogates, nesting, anything not foreseen) is an answer, not a crash.
        try { return ParseCore(camera, action, payload, origin); }
        catch (Exception ex) when (ex is InvalidOperationException or JsonException or FormatException or ArgumentException or OverflowException)
        {
            return new() { Camera = camera, Action = action, Error = $"payload: cannot be read ({ex.Message})" };
        }
    }

    private static ParsedCommand ParseCore(string camera, string action, ReadOnlySpan<byte> payload, RenderOrigin origin)
    {
        ParsedCommand Fail(string error, string? rid = null) => new() { Camera = camera, Action = action, Error = error, RequestId = rid };
        if (payload.Length > MaxPayloadBytes) return Fail($"payload: too large ({payload.Length} bytes, at most {MaxPayloadBytes})");
        if (!Utf8.IsValid(payload)) return Fail("payload: not valid UTF-8");
        var text = Encoding.UTF8.GetString(payload).Trim();
        switch (action)
        {
            case "motion":
                return text.ToUpperInvariant() switch
                {
                    "ON" or "TRUE" or "1" or "\"ON\"" => new() { Camera = camera, Action = action, MotionEnabled = true },
                    "OFF" or "FALSE" or "0" or "\"OFF\"" => new() { Camera = camera, Action = action, MotionEnabled = false },
                    _ => Fail("payload: expected ON or OFF"),
                };
            case "motion_threshold":
                var range = MotionOptions.ThresholdRange;
                var thresholds = $"{NumberRange.F(range.Min!.Value)}..{NumberRange.F(range.Max!.Value)}";
                if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var th) || double.IsNaN(th))
                    return Fail($"payload: motion threshold must be a number {thresholds}");
                if (!range.Contains(th)) return Fail($"payload: motion threshold must be a whole number {thresholds}");
                return new() { Camera = camera, Action = action, MotionThreshold = (int)th };
        }
        if (!Fields.TryGetValue(action, out var allowed)) return Fail($"action: unknown command '{action}'");
        var kind = action switch { "snapshot" => RenderKind.Snapshot, "gif" => RenderKind.Gif, _ => RenderKind.Moment };
        var req = new RenderRequest { Camera = camera, Kind = kind, Origin = origin };
        if (text.Length == 0 || text.Equals("PRESS", StringComparison.OrdinalIgnoreCase))
            return new() { Camera = camera, Action = action, Render = req };
        JsonDocument doc;
        try { doc = JsonDocument.Parse(text, new JsonDocumentOptions { MaxDepth = 16 }); }
        catch (JsonException) { return Fail("payload: not JSON (expected empty, PRESS or a JSON object)"); }
        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object) return Fail("payload: expected a JSON object");
            string? rid = null;
            if (root.TryGetProperty("request_id", out var ridEl))
            {
                switch (ridEl.ValueKind)
                {
                    case JsonValueKind.String:
                        if (!TryGetText(ridEl, out rid)) return Fail("request_id: not valid text (a lone UTF-16 surrogate escape)");
                        break;
                    case JsonValueKind.Number: rid = ridEl.GetRawText(); break;
                    case JsonValueKind.Null: break;
                    default: return Fail("request_id: must be a string or a number");
                }
                if (rid != null && rid.Length > MaxRequestIdLength) return Fail($"request_id: longer than {MaxRequestIdLength} characters");
            }
            req = req with { RequestId = rid };
            string? err = null;
            // the ranges of RenderLimits, which RenderValidation applies to HTTP and trigger requests too
            double? Num(string name, NumberRange range)
            {
                if (err != null || Array.IndexOf(allowed, name) < 0 || !root.TryGetProperty(name, out var el) || el.ValueKind == JsonValueKind.Null) return null;
                if (el.ValueKind != JsonValueKind.Number || !el.TryGetDouble(out var v) || double.IsInfinity(v))
                { err = $"{name}: must be a number"; return null; }
                if (range.Whole && v != Math.Floor(v)) { err = $"{name}: must be a whole number"; return null; }
                if (!range.Contains(v)) { err = $"{name}: must be {range.Describe()}"; return null; }
                return v;
            }
            req = kind switch
            {
                RenderKind.Snapshot => req with { Width = (int?)Num("width", RenderLimits.Width) },
                RenderKind.Gif => req with
                {
                    Seconds = Num("seconds", RenderLimits.Seconds), Fps = Num("fps", RenderLimits.Fps),
                    Width = (int?)Num("width", RenderLimits.Width), Speed = Num("speed", RenderLimits.Speed),
                },
                _ => req with { Before = Num("before", RenderLimits.Before), After = Num("after", RenderLimits.After) },
            };
            if (kind != RenderKind.Snapshot && root.TryGetProperty("lead_frame", out var leadEl))
            {
                if (leadEl.ValueKind is JsonValueKind.True or JsonValueKind.False) req = req with { LeadFrame = leadEl.GetBoolean() };
                else if (leadEl.ValueKind != JsonValueKind.Null) err ??= "lead_frame: must be true or false";
            }
            if (err != null) return Fail(err, rid);
            if (kind == RenderKind.Moment && (req.Before ?? 1) + (req.After ?? 1) <= 0) return Fail("before: before + after must be more than 0", rid);
            return new() { Camera = camera, Action = action, Render = req, RequestId = rid };
        }
    }

    /// <summary>The string value, or false when its escapes decode to invalid UTF-16 (e.g. "\ud800" alone).</summary>
    private static bool TryGetText(JsonElement el, out string? text)
    {
        try { text = el.GetString(); return true; }
        catch (InvalidOperationException) { text = null; return false; }
    }
}

/// <summary>JSON options for everything Lookback publishes on MQTT.</summary>
public static class MqttJson
{
    public static readonly JsonSerializerOptions Options = Create();

    private static JsonSerializerOptions Create()
    {
        var o = new JsonSerializerOptions { DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull };
        o.Converters.Add(new UtcTimeConverter());
        return o;
    }

    public static byte[] Result(RenderResult r) => JsonSerializer.SerializeToUtf8Bytes(r, Options);

    /// <summary>Times as "2026-11-22T17:34:51.120Z".</summary>
    private sealed class UtcTimeConverter : JsonConverter<DateTimeOffset>
    {
        public override DateTimeOffset Read(ref Utf8JsonReader reader, Type t, JsonSerializerOptions o) =>
            DateTimeOffset.Parse(reader.GetString()!, CultureInfo.InvariantCulture);
        public override void Write(Utf8JsonWriter writer, DateTimeOffset v, JsonSerializerOptions o) =>
            writer.WriteStringValue(v.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture));
    }
}
