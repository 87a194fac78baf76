using System.Text.Json;
using System.Text.Json.Serialization;
using Lookback.Sources.Folder;
using Lookback.Imaging;

namespace Lookback.Media.Storage;

/// <summary>One stored frame of an event: its number (0 = oldest), capture time, place in the frames file and, when the
/// JPEG carries one, its comment (folder cameras' uploads often do).</summary>
public sealed record EventFrame(
    [property: JsonPropertyName("n")] int N,
    [property: JsonPropertyName("time")] DateTimeOffset Time,
    [property: JsonPropertyName("offset")] long Offset,
    [property: JsonPropertyName("bytes")] int Bytes,
    [property: JsonPropertyName("comment")] [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Comment);

/// <summary>Bounds of one event's stored frames: at most <see cref="Fps"/> frames a second (0: store none), at most
/// <see cref="MaxFrames"/> frames and <see cref="MaxBytes"/> bytes per event.</summary>
public sealed record EventFrameLimits(double Fps = 10, int MaxFrames = 3000, long MaxBytes = 128L * 1024 * 1024)
{
    public bool Enabled => Fps > 0 && MaxFrames > 0 && MaxBytes > 0;
}

/// <summary>
/// Collects an event's frames into one file of concatenated JPEGs (<c>…-frames.mjpeg</c>) with a JSON index beside it
/// (<c>…-frames.json</c>: the <see cref="EventFrame"/> list). Frames are appended to a staging file under
/// <c>.state/frames/</c> (never seen by retention or <c>/media</c>) and moved under the camera's day folder by
/// <see cref="CompleteAsync"/>. Frames older than the last one, closer than 1/fps to it, or beyond the limits are skipped.
/// Not thread-safe: one writer per event, fed from one thread.
/// </summary>
public sealed class EventFrameWriter : IDisposable
{
    private readonly MediaStore _media;
    private readonly string _camera;
    private readonly DateTimeOffset _start;
    private readonly EventFrameLimits _limits;
    private readonly TimeSpan _minGap;
    private readonly string _stage;
    private FileStream? _file;
    private readonly List<EventFrame> _frames = [];
    private long _bytes;

    public EventFrameWriter(MediaStore media, string camera, DateTimeOffset start, EventFrameLimits limits)
    {
        _media = media; _camera = camera; _start = start; _limits = limits;
        _minGap = TimeSpan.FromSeconds(1 / Math.Max(0.001, limits.Fps)) * 0.95; // a little slack for capture jitter
        _stage = Path.Combine(EventFrames.StagingFolder(media.Root), Guid.NewGuid().ToString("N") + ".mjpeg");
    }

    public int Count => _frames.Count;
    public long Bytes => _bytes;
    /// <summary>Time of the newest stored frame.</summary>
    public DateTimeOffset? LastTime => _frames.Count == 0 ? null : _frames[^1].Time;

    /// <summary>Appends a frame; false when it was skipped (too soon after the last, out of order, over the limits).</summary>
    public bool Append(ReadOnlySpan<byte> jpeg, DateTimeOffset time, string? comment = null)
    {
        if (!_limits.Enabled || jpeg.Length == 0) return false;
        if (LastTime is { } last && time < last + _minGap) return false;
        if (_frames.Count >= _limits.MaxFrames || _bytes + jpeg.Length > _limits.MaxBytes) return false;
        if (_file is null)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(_stage)!);
            _file = new FileStream(_stage, FileMode.CreateNew, FileAccess.Write, FileShare.Read, 64 * 1024);
        }
        comment ??= JpegMetadata.Read(jpeg).Comment;
        _file.Write(jpeg);
        _frames.Add(new EventFrame(_frames.Count, time, _bytes, jpeg.Length, comment));
        _bytes += jpeg.Length;
        return true;
    }

    /// <summary>Moves the frames under the media root; the relative paths of the frames file and its index, or null
    /// when no frame was stored.</summary>
    public async Task<(string Frames, string Index)?> CompleteAsync(CancellationToken ct)
    {
        if (_file is null || _frames.Count == 0) { Dispose(); return null; }
        await _file.FlushAsync(ct).ConfigureAwait(false);
        await _file.DisposeAsync().ConfigureAwait(false);
        _file = null;
        try
        {
            var frames = await _media.WriteAsync(_camera, _start, "frames", "mjpeg", (tmp, _) =>
            {
                File.Move(_stage, tmp);
                return Task.CompletedTask;
            }, ct).ConfigureAwait(false);
            var index = await _media.WriteAsync(_camera, _start, "frames", "json",
                JsonSerializer.SerializeToUtf8Bytes(_frames, EventFrames.Json), ct).ConfigureAwait(false);
            return (frames.RelativePath, index.RelativePath);
        }
        finally { Dispose(); }
    }

    public void Dispose()
    {
        _file?.Dispose();
        _file = null;
        try { File.Delete(_stage); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}

/// <summary>Reading an event's stored frames (see <see cref="EventFrameWriter"/>).</summary>
public static class EventFrames
{
    /// <summary>Keys of an event's <c>files</c> naming its frames file and its index.</summary>
    /// <summary>The staging folder of <see cref="EventFrameWriter"/> under the media root.</summary>
    public static string StagingFolder(string mediaRoot) => Path.Combine(mediaRoot, ".state", "frames");

    /// <summary>Removes what a previous run left in the staging folder (a kill during an event); returns how many files.
    /// Call before any writer starts.</summary>
    public static int CleanStaging(string mediaRoot)
    {
        var dir = StagingFolder(mediaRoot);
        if (!Directory.Exists(dir)) return 0;
        var n = 0;
        foreach (var f in Directory.EnumerateFiles(dir))
        {
            try { File.Delete(f); n++; }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException) { }
        }
        return n;
    }

    public const string FramesKey = "frames", IndexKey = "frames_index";

    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>The index of <paramref name="e"/>'s frames, or null when it stored none (or they were removed).</summary>
    public static IReadOnlyList<EventFrame>? Index(MediaStore media, StoredEvent e)
    {
        if (!e.Files.TryGetValue(IndexKey, out var rel)) return null;
        if (Recent.TryGetValue(rel, out var cached)) return cached;
        try
        {
            var list = JsonSerializer.Deserialize<List<EventFrame>>(File.ReadAllBytes(media.FullPath(rel)), Json);
            if (list is null) return null;
            if (Recent.Count >= 32) Recent.Clear(); // a few events are scrubbed at a time: a tiny cache is enough
            Recent[rel] = list;
            return list;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or JsonException) { return null; }
    }

    /// <summary>Indexes read lately (they never change once written), by relative path.</summary>
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, List<EventFrame>> Recent = new();

    /// <summary>The JPEG of frame <paramref name="f"/>, or null when the frames file is gone or shorter than the index says.</summary>
    public static byte[]? Read(MediaStore media, StoredEvent e, EventFrame f)
    {
        if (!e.Files.TryGetValue(FramesKey, out var rel)) return null;
        try
        {
            using var fs = new FileStream(media.FullPath(rel), FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1);
            if (f.Offset + f.Bytes > fs.Length) return null;
            var buf = new byte[f.Bytes];
            fs.Position = f.Offset;
            fs.ReadExactly(buf);
            return buf;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException) { return null; }
    }
}
