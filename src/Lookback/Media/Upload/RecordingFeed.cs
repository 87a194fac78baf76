using System.Globalization;
using System.Text.Json;
using Lookback.Config;
using Microsoft.Extensions.Logging;

namespace Lookback.Media.Upload;

/// <summary>
/// Feeds finished recording segments to the targets that take <c>recordings</c>: every <see cref="Period"/> it reads
/// each recording camera's day index (<c>&lt;cam&gt;/&lt;day&gt;/rec/segments.csv</c>: a segment is listed once ffmpeg
/// finished it) for today and yesterday and queues the segments newer than the camera's cursor. The cursors
/// (<c>.state/upload-recordings.json</c>) survive restarts; a camera seen for the first time starts at "now" — no
/// backfill of older recordings.
/// </summary>
public sealed class RecordingFeed : IAsyncDisposable
{
    private readonly IReadOnlyList<string> _cameras;
    private readonly UploadFeeder _feeder;
    private readonly string _root;
    private readonly string _cursorFile;
    private readonly TimeProvider _time;
    private readonly ILogger? _log;
    private readonly Dictionary<string, long> _cursor = new(StringComparer.Ordinal); // camera → newest offered start (Unix ms)
    private readonly CancellationTokenSource _cts = new();
    private Task? _loop;

    public RecordingFeed(IEnumerable<CameraOptions> cameras, UploadFeeder feeder, string mediaRoot, TimeProvider time, ILogger? log = null)
    {
        _feeder = feeder; _root = mediaRoot; _time = time; _log = log;
        _cameras = cameras.Where(c => c.Record && feeder.Wants(c.Slug, UploadMedia.Recordings)).Select(c => c.Slug).ToList();
        _cursorFile = Path.Combine(mediaRoot, ".state", "upload-recordings.json");
        try
        {
            if (File.Exists(_cursorFile) && JsonSerializer.Deserialize<Dictionary<string, long>>(File.ReadAllText(_cursorFile)) is { } saved)
                foreach (var (k, v) in saved) _cursor[k] = v;
        }
        catch (Exception ex) when (ex is JsonException or IOException) { _log?.LogWarning("Recording upload cursors unreadable ({Error}); starting now", ex.Message); }
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        foreach (var c in _cameras) _cursor.TryAdd(c, now);
    }

    public TimeSpan Period { get; init; } = TimeSpan.FromSeconds(10);
    public bool Active => _cameras.Count > 0;

    public void Start()
    {
        if (Active) _loop ??= Task.Run(() => RunAsync(_cts.Token));
    }

    private async Task RunAsync(CancellationToken ct)
    {
        using var timer = new PeriodicTimer(Period, _time);
        try
        {
            do
            {
                try { ScanOnce(); }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException) { _log?.LogWarning("Recording uploads: {Error}", ex.Message); }
            } while (await timer.WaitForNextTickAsync(ct).ConfigureAwait(false));
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested) { }
    }

    /// <summary>Queues the segments finished since the last scan. Returns how many files were queued.</summary>
    public int ScanOnce()
    {
        var queued = 0;
        var today = DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(_time.GetUtcNow(), TimeZoneInfo.Local).DateTime);
        foreach (var cam in _cameras)
        {
            var cursor = _cursor[cam];
            var newest = cursor;
            foreach (var day in new[] { today.AddDays(-1), today })
            {
                var dayText = day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
                var index = Path.Combine(_root, cam, dayText, "rec", "segments.csv");
                if (!File.Exists(index)) continue;
                var fresh = new List<string>();
                foreach (var (file, start) in ParseIndex(File.ReadLines(index)))
                {
                    if (start <= cursor) continue;
                    fresh.Add($"{cam}/{dayText}/rec/{file}");
                    newest = Math.Max(newest, start);
                }
                queued += _feeder.Offer(cam, UploadMedia.Recordings, fresh);
            }
            _cursor[cam] = newest;
        }
        if (queued > 0) SaveCursors();
        return queued;
    }

    /// <summary>Lines <c>file,start_ms,duration</c>; malformed lines and unsafe names are skipped.</summary>
    public static IEnumerable<(string File, long StartMs)> ParseIndex(IEnumerable<string> lines)
    {
        foreach (var line in lines)
        {
            var p = line.Split(',');
            if (p.Length < 2 || !long.TryParse(p[1], NumberStyles.Integer, CultureInfo.InvariantCulture, out var start)) continue;
            var name = p[0].Trim();
            if (name.Length == 0 || name.Contains('/') || name.Contains('\\') || name.StartsWith('.')) continue;
            yield return (name, start);
        }
    }

    private void SaveCursors()
    {
        var tmp = _cursorFile + ".tmp";
        File.WriteAllText(tmp, JsonSerializer.Serialize(_cursor));
        File.Move(tmp, _cursorFile, overwrite: true);
    }

    private int _disposed;

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1) return;
        _cts.Cancel();
        if (_loop is not null) { try { await _loop.ConfigureAwait(false); } catch (OperationCanceledException) { } }
        _cts.Dispose();
    }
}
