using Lookback.Config;
using Microsoft.Extensions.Logging;

namespace Lookback.Media.Storage;

/// <summary>What one retention pass removed.</summary>
/// <param name="EventsDeleted">Event and moment rows removed.</param>
public sealed record RetentionReport(int FilesDeleted, long BytesDeleted, int EventsDeleted, long BytesKept);

/// <summary>
/// Keeps storage within <c>retain_days</c> and <c>max_bytes</c>: removes the oldest media files first (renders,
/// event snapshots and GIFs, and any later recordings and timelapses under the media root), together with the event
/// rows and the moment rows (<paramref name="moments"/>) that name them. Hidden folders (outbox, state, database) are never touched. Files in
/// <paramref name="pinned"/> (relative paths; uploads still pending) are never deleted, even over max_bytes.
/// </summary>
public sealed class Retention(StorageOptions options, string root, EventStore? events, TimeProvider time, ILogger? log = null,
    Func<IReadOnlySet<string>>? pinned = null, MomentStore? moments = null, AvailabilityLog? availability = null)
{
    public RetentionReport Sweep()
    {
        var now = time.GetUtcNow();
        var keep = pinned?.Invoke() ?? new HashSet<string>();
        bool Kept(string full) => keep.Count > 0 && keep.Contains(Path.GetRelativePath(root, full).Replace('\\', '/'));
        int deleted = 0, eventsDeleted = 0;
        long freed = 0;
        var cutoff = options.RetainDays > 0 ? now.AddDays(-options.RetainDays) : (DateTimeOffset?)null;
        if (cutoff is { } c && events is not null)
        {
            var (count, named) = events.DeleteOlderThan(c);
            eventsDeleted += count;
            foreach (var r in named) if (!keep.Contains(r)) TryDelete(Path.Combine(root, r));
        }
        if (cutoff is { } mc && moments is not null)
        {
            var (count, named) = moments.DeleteOlderThan(mc);
            eventsDeleted += count;
            foreach (var r in named) if (!keep.Contains(r)) TryDelete(Path.Combine(root, r));
        }
        if (cutoff is { } ac) availability?.DeleteOlderThan(ac);
        var files = MediaFiles().OrderBy(f => f.LastWriteTimeUtc).ToList();
        var total = files.Sum(f => f.Length);

        foreach (var f in files)
        {
            var tooOld = cutoff is { } cut && f.LastWriteTimeUtc < cut.UtcDateTime;
            var tooBig = total - freed > options.MaxBytes;
            if (!tooOld && !tooBig) break; // files are oldest first: nothing after this one qualifies by age either
            if (Kept(f.FullName) || !TryDelete(f.FullName)) continue;
            deleted++;
            freed += f.Length;
            var rel = Path.GetRelativePath(root, f.FullName).Replace('\\', '/');
            if (events is not null) eventsDeleted += events.DeleteNaming(rel);
            if (moments is not null) eventsDeleted += moments.DeleteNaming(rel);
        }
        RemoveEmptyFolders(root);
        var report = new RetentionReport(deleted, freed, eventsDeleted, total - freed);
        if (deleted > 0 || eventsDeleted > 0)
            log?.LogInformation("Retention: removed {Files} file(s), {Bytes} bytes and {Events} event(s); {Kept} bytes kept",
                deleted, freed, eventsDeleted, report.BytesKept);
        return report;
    }

    private IEnumerable<FileInfo> MediaFiles()
    {
        var dir = new DirectoryInfo(root);
        if (!dir.Exists) return [];
        return dir.EnumerateDirectories().Where(d => !d.Name.StartsWith('.'))
            .SelectMany(d => d.EnumerateFiles("*", SearchOption.AllDirectories))
            .Where(f => !f.Name.Contains(".tmp-", StringComparison.Ordinal));
    }

    private static bool TryDelete(string path)
    {
        try { File.Delete(path); return true; }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException) { return false; }
    }

    /// <summary>
    /// Removes folders left empty under each camera's past days (the day folders, their rec/ and timelapse/), deepest
    /// first. Today's folders stay: a recorder may have just made one for the segment ffmpeg is about to write.
    /// </summary>
    private void RemoveEmptyFolders(string root)
    {
        if (!Directory.Exists(root)) return;
        var today = DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(time.GetUtcNow(), TimeZoneInfo.Local).DateTime);
        foreach (var cam in Directory.EnumerateDirectories(root).Where(d => !Path.GetFileName(d).StartsWith('.')))
            foreach (var day in Directory.EnumerateDirectories(cam))
            {
                if (!DateOnly.TryParseExact(Path.GetFileName(day), "yyyy-MM-dd", out var date) || date >= today) continue;
                foreach (var d in Directory.EnumerateDirectories(day, "*", SearchOption.AllDirectories)
                             .OrderByDescending(d => d.Length).Append(day))
                {
                    try { if (!Directory.EnumerateFileSystemEntries(d).Any()) Directory.Delete(d); }
                    catch (IOException) { }
                    catch (UnauthorizedAccessException) { }
                }
            }
    }
}
