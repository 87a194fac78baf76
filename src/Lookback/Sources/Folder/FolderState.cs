using System.Text.Json;
using System.Text.Json.Serialization;

namespace Lookback.Sources.Folder;

/// <summary>
/// What a folder camera has already ingested, kept across restarts in
/// <c>&lt;storage&gt;/.state/folder-&lt;cam&gt;.json</c> (written atomically): the newest ingested mtime (the watermark)
/// and the relative paths of the files ingested within <see cref="Window"/> before it. A file is new when its mtime is
/// after watermark − window and its path is not in that list, so files that complete slightly out of mtime order, and
/// several files with the same (coarse, FAT/SMB) mtime, are neither lost nor ingested twice.
/// </summary>
public sealed class FolderState
{
    /// <summary>How far before the watermark a file still counts as possibly new.</summary>
    public static readonly TimeSpan Window = TimeSpan.FromMinutes(2);
    /// <summary>Paths remembered at most (a burst bigger than this within the window is trimmed oldest first).</summary>
    public const int MaxRecent = 5000;

    private readonly Dictionary<string, long> _recent = new(StringComparer.Ordinal); // path → mtime ms

    /// <summary>Newest ingested mtime, Unix ms; null before the first start.</summary>
    public long? Watermark { get; private set; }
    public bool Dirty { get; private set; }
    public int RecentCount => _recent.Count;

    /// <summary>True when a file with this path and mtime has not been ingested yet (a file rewritten under the same
    /// name, like a camera's <c>latest.jpg</c>, is new again when its mtime moved on).</summary>
    public bool IsNew(string relativePath, long mtimeMs) =>
        Watermark is not { } w || mtimeMs > w - (long)Window.TotalMilliseconds
            && (!_recent.TryGetValue(relativePath, out var seen) || mtimeMs > seen);

    /// <summary>True when the file is within the window but already ingested, or before the window (old).</summary>
    public bool IsOld(long mtimeMs) => Watermark is { } w && mtimeMs <= w - (long)Window.TotalMilliseconds;

    public void Mark(string relativePath, long mtimeMs)
    {
        _recent[relativePath] = mtimeMs;
        if (Watermark is not { } w || mtimeMs > w) Watermark = mtimeMs;
        Dirty = true;
        Prune();
    }

    /// <summary>First start: everything already there counts as ingested (no events for a share's history).</summary>
    public void Baseline(IEnumerable<(string Path, long MtimeMs)> existing, long nowMs)
    {
        Watermark ??= nowMs;
        foreach (var (p, m) in existing) { _recent[p] = m; if (m > Watermark) Watermark = m; }
        Dirty = true;
        Prune();
    }

    private void Prune()
    {
        if (Watermark is not { } w) return;
        var cut = w - (long)Window.TotalMilliseconds;
        List<string>? drop = null;
        foreach (var (p, m) in _recent) if (m <= cut) (drop ??= []).Add(p);
        if (drop is not null) foreach (var p in drop) _recent.Remove(p);
        if (_recent.Count > MaxRecent)
            foreach (var p in _recent.OrderBy(e => e.Value).Take(_recent.Count - MaxRecent).Select(e => e.Key).ToList())
                _recent.Remove(p);
    }

    private sealed record Dto(
        [property: JsonPropertyName("watermark_ms")] long? Watermark,
        [property: JsonPropertyName("recent")] Dictionary<string, long>? Recent);

    public static FolderState Load(string? path)
    {
        var s = new FolderState();
        if (path is null || !File.Exists(path)) return s;
        try
        {
            var dto = JsonSerializer.Deserialize<Dto>(File.ReadAllText(path));
            s.Watermark = dto?.Watermark;
            if (dto?.Recent is { } r) foreach (var (k, v) in r) s._recent[k] = v;
        }
        catch (Exception ex) when (ex is JsonException or IOException or UnauthorizedAccessException) { }
        return s;
    }

    /// <summary>Writes the state atomically when it changed; false when it could not be written.</summary>
    public bool Save(string? path)
    {
        if (path is null || !Dirty) return true;
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            var tmp = path + ".tmp";
            File.WriteAllText(tmp, JsonSerializer.Serialize(new Dto(Watermark, _recent)));
            File.Move(tmp, path, overwrite: true);
            Dirty = false;
            return true;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException) { return false; }
    }
}
