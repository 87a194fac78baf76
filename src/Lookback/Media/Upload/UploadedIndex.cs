using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Extensions.Logging;

namespace Lookback.Media.Upload;

/// <summary>One acknowledged upload: which local file went to which target under which key (and the URL a webhook
/// gave back). The remote URL is made from it when asked (so a presigned one is always fresh).</summary>
public sealed record UploadedEntry(
    [property: JsonPropertyName("file")] string File,
    [property: JsonPropertyName("target")] string Target,
    [property: JsonPropertyName("key")] string Key,
    [property: JsonPropertyName("url"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Url);

/// <summary>
/// Which local files have been uploaded where: an append-only JSON-lines file (<c>storage/.state/uploaded.jsonl</c>),
/// compacted at start (entries of files retention has deleted since are dropped). Thread-safe.
/// </summary>
public sealed class UploadedIndex
{
    private readonly string _path;
    private readonly object _gate = new();
    private readonly Dictionary<string, List<UploadedEntry>> _byFile = new(StringComparer.Ordinal);

    public UploadedIndex(string path, Func<string, bool> fileExists, ILogger? log = null)
    {
        _path = path;
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        if (!File.Exists(path)) return;
        var lines = 0;
        foreach (var line in File.ReadLines(path))
        {
            lines++;
            UploadedEntry? e;
            try { e = JsonSerializer.Deserialize<UploadedEntry>(line); }
            catch (JsonException) { continue; } // a line cut short by a crash
            if (e is null || !fileExists(e.File)) continue;
            Add(e);
        }
        var kept = _byFile.Values.Sum(l => l.Count);
        if (kept == lines) return;
        var tmp = path + ".tmp";
        File.WriteAllLines(tmp, _byFile.Values.SelectMany(l => l).Select(e => JsonSerializer.Serialize(e)));
        File.Move(tmp, path, overwrite: true);
        log?.LogDebug("Upload index: kept {Kept} of {Lines} entries", kept, lines);
    }

    public int Count { get { lock (_gate) return _byFile.Values.Sum(l => l.Count); } }

    public void Record(UploadedEntry e)
    {
        lock (_gate)
        {
            Add(e);
            File.AppendAllText(_path, JsonSerializer.Serialize(e) + "\n");
        }
    }

    /// <summary>Where the file went (in upload order); empty when nowhere yet.</summary>
    public IReadOnlyList<UploadedEntry> Of(string relativePath)
    {
        lock (_gate) return _byFile.TryGetValue(relativePath, out var l) ? l.ToList() : [];
    }

    private void Add(UploadedEntry e)
    {
        if (!_byFile.TryGetValue(e.File, out var l)) _byFile[e.File] = l = [];
        l.RemoveAll(x => x.Target == e.Target);
        l.Add(e);
    }
}
