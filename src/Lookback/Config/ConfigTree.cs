using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace Lookback.Config;

/// <summary>How a scalar was written; decides how it may be read (a quoted "5" is a string, not a number).</summary>
internal enum ScalarKind { Plain, Quoted, JsonString, JsonNumber, JsonTrue, JsonFalse, JsonNull }

/// <summary>A node of the parsed configuration document, with the (1-based) line it starts on.</summary>
internal abstract class CNode(int line)
{
    public int Line { get; } = line;
}

internal sealed class CScalar(int line, string text, ScalarKind kind) : CNode(line)
{
    public string Text { get; } = text;
    public ScalarKind Kind { get; } = kind;

    public bool IsNull => Kind switch
    {
        ScalarKind.JsonNull => true,
        ScalarKind.Plain => Text is "" or "~" or "null" or "Null" or "NULL",
        _ => false,
    };

    public bool? AsBool => Kind switch
    {
        ScalarKind.JsonTrue => true,
        ScalarKind.JsonFalse => false,
        ScalarKind.Plain => Text switch
        {
            "true" or "True" or "TRUE" or "yes" or "Yes" or "YES" or "on" or "On" or "ON" => true,
            "false" or "False" or "FALSE" or "no" or "No" or "NO" or "off" or "Off" or "OFF" => false,
            _ => null,
        },
        _ => null,
    };

    public double? AsNumber
    {
        get
        {
            if (Kind is not (ScalarKind.Plain or ScalarKind.JsonNumber)) return null;
            if (Text.Length == 0 || !(char.IsAsciiDigit(Text[0]) || Text[0] is '-' or '+' or '.')) return null;
            if (!double.TryParse(Text, NumberStyles.Float, CultureInfo.InvariantCulture, out var d)) return null;
            return double.IsFinite(d) ? d : null;
        }
    }
}

internal sealed class CMap(int line) : CNode(line)
{
    public List<KeyValuePair<CNode, CNode>> Entries { get; } = [];
}

internal sealed class CSeq(int line) : CNode(line)
{
    public List<CNode> Items { get; } = [];
}

/// <summary>A syntax error with the line it was found on.</summary>
internal sealed class SyntaxError(int? line, string message) : Exception(message)
{
    public int? Line { get; } = line;
}

/// <summary>Reads YAML (through YamlDotNet's event parser) into a <see cref="CNode"/> tree. Duplicate keys are kept;
/// the binder reports them. Anchors, aliases and merge keys (&lt;&lt;) are resolved.</summary>
internal static partial class YamlTree
{
    private const int MaxDepth = 64;

    /// <summary>Null for an empty document.</summary>
    public static CNode? Read(string text)
    {
        var parser = new Parser(new StringReader(text));
        var anchors = new Dictionary<string, CNode>();
        try
        {
            if (!parser.MoveNext() || !parser.MoveNext() || parser.Current is StreamEnd) return null;
            // Current: DocumentStart
            parser.MoveNext();
            var root = parser.Current is DocumentEnd ? null : ReadNode(parser, anchors, 0);
            // Current: DocumentEnd
            parser.MoveNext();
            if (parser.Current is DocumentStart ds)
                throw new SyntaxError(LineOf(ds.Start), "only one YAML document is allowed");
            return root;
        }
        catch (YamlException ex)
        {
            throw new SyntaxError(LineOf(ex.Start), "YAML syntax error: " + CleanMessage(ex.Message));
        }
    }

    private static int LineOf(Mark m) => (int)Math.Max(1, m.Line);

    [GeneratedRegex(@"^\(Line: \d+, Col: \d+, Idx: \d+\) - \(Line: \d+, Col: \d+, Idx: \d+\): ")]
    private static partial Regex LocationPrefix();

    private static string CleanMessage(string message) => LocationPrefix().Replace(message, "").Trim();

    private static CNode ReadNode(IParser parser, Dictionary<string, CNode> anchors, int depth)
    {
        if (depth > MaxDepth) throw new SyntaxError(LineOf(parser.Current!.Start), "YAML syntax error: nesting is too deep");
        var ev = parser.Current ?? throw new SyntaxError(null, "YAML syntax error: unexpected end of the document");
        var line = LineOf(ev.Start);
        switch (ev)
        {
            case Scalar s:
            {
                var explicitString = s.Tag.IsEmpty == false && (s.Tag.Value is "tag:yaml.org,2002:str" or "!!str");
                var kind = s.Style is ScalarStyle.Plain && !explicitString ? ScalarKind.Plain : ScalarKind.Quoted;
                var node = new CScalar(line, s.Value, kind);
                if (!s.Anchor.IsEmpty) anchors[s.Anchor.Value] = node;
                parser.MoveNext();
                return node;
            }
            case AnchorAlias a:
            {
                if (!anchors.TryGetValue(a.Value.Value, out var target))
                    throw new SyntaxError(line, $"YAML syntax error: unknown alias '*{a.Value.Value}'");
                parser.MoveNext();
                return target;
            }
            case SequenceStart ss:
            {
                var seq = new CSeq(line);
                if (!ss.Anchor.IsEmpty) anchors[ss.Anchor.Value] = seq;
                parser.MoveNext();
                while (parser.Current is not SequenceEnd)
                    seq.Items.Add(ReadNode(parser, anchors, depth + 1));
                parser.MoveNext();
                return seq;
            }
            case MappingStart ms:
            {
                var map = new CMap(line);
                if (!ms.Anchor.IsEmpty) anchors[ms.Anchor.Value] = map;
                parser.MoveNext();
                List<CNode>? merges = null;
                while (parser.Current is not MappingEnd)
                {
                    var key = ReadNode(parser, anchors, depth + 1);
                    var value = ReadNode(parser, anchors, depth + 1);
                    if (key is CScalar { Kind: ScalarKind.Plain, Text: "<<" })
                    {
                        (merges ??= []).Add(value);
                        continue;
                    }
                    map.Entries.Add(new(key, value));
                }
                parser.MoveNext();
                if (merges is not null) Merge(map, merges);
                return map;
            }
            default:
                throw new SyntaxError(line, "YAML syntax error: unexpected " + ev.GetType().Name);
        }
    }

