using System.Text;
using System.Text.RegularExpressions;
using Lookback.Config;

namespace Lookback.Tests.Config;

/// <summary>
/// The add-on files' option blocks written from the declarations (<see cref="OptionTable"/>): config.yaml's
/// <c>options:</c> and <c>schema:</c>, translations/en.yaml's <c>configuration:</c>, DOCS.md's option tables.
/// <see cref="OptionTableFileTests"/> compare them with the files; <c>bash scripts/dev.sh options</c> writes them.
/// </summary>
internal static partial class OptionManifest
{
    // ---------------------------------------------------------------- config.yaml

    /// <summary>config.yaml's <c>options:</c>: the root fields the Supervisor needs a value for.</summary>
    public static string Options()
    {
        var b = new StringBuilder("options:\n");
        foreach (var o in OptionTable.AddonFields(""))
        {
            if (o.Child is not null) b.Append($"  {o.AddonName}: {(o.IsList ? "[]" : "{}")}\n");
            else if (o.Attribute.AddonRequired) b.Append($"  {o.AddonName}: {o.DefaultText}\n");
        }
        return b.ToString();
    }

    /// <summary>config.yaml's <c>schema:</c>.</summary>
    public static string Schema()
    {
        var b = new StringBuilder("schema:\n");
        foreach (var o in OptionTable.AddonFields(""))
        {
            if (o.Child is null) { b.Append($"  {o.AddonName}: {Element(o)}\n"); continue; }
            b.Append($"  {o.AddonName}:\n");
            var level = o.IsList ? o.AddonName + "[]" : o.AddonName!;
            var first = true;
            foreach (var f in OptionTable.AddonFields(level))
            {
                var indent = o.IsList ? (first ? "    - " : "      ") : "    ";
                b.Append($"{indent}{f.AddonName}: {Element(f)}\n");
                first = false;
            }
        }
        return b.ToString();
    }

    /// <summary>The Supervisor's schema element of one field: <c>int(1,255)?</c>, <c>list(tcp|udp)?</c>, <c>password?</c>.</summary>
    public static string Element(OptionSpec o)
    {
        var t = o.ValueType;
        var type = o.Attribute.AddonType
                   ?? (o.Values is { } values ? $"list({string.Join('|', values)})"
                       : t == typeof(bool) ? "bool"
                       : o.Attribute.Size ? "str"
                       : o.IsWhole ? "int" + Bounds(o.Range)
                       : t == typeof(double) ? "float" + Bounds(o.Range)
                       : o.Attribute.Secret ? "password"
                       : "str");
        return o.Attribute.AddonRequired ? type : type + "?";
    }

    private static string Bounds(NumberRange r) =>
        r.Min is null && r.Max is null ? "" : $"({(r.Min is { } lo ? NumberRange.F(lo) : "")},{(r.Max is { } hi ? NumberRange.F(hi) : "")})";

    // ---------------------------------------------------------------- translations/en.yaml

    /// <summary>translations/en.yaml's <c>configuration:</c>.</summary>
    public static string Translations()
    {
        var b = new StringBuilder("configuration:\n");
        foreach (var o in OptionTable.AddonFields(""))
        {
            Entry(b, "  ", o);
            if (o.Child is null) continue;
            b.Append("    fields:\n");
            foreach (var f in OptionTable.AddonFields(o.IsList ? o.AddonName + "[]" : o.AddonName!)) Entry(b, "      ", f);
        }
        return b.ToString();
    }

    private static void Entry(StringBuilder b, string indent, OptionSpec o) =>
        b.Append($"{indent}{o.AddonName}:\n{indent}  name: {Yaml(o.Attribute.Name!)}\n{indent}  description: {Yaml(o.Attribute.Description!)}\n");

    /// <summary>A YAML scalar: plain when it reads back as the same string, else double-quoted.</summary>
    public static string Yaml(string s)
    {
        var plain = s.Length > 0 && !s.Contains(": ") && !s.Contains(" #") && !s.EndsWith(':') && s.Trim() == s
                    && "-?:,[]{}#&*!|>'\"%@`".IndexOf(s[0]) < 0 && s.All(c => c >= ' ');
        return plain ? s : "\"" + s.Replace("\\", "\\\\").Replace("\"", "\\\"") + "\"";
    }

    // ---------------------------------------------------------------- DOCS.md

    /// <summary>DOCS.md's table of the add-on fields at <paramref name="level"/>.</summary>
    public static string DocsTable(string level)
    {
        var b = new StringBuilder($"| {(level.Length == 0 ? "option" : "field")} | meaning |\n|---|---|\n");
        foreach (var o in OptionTable.AddonFields(level))
        {
            b.Append($"| `{o.AddonName}` | {Docs(o)} |\n");
            if (o.Child is not null && !o.IsList)
                foreach (var f in OptionTable.AddonFields(o.AddonName!)) b.Append($"| `{o.AddonName}.{f.AddonName}` | {Docs(f)} |\n");
        }
        return b.ToString();
    }

