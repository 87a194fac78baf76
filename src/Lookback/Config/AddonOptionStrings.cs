using System.Globalization;
using System.Text.Json;

namespace Lookback.Config;

/// <summary>
/// Parsers for the add-on options that Home Assistant's options schema can only carry as strings
/// (nesting is limited to depth 2 and a list may not contain a list). Every method accepts null or blank as "not set".
/// <list type="bullet">
/// <item><c>motion_mask</c>: polygons separated by ';', points separated by spaces, each point "x,y" with '.' decimals in 0..1,
///   at least 3 points per polygon: <c>0,0 0.2,0 0.2,0.2; 0.8,0.8 1,0.8 1,1</c>.</item>
/// <item><c>motion_zones</c>: "name: polygon" entries separated by ';': <c>door: 0,0 0.5,0 0.5,1; path: 0.5,0.5 1,0.5 1,1</c>.</item>
/// <item>trigger <c>match</c>: a JSON object <c>{"action": "single"}</c>, or "key=value" pairs separated by ',':
///   <c>action=single, battery=100</c>.</item>
/// <item>trigger <c>cameras</c>: slugs separated by ',' and/or spaces: <c>frontdoor, garage</c>.</item>
/// </list>
/// </summary>
public static class AddonOptionStrings
{
    public static bool TryParsePolygons(string? text, out IReadOnlyList<Polygon> polygons, out string? error)
    {
        var list = new List<Polygon>();
        polygons = list;
        error = null;
        if (string.IsNullOrWhiteSpace(text)) return true;
        var parts = text.Split(';');
        for (var i = 0; i < parts.Length; i++)
        {
            if (string.IsNullOrWhiteSpace(parts[i])) continue;
            if (!TryParsePolygon(parts[i], out var polygon, out var e))
            {
                error = $"polygon {list.Count + 1}: {e}";
                return false;
            }
            list.Add(polygon);
        }
        return true;
    }

    public static bool TryParseZones(string? text, out IReadOnlyDictionary<string, Polygon> zones, out string? error)
    {
        var dict = new Dictionary<string, Polygon>(StringComparer.Ordinal);
        zones = dict;
        error = null;
        if (string.IsNullOrWhiteSpace(text)) return true;
        foreach (var part in text.Split(';'))
        {
            if (string.IsNullOrWhiteSpace(part)) continue;
            var colon = part.IndexOf(':');
            if (colon < 0) { error = $"zone \"{part.Trim()}\" needs \"name: x,y x,y x,y\""; return false; }
            var name = part[..colon].Trim();
            if (name.Length == 0) { error = "a zone has no name before ':'"; return false; }
            if (dict.ContainsKey(name)) { error = $"zone \"{name}\" is defined twice"; return false; }
            if (!TryParsePolygon(part[(colon + 1)..], out var polygon, out var e)) { error = $"zone \"{name}\": {e}"; return false; }
            dict[name] = polygon;
        }
        return true;
    }

    /// <summary>
    /// The fields a trigger's JSON payload must have. Values come back as plain text: a JSON string without quotes,
    /// numbers, true/false/null as their JSON literal.
    /// </summary>
    public static bool TryParseMatch(string? text, out IReadOnlyDictionary<string, string> match, out string? error)
    {
        var dict = new Dictionary<string, string>(StringComparer.Ordinal);
        match = dict;
        error = null;
        if (string.IsNullOrWhiteSpace(text)) return true;
        var t = text.Trim();
        if (t.StartsWith('{'))
        {
            try
            {
                using var doc = JsonDocument.Parse(t);
                foreach (var p in doc.RootElement.EnumerateObject())
                {
                    if (p.Value.ValueKind is JsonValueKind.Object or JsonValueKind.Array)
                    {
                        error = $"match field \"{p.Name}\" must be a string, number, true, false or null";
                        return false;
                    }
                    dict[p.Name] = p.Value.ValueKind == JsonValueKind.String ? p.Value.GetString()! : p.Value.GetRawText();
                }
                return true;
            }
            catch (JsonException ex)
            {
                error = $"match is not a valid JSON object: {ex.Message}";
                return false;
            }
        }
        foreach (var pair in t.Split(','))
        {
            if (string.IsNullOrWhiteSpace(pair)) continue;
            var eq = pair.IndexOf('=');
            if (eq <= 0) { error = $"match entry \"{pair.Trim()}\" needs key=value"; return false; }
            var key = pair[..eq].Trim();
            if (key.Length == 0) { error = $"match entry \"{pair.Trim()}\" has no key"; return false; }
            dict[key] = pair[(eq + 1)..].Trim();
        }
        return true;
    }

    /// <summary>Camera slugs separated by commas and/or white space, in order, without duplicates.</summary>
    public static IReadOnlyList<string> ParseCameraList(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return [];
        return text.Split([',', ' ', '\t', ';'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Distinct(StringComparer.Ordinal).ToList();
    }

    private static bool TryParsePolygon(string text, out Polygon polygon, out string? error)
    {
        polygon = new Polygon([]);
        error = null;
        var points = new List<PointF01>();
        foreach (var token in text.Split([' ', '\t', '\n', '\r'], StringSplitOptions.RemoveEmptyEntries))
        {
            var xy = token.Split(',');
            if (xy.Length != 2
                || !double.TryParse(xy[0], NumberStyles.Float, CultureInfo.InvariantCulture, out var x)
                || !double.TryParse(xy[1], NumberStyles.Float, CultureInfo.InvariantCulture, out var y))
            {
                error = $"point \"{token}\" must be x,y (for example 0.25,0.5)";
                return false;
            }
            if (x is < 0 or > 1 || y is < 0 or > 1 || double.IsNaN(x) || double.IsNaN(y))
            {
                error = $"point \"{token}\" is outside 0..1";
                return false;
            }
            points.Add(new PointF01(x, y));
        }
        if (points.Count < 3)
        {
            error = $"needs at least 3 points, has {points.Count}";
            return false;
        }
        polygon = new Polygon(points);
        return true;
    }
}