    private static void Merge(CMap map, List<CNode> merges)
    {
        var present = new HashSet<string>(map.Entries.Select(e => (e.Key as CScalar)?.Text ?? "\0"));
        foreach (var m in merges)
        {
            var sources = m switch
            {
                CMap one => [one],
                CSeq seq => seq.Items.OfType<CMap>().ToList(),
                _ => throw new SyntaxError(m.Line, "YAML syntax error: '<<' needs a mapping or a list of mappings"),
            };
            foreach (var src in sources)
                foreach (var e in src.Entries)
                    if (e.Key is CScalar k && present.Add(k.Text))
                        map.Entries.Add(e);
        }
    }
}

/// <summary>Reads JSON (System.Text.Json's reader: comments and trailing commas allowed) into a <see cref="CNode"/> tree,
/// with line numbers. Duplicate keys are kept; the binder reports them.</summary>
internal static partial class JsonTree
{
    private const int MaxDepth = 64;

    public static CNode Read(string text)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        var lineStarts = new List<int> { 0 };
        for (var i = 0; i < bytes.Length; i++)
            if (bytes[i] == (byte)'\n') lineStarts.Add(i + 1);

        var reader = new Utf8JsonReader(bytes, new JsonReaderOptions
        {
            CommentHandling = JsonCommentHandling.Skip,
            AllowTrailingCommas = true,
            MaxDepth = MaxDepth,
        });
        try
        {
            if (!reader.Read()) throw new SyntaxError(1, "JSON syntax error: the document is empty");
            var root = ReadValue(ref reader, lineStarts);
            if (reader.Read())
                throw new SyntaxError(LineAt(lineStarts, (int)reader.TokenStartIndex), "JSON syntax error: unexpected content after the end of the document");
            return root;
        }
        catch (JsonException ex)
        {
            int? line = ex.LineNumber is long l ? (int)l + 1 : null;
            throw new SyntaxError(line, "JSON syntax error: " + CleanMessage(ex.Message));
        }
    }

    [GeneratedRegex(@"\s*(LineNumber|Path): .*$", RegexOptions.Singleline)]
    private static partial Regex LocationSuffix();

    private static string CleanMessage(string message) => LocationSuffix().Replace(message, "").Trim().TrimEnd('.');

    private static int LineAt(List<int> lineStarts, int offset)
    {
        var i = lineStarts.BinarySearch(offset);
        return (i >= 0 ? i : ~i - 1) + 1;
    }

    private static CNode ReadValue(ref Utf8JsonReader reader, List<int> lineStarts)
    {
        var line = LineAt(lineStarts, (int)reader.TokenStartIndex);
        switch (reader.TokenType)
        {
            case JsonTokenType.StartObject:
            {
                var map = new CMap(line);
                while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
                {
                    var key = new CScalar(LineAt(lineStarts, (int)reader.TokenStartIndex), reader.GetString()!, ScalarKind.JsonString);
                    reader.Read();
                    map.Entries.Add(new(key, ReadValue(ref reader, lineStarts)));
                }
                return map;
            }
            case JsonTokenType.StartArray:
            {
                var seq = new CSeq(line);
                while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                    seq.Items.Add(ReadValue(ref reader, lineStarts));
                return seq;
            }
            case JsonTokenType.String:
                return new CScalar(line, reader.GetString()!, ScalarKind.JsonString);
            case JsonTokenType.Number:
                return new CScalar(line, Encoding.UTF8.GetString(reader.ValueSpan), ScalarKind.JsonNumber);
            case JsonTokenType.True:
                return new CScalar(line, "true", ScalarKind.JsonTrue);
            case JsonTokenType.False:
                return new CScalar(line, "false", ScalarKind.JsonFalse);
            case JsonTokenType.Null:
                return new CScalar(line, "null", ScalarKind.JsonNull);
            default:
                throw new SyntaxError(line, "JSON syntax error: unexpected " + reader.TokenType);
        }
    }
}
