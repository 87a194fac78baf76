using System.Text.RegularExpressions;

namespace Lookback.Config;

/// <summary>The remote object key of a file: the target's <c>path</c> template with {camera}, {date}, {file}.</summary>
public static partial class UploadKey
{
    [GeneratedRegex(@"\{([^{}]*)\}")]
    private static partial Regex FieldRegex();

    private static readonly string[] Fields = ["camera", "date", "file"];

    /// <summary>Why a template cannot be used (unknown field, no {file}, absolute), or null.</summary>
    public static string? Problem(string template)
    {
        if (template.Trim().Length == 0) return "must not be empty";
        foreach (Match m in FieldRegex().Matches(template))
            if (!Fields.Contains(m.Groups[1].Value)) return $"unknown field '{{{m.Groups[1].Value}}}' (use {{camera}}, {{date}}, {{file}})";
        if (!template.Contains("{file}", StringComparison.Ordinal)) return "must contain {file} (keys would collide)";
        if (template.StartsWith('/')) return "must be relative (no leading /)";
        if (template.Split('/').Any(p => p is ".." or ".")) return "must not contain . or .. segments";
        return null;
    }

    /// <summary>The key: <paramref name="date"/> as yyyy-MM-dd, <paramref name="file"/> the file name only.</summary>
    public static string Expand(string template, string camera, DateOnly date, string file) =>
        FieldRegex().Replace(template, m => m.Groups[1].Value switch
        {
            "camera" => camera,
            "date" => date.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture),
            _ => Path.GetFileName(file),
        });
}
