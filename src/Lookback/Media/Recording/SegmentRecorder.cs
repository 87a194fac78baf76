using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Lookback.Config;
using Lookback.Sources.Streaming;
using Microsoft.Extensions.Logging;

namespace Lookback.Media.Recording;

/// <summary>One recorded segment: a stream-copied MPEG-TS file and the wall-clock time span it covers.</summary>
public sealed record Segment(string Day, string File, DateTimeOffset Start, double Duration, string FullPath)
{
    public DateTimeOffset End => Start.AddSeconds(Duration);
}

/// <summary>
/// The recording of one stream camera. The camera's one ffmpeg writes stream-copied HLS segments
/// (<c>-c copy -f hls</c>, MPEG-TS, cut at keyframes near <c>segment_seconds</c>) to
/// <c>storage.path/&lt;cam&gt;/&lt;yyyy-mm-dd&gt;/rec/HHMMSS-N.ts</c> (local time, like the renders) and its live playlist
/// to <c>storage.path/.rec/&lt;cam&gt;/live.m3u8</c>. This class follows that playlist and keeps, per day, an index
/// <c>rec/segments.csv</c> (file, start in Unix ms, duration s) from which the day playlists are built, so files removed
/// by retention simply drop out. Segment start times are ffmpeg's EXT-X-PROGRAM-DATE-TIME corrected per run by the
/// smallest (file completion time − segment end) seen: ffmpeg anchors the date at muxer start, after probing the stream,
/// which would put every segment ~1 s late.
/// </summary>
public sealed partial class SegmentRecorder : IStreamRecording, IAsyncDisposable
{
    public const string LiveFolder = ".rec";
    public const string LiveName = "live.m3u8";
    public const string IndexName = "segments.csv";
    /// <summary>Segments kept in memory for moments (older ones are read from the day index).</summary>
    private static readonly TimeSpan RecentSpan = TimeSpan.FromMinutes(30);

    private readonly CameraOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger? _log;
    private readonly TimeZoneInfo _zone;
    private readonly object _gate = new();
    private readonly List<Segment> _recent = [];
    private readonly HashSet<string> _known = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _pollLock = new(1, 1);
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private CancellationTokenSource? _cts;
    private Task? _loop;
    private DateTime _lastPlaylistWrite;
    private double? _runCorrection;
    private int _run;

    public SegmentRecorder(CameraOptions options, string storageRoot, TimeProvider? time = null, ILogger? log = null, TimeZoneInfo? zone = null)
    {
        _options = options;
        _time = time ?? TimeProvider.System;
        _log = log;
        _zone = zone ?? TimeZoneInfo.Local;
        CameraDirectory = Path.Combine(Path.GetFullPath(storageRoot), options.Slug);
        // under a hidden top-level folder: retention never touches it (it removes empty folders of a camera, which the
        // playlist's folder is until ffmpeg writes it)
        LivePlaylist = Path.Combine(Path.GetFullPath(storageRoot), LiveFolder, options.Slug, LiveName);
        LoadRecentFromIndex();
    }

    public string Camera => _options.Slug;
    public string CameraDirectory { get; }
    public string LivePlaylist { get; }
    public string WorkingDirectory => CameraDirectory;
    public double SegmentSeconds => _options.SegmentSeconds;

    /// <summary>The HLS output of the camera's ffmpeg (stream copy, video only; B-frames fine).</summary>
    public IReadOnlyList<string> OutputArgs()
    {
        Directory.CreateDirectory(Path.GetDirectoryName(LivePlaylist)!);
        Directory.CreateDirectory(CameraDirectory);
        CleanTemporaryFiles();
        return
        [
            "-map", "0:v:0", "-c", "copy",
            "-bsf:v", StreamArgs.FillPtsFilter, // B-frames: see there
            "-f", "hls",
            "-hls_time", _options.SegmentSeconds.ToString("0.###", CultureInfo.InvariantCulture),
            "-hls_list_size", "10", "-hls_segment_type", "mpegts",
            "-hls_flags", "+append_list+independent_segments+program_date_time+temp_file+second_level_segment_index",
            "-strftime", "1", "-strftime_mkdir", "1",
            "-hls_segment_filename", "%Y-%m-%d/rec/%H%M%S-%%d.ts",
            LivePlaylist,
        ];
    }

    public void OnRunStarted(DateTimeOffset at)
    {
        lock (_gate) { _run++; _runCorrection = null; }
        Start();
    }