    /// <summary>Description, then what is allowed and the default when the description does not say it.</summary>
    private static string Docs(OptionSpec o)
    {
        var text = new StringBuilder(o.Attribute.Description!.Replace("|", "\\|"));
        if (o.Child is not null && o.IsList) text.Append(" (fields below)");
        else if (o.Child is null)
        {
            if (o.Values is { } values && o.Attribute.AddonType is null) text.Append(" One of ").Append(string.Join(", ", values.Select(v => $"`{v}`"))).Append('.');
            else if (o.Range is { Min: not null } or { Max: not null } && o.Child is null && !o.Attribute.Size)
                text.Append(" Must be ").Append(o.Range.Describe()).Append('.');
            if (o.DefaultText is { Length: > 0 } d && !o.Attribute.Description.Contains("(default", StringComparison.Ordinal))
                text.Append($" Default `{d}`.");
            if (o.Attribute.AddonRequired) text.Append(" Required.");
        }
        return text.ToString();
    }

    /// <summary>The DOCS.md tables: marker name → level.</summary>
    public static readonly (string Marker, string Level)[] DocsTables = [("options", ""), ("cameras", "cameras[]"), ("triggers", "triggers[]")];

    // ---------------------------------------------------------------- the files

    /// <summary>Every generated block: file, how the block is found, the text it must be.</summary>
    public static IEnumerable<(string File, string Start, string? End, string Text)> Blocks()
    {
        yield return ("config.yaml", "options:", null, Options());
        yield return ("config.yaml", "schema:", null, Schema());
        yield return ("translations/en.yaml", "configuration:", null, Translations());
        foreach (var (marker, level) in DocsTables)
            yield return ("DOCS.md", $"<!-- generated: {marker} (bash scripts/dev.sh options) -->", "<!-- end generated -->", DocsTable(level));
    }

    /// <summary>The lines of the block: from the line <paramref name="start"/> up to (not including) the next top-level
    /// YAML key (<paramref name="end"/> null) or the line <paramref name="end"/>. Null when <paramref name="start"/> is missing.</summary>
    public static (int FirstLine, List<string> Lines)? Find(string[] file, string start, string? end)
    {
        var i = Array.IndexOf(file, start);
        if (i < 0) return null;
        var lines = new List<string>();
        var from = end is null ? i : i + 1; // YAML: the key line is part of the block; markers are not
        for (var j = from; j < file.Length; j++)
        {
            if (end is null && j > i && file[j].Length > 0 && !char.IsWhiteSpace(file[j][0])) break;
            if (end is not null && file[j] == end) break;
            lines.Add(file[j]);
        }
        if (end is null) while (lines.Count > 0 && lines[^1].Trim().Length == 0) lines.RemoveAt(lines.Count - 1);
        return (from + 1, lines);
    }

    /// <summary>The first difference as "file:line: expected … (found …)", or null when equal.</summary>
    public static string? Diff(string file, int firstLine, IReadOnlyList<string> actual, IReadOnlyList<string> expected)
    {
        for (var k = 0; k < Math.Max(actual.Count, expected.Count); k++)
        {
            var a = k < actual.Count ? actual[k] : null;
            var e = k < expected.Count ? expected[k] : null;
            if (a == e) continue;
            return e is null ? $"{file}:{firstLine + k}: remove the line '{a}'"
                : a is null ? $"{file}:{firstLine + k}: add the line '{e}'"
                : $"{file}:{firstLine + k}: change '{a}' to '{e}'";
        }
        return null;
    }

    /// <summary>Rewrites the blocks in the files (what <c>bash scripts/dev.sh options</c> runs).</summary>
    public static void Write(string root)
    {
        foreach (var (file, start, end, text) in Blocks())
        {
            var path = Path.Combine(root, file);
            var lines = File.ReadAllLines(path).ToList();
            var found = Find([.. lines], start, end) ?? throw new InvalidOperationException($"{file}: no line '{start}'");
            var index = found.FirstLine - 1;
            lines.RemoveRange(index, found.Lines.Count);
            lines.InsertRange(index, Split(text));
            File.WriteAllText(path, string.Join("\n", lines) + "\n");
        }
    }

    public static List<string> Split(string text) => [.. text.TrimEnd('\n').Split('\n')];

    /// <summary>"(default X)" in a description.</summary>
    [GeneratedRegex(@"\(default ([^,)]+)")]
    public static partial Regex DefaultInText();
}
