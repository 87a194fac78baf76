using System.Globalization;

namespace Lookback.Media.Timelapse;

/// <summary>One day of a camera's timelapse.</summary>
public sealed record TimelapseDay(DateOnly Date, int Frames, bool Mp4Exists, long Mp4Bytes, string Mp4RelativePath);

/// <summary>
/// Where timelapse files live: under the media root, so retention (oldest first, by age and size) treats them like
/// every other media file — <c>&lt;root&gt;/&lt;cam&gt;/&lt;yyyy-MM-dd&gt;/timelapse/samples.bin</c> and
/// <c>&lt;root&gt;/&lt;cam&gt;/&lt;yyyy-MM-dd&gt;/timelapse.mp4</c>. Days are local days (the add-on's TZ), like the media folders.
/// </summary>
public sealed class TimelapseStore(string root, TimeZoneInfo? zone = null)
{
    public const string Mp4Name = "timelapse.mp4";
    public const string SamplesFolder = "timelapse";

    public string Root { get; } = Path.GetFullPath(root);
    public TimeZoneInfo Zone { get; } = zone ?? TimeZoneInfo.Local;

    public DateOnly DayOf(DateTimeOffset t) => DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(t, Zone).DateTime);

    public static string DayText(DateOnly d) => d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    public static bool TryParseDay(string? s, out DateOnly day) =>
        DateOnly.TryParseExact(s, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out day);

    public string DayFolder(string camera, DateOnly day) => Path.Combine(Root, camera, DayText(day));
    public string SamplesPath(string camera, DateOnly day) => Path.Combine(DayFolder(camera, day), SamplesFolder, TimelapseSamples.FileName);
    public string Mp4Path(string camera, DateOnly day) => Path.Combine(DayFolder(camera, day), Mp4Name);
    public static string Mp4RelativePath(string camera, DateOnly day) => $"{camera}/{DayText(day)}/{Mp4Name}";

    /// <summary>True when the MP4 exists and is at least as new as the last sample.</summary>
    public bool Mp4Current(string camera, DateOnly day)
    {
        var mp4 = new FileInfo(Mp4Path(camera, day));
        if (!mp4.Exists || mp4.Length == 0) return false;
        var samples = new FileInfo(SamplesPath(camera, day));
        return !samples.Exists || samples.LastWriteTimeUtc <= mp4.LastWriteTimeUtc;
    }

    /// <summary>The days with samples or an MP4, newest first.</summary>
    public IReadOnlyList<TimelapseDay> Days(string camera)
    {
        var dir = new DirectoryInfo(Path.Combine(Root, camera));
        var list = new List<TimelapseDay>();
        if (!dir.Exists) return list;
        foreach (var d in dir.EnumerateDirectories())
        {
            if (!TryParseDay(d.Name, out var day)) continue;
            var mp4 = new FileInfo(Mp4Path(camera, day));
            var frames = TimelapseSamples.Count(SamplesPath(camera, day));
            if (frames == 0 && !mp4.Exists) continue;
            list.Add(new TimelapseDay(day, frames, mp4.Exists, mp4.Exists ? mp4.Length : 0, Mp4RelativePath(camera, day)));
        }
        return list.OrderByDescending(d => d.Date).ToList();
    }

    /// <summary>Removes empty <c>timelapse</c> folders that retention left behind (it only removes empty day folders).</summary>
    public void RemoveEmptySampleFolders(string camera)
    {
        var dir = new DirectoryInfo(Path.Combine(Root, camera));
        if (!dir.Exists) return;
        foreach (var d in dir.EnumerateDirectories())
        {
            var t = Path.Combine(d.FullName, SamplesFolder);
            try { if (Directory.Exists(t) && !Directory.EnumerateFileSystemEntries(t).Any()) Directory.Delete(t); }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException) { }
        }
    }
}