    public void OnRunEnded(DateTimeOffset at) => _ = PollAsync(CancellationToken.None);

    /// <summary>Starts following the live playlist (idempotent).</summary>
    public void Start()
    {
        lock (_gate)
        {
            if (_loop is not null || _disposed) return;
            _cts = new CancellationTokenSource();
            var ct = _cts.Token;
            _loop = Task.Run(async () =>
            {
                while (!ct.IsCancellationRequested)
                {
                    try { await PollAsync(ct).ConfigureAwait(false); }
                    catch (OperationCanceledException) when (ct.IsCancellationRequested) { return; }
                    catch (Exception ex) { _log?.LogDebug("Recording {Camera}: playlist poll failed: {Error}", Camera, ex.Message); }
                    try { await Task.Delay(TimeSpan.FromMilliseconds(250), _time, ct).ConfigureAwait(false); }
                    catch (OperationCanceledException) { return; }
                }
            });
        }
    }

    /// <summary>Segments known so far (newest last).</summary>
    public IReadOnlyList<Segment> RecentSegments { get { lock (_gate) return _recent.ToArray(); } }

    /// <summary>Segments overlapping [from, to], oldest first, that still exist on disk.</summary>
    public IReadOnlyList<Segment> SegmentsBetween(DateTimeOffset from, DateTimeOffset to)
    {
        List<Segment> list;
        lock (_gate) list = _recent.Where(s => s.End > from && s.Start < to).ToList();
        if (list.Count == 0 || list[0].Start > from)
        {
            // older than what is in memory: read the day indexes of the window
            var days = new SortedSet<string>(StringComparer.Ordinal) { DayOf(from), DayOf(to) };
            var older = days.SelectMany(ReadIndex).Where(s => s.End > from && s.Start < to);
            list = older.Concat(list).GroupBy(s => s.FullPath).Select(g => g.First()).OrderBy(s => s.Start).ToList();
        }
        return list.Where(s => File.Exists(s.FullPath)).ToList();
    }

    /// <summary>Waits until a segment ending at or after <paramref name="until"/> is complete, or the wait is over.</summary>
    public async Task<bool> WaitForRecordingAsync(DateTimeOffset until, TimeSpan maxWait, CancellationToken ct)
    {
        using var timeout = new CancellationTokenSource(maxWait, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, timeout.Token);
        while (true)
        {
            Task changed;
            lock (_gate)
            {
                if (_recent.Count > 0 && _recent[^1].End >= until) return true;
                changed = _changed.Task;
            }
            try { await changed.WaitAsync(TimeSpan.FromMilliseconds(500), _time, linked.Token).ConfigureAwait(false); }
            catch (TimeoutException) { await PollAsync(linked.Token).ConfigureAwait(false); }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested) { return false; }
        }
    }

    // ------------------------------------------------------------------ playlists

    /// <summary>The live playlist with segment URIs relative to <c>/api/cameras/{cam}/hls/</c> (<c>day/file.ts</c>); null before the first segment.</summary>
    public string? LivePlaylistText()
    {
        string text;
        try { text = File.ReadAllText(LivePlaylist); }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException) { return null; }
        var sb = new StringBuilder(text.Length);
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.TrimEnd('\r');
            if (line.Length == 0) continue;
            sb.Append(line.StartsWith('#') ? line : SegmentUri(line)).Append('\n');
        }
        return sb.ToString();
    }

    /// <summary>
    /// A VOD playlist of the day's segments that still exist, each with its EXT-X-PROGRAM-DATE-TIME, and a
    /// discontinuity wherever the recording has a gap (restarts, segments removed by retention). Null: nothing that day.
    /// </summary>
    public string? DayPlaylistText(string day)
    {
        if (!DayRegex().IsMatch(day)) return null;
        var segments = ReadIndex(day).Where(s => File.Exists(s.FullPath)).ToList();
        if (segments.Count == 0) return null;
        var sb = new StringBuilder();
        var target = (int)Math.Ceiling(segments.Max(s => s.Duration));
        sb.Append("#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-PLAYLIST-TYPE:VOD\n#EXT-X-INDEPENDENT-SEGMENTS\n");
        sb.Append(CultureInfo.InvariantCulture, $"#EXT-X-TARGETDURATION:{Math.Max(1, target)}\n#EXT-X-MEDIA-SEQUENCE:0\n");
        Segment? prev = null;
        foreach (var s in segments)
        {
            if (prev is not null && Math.Abs((s.Start - prev.End).TotalSeconds) > 1) sb.Append("#EXT-X-DISCONTINUITY\n");
            sb.Append("#EXT-X-PROGRAM-DATE-TIME:").Append(s.Start.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture)).Append('\n');
            sb.Append(CultureInfo.InvariantCulture, $"#EXTINF:{s.Duration:0.000},\n");
            sb.Append(s.Day).Append('/').Append(s.File).Append('\n');
            prev = s;
        }
        sb.Append("#EXT-X-ENDLIST\n");
        return sb.ToString();
    }

    /// <summary>Days (yyyy-MM-dd, newest first) that have recorded segments.</summary>
    public IReadOnlyList<string> Days()
    {
        if (!Directory.Exists(CameraDirectory)) return [];
        return Directory.EnumerateDirectories(CameraDirectory)
            .Select(Path.GetFileName).OfType<string>()
            .Where(d => DayRegex().IsMatch(d) && Directory.Exists(Path.Combine(CameraDirectory, d, "rec"))
                        && Directory.EnumerateFiles(Path.Combine(CameraDirectory, d, "rec"), "*.ts").Any())
            .OrderDescending(StringComparer.Ordinal).ToList();
    }

    /// <summary>The file of a segment URI (<c>day</c>, <c>file</c>) when both names are valid and it exists; else null.</summary>
    public string? SegmentPath(string day, string file)
    {
        if (!DayRegex().IsMatch(day) || !SegmentFileRegex().IsMatch(file)) return null;
        var full = Path.Combine(CameraDirectory, day, "rec", file);
        return File.Exists(full) ? full : null;
    }

    private static string SegmentUri(string playlistEntry)
    {
        // ffmpeg writes "yyyy-mm-dd/rec/HHMMSS-N.ts" (relative to the camera folder): served as "yyyy-mm-dd/HHMMSS-N.ts"
        var parts = playlistEntry.Split('/');
        return parts.Length >= 3 ? parts[^3] + "/" + parts[^1] : playlistEntry;
    }

    // ------------------------------------------------------------------ following ffmpeg's playlist

    private async Task PollAsync(CancellationToken ct)
    {
        await _pollLock.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            var info = new FileInfo(LivePlaylist);
            if (!info.Exists || info.LastWriteTimeUtc == _lastPlaylistWrite) return;
            _lastPlaylistWrite = info.LastWriteTimeUtc;
            string text;
            try { text = await File.ReadAllTextAsync(LivePlaylist, ct).ConfigureAwait(false); }
            catch (IOException) { _lastPlaylistWrite = default; return; }
            var added = new List<Segment>();
            double? duration = null;
            DateTimeOffset? pdt = null;
            foreach (var raw in text.Split('\n'))
            {
                var line = raw.Trim();
                if (line.StartsWith("#EXTINF:", StringComparison.Ordinal))
                    duration = double.TryParse(line.AsSpan(8).TrimEnd(',').ToString().Split(',')[0], NumberStyles.Float, CultureInfo.InvariantCulture, out var d) ? d : null;
                else if (line.StartsWith("#EXT-X-PROGRAM-DATE-TIME:", StringComparison.Ordinal))
                    pdt = ParseDate(line[25..]);
                else if (line.Length > 0 && !line.StartsWith('#'))
                {
                    if (duration is { } dur && pdt is { } start && !_known.Contains(line))
                    {
                        var parts = line.Split('/');
                        var full = Path.Combine(CameraDirectory, Path.Combine(parts));
                        if (parts.Length >= 3 && File.Exists(full))
                        {
                            _known.Add(line);
                            var correction = Correct(full, start, dur);
                            added.Add(new Segment(parts[^3], parts[^1], start.AddSeconds(correction), dur, full));
                        }
                    }
                    duration = null;
                    pdt = null;
                }
            }
            if (added.Count == 0) return;
            foreach (var g in added.GroupBy(s => s.Day)) AppendIndex(g.Key, g);
            TaskCompletionSource changed;
            lock (_gate)
            {
                _recent.AddRange(added);
                _recent.Sort((a, b) => a.Start.CompareTo(b.Start));
                var cutoff = _time.GetUtcNow() - RecentSpan;
                _recent.RemoveAll(s => s.End < cutoff);
                changed = _changed;
                _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }
            changed.TrySetResult();
        }
        finally { _pollLock.Release(); }
    }

    /// <summary>Seconds to add to ffmpeg's program date time of this run's segments (see the class remarks).</summary>
    private double Correct(string file, DateTimeOffset pdt, double duration)
    {
        var written = new DateTimeOffset(File.GetLastWriteTimeUtc(file), TimeSpan.Zero);
        var offset = (written - pdt.AddSeconds(duration)).TotalSeconds;
        lock (_gate)
        {
            // only plausible offsets (ffmpeg's date is late by its probing time, never by minutes)
            if (Math.Abs(offset) < 30 && (_runCorrection is null || offset < _runCorrection)) _runCorrection = offset;
            return _runCorrection ?? 0;
        }
    }

    private static DateTimeOffset? ParseDate(string s)
    {
        // ffmpeg: 2026-11-22T18:42:37.869+0000
        s = TzRegex().Replace(s.Trim(), "$1:$2");
        return DateTimeOffset.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var d) ? d : null;
    }

    // ------------------------------------------------------------------ day index

    private string IndexPath(string day) => Path.Combine(CameraDirectory, day, "rec", IndexName);

    private void AppendIndex(string day, IEnumerable<Segment> segments)
    {
        var sb = new StringBuilder();
        foreach (var s in segments)
            sb.Append(CultureInfo.InvariantCulture, $"{s.File},{s.Start.ToUnixTimeMilliseconds()},{s.Duration:0.000###}\n");
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(IndexPath(day))!);
            File.AppendAllText(IndexPath(day), sb.ToString());
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            _log?.LogWarning("Recording {Camera}: cannot write the segment index of {Day}: {Error}", Camera, day, ex.Message);
        }
    }

    /// <summary>The day's segments from its index (ordered by start; a segment listed twice counts once).</summary>
    public IReadOnlyList<Segment> ReadIndex(string day)
    {
        var result = new Dictionary<string, Segment>(StringComparer.Ordinal);
        string[] lines;
        try { lines = File.Exists(IndexPath(day)) ? File.ReadAllLines(IndexPath(day)) : []; }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException) { lines = []; }
        foreach (var l in lines)
        {
            var f = l.Split(',');
            if (f.Length != 3 || !SegmentFileRegex().IsMatch(f[0])
                || !long.TryParse(f[1], NumberStyles.Integer, CultureInfo.InvariantCulture, out var ms)
                || !double.TryParse(f[2], NumberStyles.Float, CultureInfo.InvariantCulture, out var dur)) continue;
            result[f[0]] = new Segment(day, f[0], DateTimeOffset.FromUnixTimeMilliseconds(ms), dur, Path.Combine(CameraDirectory, day, "rec", f[0]));
        }
        return result.Values.OrderBy(s => s.Start).ToList();
    }

    private void LoadRecentFromIndex()
    {
        var now = _time.GetUtcNow();
        var segs = new[] { DayOf(now.AddDays(-1)), DayOf(now) }.Distinct().SelectMany(ReadIndex)
            .Where(s => s.End >= now - RecentSpan).ToList();
        lock (_gate)
        {
            foreach (var s in segs) _known.Add($"{s.Day}/rec/{s.File}");
            _recent.AddRange(segs);
        }
    }

    private string DayOf(DateTimeOffset t) => TimeZoneInfo.ConvertTime(t, _zone).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    /// <summary>Segments a killed ffmpeg left unfinished (<c>*.ts.tmp</c>) in today's folder.</summary>
    private void CleanTemporaryFiles()
    {
        var dir = Path.Combine(CameraDirectory, DayOf(_time.GetUtcNow()), "rec");
        if (!Directory.Exists(dir)) return;
        foreach (var f in Directory.EnumerateFiles(dir, "*.ts.tmp"))
        {
            try { File.Delete(f); } catch (Exception ex) when (ex is IOException or UnauthorizedAccessException) { }
        }
    }

    private bool _disposed;

    public async ValueTask DisposeAsync()
    {
        Task? loop;
        CancellationTokenSource? cts;
        lock (_gate)
        {
            if (_disposed) return;
            _disposed = true;
            (loop, cts) = (_loop, _cts);
            cts?.Cancel();
        }
        if (loop is not null) { try { await loop.ConfigureAwait(false); } catch (OperationCanceledException) { } }
        cts?.Dispose();
    }

    [GeneratedRegex(@"^\d{4}-\d{2}-\d{2}$")]
    private static partial Regex DayRegex();
    [GeneratedRegex(@"^\d{6}-\d+\.ts$")]
    private static partial Regex SegmentFileRegex();
    [GeneratedRegex(@"([+-]\d{2})(\d{2})$")]
    private static partial Regex TzRegex();
}
