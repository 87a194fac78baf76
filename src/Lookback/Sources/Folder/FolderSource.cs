using Lookback.Imaging;
using System.Threading.Channels;
using Lookback.Config;
using Lookback.Events;

namespace Lookback.Sources.Folder;

/// <summary>A new file of a folder camera became a frame (published on the <see cref="EventBus"/> after the frame).</summary>
/// <param name="RelativePath">Path under the camera's folder, '/' separated.</param>
/// <param name="Time">The frame's time; <paramref name="TimeSource"/> says where it came from: pattern | exif | mtime.</param>
public sealed record FolderFileIngested(string Camera, string RelativePath, string FullPath, DateTimeOffset Time,
    string TimeSource, DateTimeOffset Modified, byte[] Jpeg, JpegMetadata Metadata);

/// <summary>Timings of a <see cref="FolderSource"/> (tests shorten them).</summary>
public sealed record FolderSourceSettings
{
    /// <summary>Safety-net rescan of the whole folder; null: the camera's <c>interval</c>, at least 2 s.</summary>
    public TimeSpan? Rescan { get; init; }
    /// <summary>A file that is not (yet) a complete JPEG is read again once its size has been stable this long.</summary>
    public TimeSpan Settle { get; init; } = TimeSpan.FromSeconds(1);
    /// <summary>A file still not a complete JPEG after its size was stable this long is reported and skipped.</summary>
    public TimeSpan GiveUp { get; init; } = TimeSpan.FromSeconds(30);
    /// <summary>How often files waiting to complete are looked at.</summary>
    public TimeSpan CheckEvery { get; init; } = TimeSpan.FromMilliseconds(200);
}

/// <summary>
/// A camera that uploads JPEGs to a folder (FTP to a share). New <c>*.jpg</c>/<c>*.jpeg</c> files (also in
/// subfolders; hidden files and folders are ignored, so FTP servers' dot-temp files and atomic renames work) are found
/// by a FileSystemWatcher and by a periodic rescan (network shares and some FTP servers raise no events). A file is
/// taken once it is complete: as soon as it reads as a whole JPEG (ends with EOI — a partial JPEG cannot), else it is
/// read again each time its size has been stable for <see cref="FolderSourceSettings.Settle"/>, and reported and skipped
/// when it is still broken after <see cref="FolderSourceSettings.GiveUp"/>.
/// Frame time: <c>time_pattern</c> (see <see cref="FileTimePattern"/>), else EXIF DateTimeOriginal, else mtime.
/// Files are left where they are. What was ingested is remembered under <c>.state</c> (see <see cref="FolderState"/>):
/// after a restart only newer files are new; on the very first start, the files already there are history (no events).
/// At start the ring is primed with the newest <c>store</c> files already ingested (no events).
/// </summary>
public sealed class FolderSource : IFrameSource
{
    private readonly CameraOptions _options;
    private readonly TimeProvider _time;
    private readonly FolderSourceSettings _settings;
    private readonly TimeZoneInfo _zone;
    private readonly FileTimePattern? _pattern;
    private long _ingested;

    public FolderSource(CameraOptions options, TimeProvider? time = null, string? stateDirectory = null, EventBus? bus = null,
        FolderSourceSettings? settings = null, TimeZoneInfo? zone = null)
    {
        _options = options;
        _time = time ?? TimeProvider.System;
        _settings = settings ?? new FolderSourceSettings();
        _zone = zone ?? TimeZoneInfo.Local;
        StateDirectory = stateDirectory;
        Bus = bus;
        _pattern = options.TimePattern is { } p ? FileTimePattern.Parse(p) : null;
    }

    /// <summary><c>&lt;storage&gt;/.state</c>; null: nothing is remembered across restarts.</summary>
    public string? StateDirectory { get; set; }
    /// <summary>Where <see cref="FolderFileIngested"/> is published (null: nowhere).</summary>
    public EventBus? Bus { get; set; }
    public string Folder => Path.GetFullPath(_options.Url);
    /// <summary>New files ingested since start (primed files not counted).</summary>
    public long FilesIngested => Interlocked.Read(ref _ingested);

    private string? StatePath => StateDirectory is null ? null : Path.Combine(StateDirectory, $"folder-{_options.Slug}.json");
    private TimeSpan RescanEvery => _settings.Rescan ?? TimeSpan.FromSeconds(Math.Max(2, _options.Interval));

    private sealed class Pending(string rel, string full)
    {
        public string Rel { get; } = rel;
        public string Full { get; } = full;
        public long Size = -1, Mtime = -1, ReadAtSize = -1;
        public DateTimeOffset LastChange;
        public bool ReadWhenStable;
        public string? Problem;
    }

    private sealed record Ready(Pending File, byte[] Jpeg, DateTimeOffset Time, string Source, JpegMetadata Meta, DateTimeOffset Modified);

    public async Task RunAsync(IFrameSink sink, CancellationToken ct)
    {
        var root = Folder;
        while (!Directory.Exists(root))
        {
            SourceSink.Error(sink, $"folder '{root}' does not exist or is not a folder");
            await Task.Delay(RescanEvery, _time, ct).ConfigureAwait(false);
        }
        var state = FolderState.Load(StatePath);
        var hints = Channel.CreateBounded<string>(new BoundedChannelOptions(10_000) { FullMode = BoundedChannelFullMode.DropWrite });
        var rescanNow = 0;
        using var watcher = CreateWatcher(root, hints, () => Interlocked.Exchange(ref rescanNow, 1));
        var pending = new Dictionary<string, Pending>(StringComparer.Ordinal);
        var failed = new Dictionary<string, (long Mtime, long Size)>(StringComparer.Ordinal);

        // ---- start: prime the ring with recent history; files newer than the state are new
        var existing = Scan(root);
        if (state.Watermark is null)
        {
            state.Baseline(existing.Select(f => (f.Rel, f.Mtime)), _time.GetUtcNow().ToUnixTimeMilliseconds());
            state.Save(StatePath);
        }
        var old = existing.Where(f => !state.IsNew(f.Rel, f.Mtime)).OrderByDescending(f => f.Mtime).Take(_options.Store).ToList();
        var primed = old.Select(f => TryRead(f.Rel, f.Full, f.Mtime)).Where(r => r is not null).Select(r => r!).OrderBy(r => r.Time).ToList();
        foreach (var r in primed) SourceSink.Frame(sink, r.Jpeg, r.Time);
        foreach (var f in existing) Consider(f.Rel, f.Full, f.Mtime, f.Size);

        var nextRescan = _time.GetUtcNow() + RescanEvery;
        while (true)
        {
            ct.ThrowIfCancellationRequested();
            var now = _time.GetUtcNow();
            var wait = pending.Count > 0 ? _settings.CheckEvery : nextRescan - now;
            if (wait > TimeSpan.Zero && !hints.Reader.TryPeek(out _) && Volatile.Read(ref rescanNow) == 0)
            {
                using var timeout = new CancellationTokenSource(wait, _time);
                using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, timeout.Token);
                try { await hints.Reader.WaitToReadAsync(linked.Token).ConfigureAwait(false); }
                catch (OperationCanceledException) when (!ct.IsCancellationRequested) { }
            }
            ct.ThrowIfCancellationRequested();
            while (hints.Reader.TryRead(out var full))
            {
                if (Relative(root, full) is not { } rel || !IsCandidate(rel))
                {
                    // A folder moved in (or made) with files already inside raises no event per file.
                    if (Directory.Exists(full)) Interlocked.Exchange(ref rescanNow, 1);
                    continue;
                }
                try
                {
                    var fi = new FileInfo(full);
                    if (fi.Exists) Consider(rel, full, Ms(fi.LastWriteTimeUtc), fi.Length);
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException) { }
            }
            now = _time.GetUtcNow();
            var forced = Interlocked.Exchange(ref rescanNow, 0) == 1;
            if (now >= nextRescan || forced)
            {
                var started = _time.GetTimestamp();
                if (!Directory.Exists(root)) SourceSink.Error(sink, $"folder '{root}' does not exist or is not a folder");
                else foreach (var f in Scan(root)) Consider(f.Rel, f.Full, f.Mtime, f.Size);
                // Big shares: never spend more than ~10 % of the time rescanning.
                var took = _time.GetElapsedTime(started);
                nextRescan = _time.GetUtcNow() + TimeSpan.FromTicks(Math.Max(RescanEvery.Ticks, took.Ticks * 10));
            }
            if (pending.Count > 0) ProcessPending(sink, state, pending, failed);
            if (state.Dirty && !state.Save(StatePath))
                SourceSink.Error(sink, $"cannot write the folder state under '{StateDirectory}'");
        }

        void Consider(string rel, string full, long mtime, long size)
        {
            if (pending.ContainsKey(rel) || !state.IsNew(rel, mtime)) return;
            if (failed.TryGetValue(rel, out var f) && f == (mtime, size)) return;
            pending[rel] = new Pending(rel, full) { LastChange = _time.GetUtcNow() };
        }
    }

    private void ProcessPending(IFrameSink sink, FolderState state, Dictionary<string, Pending> pending,
        Dictionary<string, (long, long)> failed)
    {
        var now = _time.GetUtcNow();
        var ready = new List<Ready>();
        foreach (var p in pending.Values.ToList())
        {
            FileInfo fi;
            try { fi = new FileInfo(p.Full); fi.Refresh(); }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException) { continue; }
            if (!fi.Exists) { pending.Remove(p.Rel); continue; }
            var size = fi.Length;
            var mtime = Ms(fi.LastWriteTimeUtc);
            if (size != p.Size || mtime != p.Mtime)
            {
                p.Size = size; p.Mtime = mtime; p.LastChange = now; p.ReadWhenStable = false;
            }
            var stable = now - p.LastChange >= _settings.Settle;
            if (size > _options.MaxFrameBytes)
            {
                Fail(p, $"file '{p.Rel}' is larger than max_frame_bytes ({size} bytes)");
                continue;
            }
            var read = size > 0 && (p.ReadAtSize != size || stable && !p.ReadWhenStable);
            if (read)
            {
                p.ReadAtSize = size;
                if (stable) p.ReadWhenStable = true;
                var r = TryRead(p.Rel, p.Full, mtime, out var problem);
                if (r is not null) { ready.Add(r with { File = p }); pending.Remove(p.Rel); continue; }
                if (problem is null) continue; // could not read it now (locked, vanished): try again
                p.Problem = problem;
            }
            if (stable && now - p.LastChange >= _settings.GiveUp)
                Fail(p, size == 0 ? $"file '{p.Rel}' stayed empty" : $"file '{p.Rel}': {p.Problem ?? "not a complete JPEG"}");
        }
        // Deliver in time order (several files may complete in one pass, e.g. after a restart).
        foreach (var r in ready.OrderBy(r => r.Time))
        {
            SourceSink.Frame(sink, r.Jpeg, r.Time);
            state.Mark(r.File.Rel, r.File.Mtime);
            Interlocked.Increment(ref _ingested);
            Bus?.Publish(new FolderFileIngested(_options.Slug, r.File.Rel, r.File.Full, r.Time, r.Source, r.Modified, r.Jpeg, r.Meta));
        }

        void Fail(Pending p, string error)
        {
            SourceSink.Error(sink, error);
            failed[p.Rel] = (p.Mtime, p.Size);
            pending.Remove(p.Rel);
        }
    }

    private Ready? TryRead(string rel, string full, long mtime) => TryRead(rel, full, mtime, out _);

    /// <summary>The file as a frame when it is a complete JPEG; else null with the reason (null reason: not readable now).</summary>
    private Ready? TryRead(string rel, string full, long mtime, out string? problem)
    {
        problem = null;
        byte[] bytes;
        try
        {
            using var fs = new FileStream(full, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1, FileOptions.SequentialScan);
            if (fs.Length > _options.MaxFrameBytes) { problem = "larger than max_frame_bytes"; return null; }
            bytes = new byte[fs.Length];
            fs.ReadExactly(bytes);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException) { return null; }
        if (JpegValidator.Validate(bytes) is { } bad) { problem = bad; return null; }
        var meta = JpegMetadata.Read(bytes);
        var modified = DateTimeOffset.FromUnixTimeMilliseconds(mtime);
        var (time, source) = _pattern?.TryGetTime(rel, _zone) is { } pt ? (pt, "pattern")
            : meta.ExifInstant(_zone) is { } et ? (et, "exif")
            : (modified, "mtime");
        return new Ready(new Pending(rel, full) { Mtime = mtime }, bytes, time, source, meta, modified);
    }

    // ---------------------------------------------------------------- files

    private sealed record Found(string Rel, string Full, long Mtime, long Size);

    private static long Ms(DateTime utc) => new DateTimeOffset(DateTime.SpecifyKind(utc, DateTimeKind.Utc)).ToUnixTimeMilliseconds();

    private static List<Found> Scan(string root)
    {
        var list = new List<Found>();
        try
        {
            var opts = new EnumerationOptions
            {
                RecurseSubdirectories = true, IgnoreInaccessible = true, MaxRecursionDepth = 8,
                AttributesToSkip = FileAttributes.Hidden | FileAttributes.System, ReturnSpecialDirectories = false,
            };
            foreach (var fi in new DirectoryInfo(root).EnumerateFiles("*", opts))
            {
                if (Relative(root, fi.FullName) is not { } rel || !IsCandidate(rel)) continue;
                list.Add(new Found(rel, fi.FullName, Ms(fi.LastWriteTimeUtc), fi.Length));
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException) { }
        return list;
    }

    /// <summary>A JPEG by extension, in no hidden folder, not hidden itself (FTP servers' and rsync's temp files).</summary>
    internal static bool IsCandidate(string rel)
    {
        foreach (var seg in rel.Split('/'))
            if (seg.Length == 0 || seg[0] == '.') return false;
        var ext = Path.GetExtension(rel);
        return ext.Equals(".jpg", StringComparison.OrdinalIgnoreCase) || ext.Equals(".jpeg", StringComparison.OrdinalIgnoreCase);
    }

    private static string? Relative(string root, string full)
    {
        var rel = Path.GetRelativePath(root, full);
        if (rel.StartsWith("..", StringComparison.Ordinal) || Path.IsPathRooted(rel)) return null;
        return rel.Replace('\\', '/');
    }

    private static FileSystemWatcher? CreateWatcher(string root, Channel<string> hints, Action overflow)
    {
        try
        {
            var w = new FileSystemWatcher(root)
            {
                IncludeSubdirectories = true,
                NotifyFilter = NotifyFilters.FileName | NotifyFilters.LastWrite | NotifyFilters.Size | NotifyFilters.DirectoryName,
                InternalBufferSize = 64 * 1024,
            };
            w.Created += (_, e) => { if (!hints.Writer.TryWrite(e.FullPath)) overflow(); };
            w.Changed += (_, e) => { if (!hints.Writer.TryWrite(e.FullPath)) overflow(); };
            w.Renamed += (_, e) => { if (!hints.Writer.TryWrite(e.FullPath)) overflow(); };
            w.Error += (_, _) => overflow();
            w.EnableRaisingEvents = true;
            return w;
        }
        catch (Exception ex) when (ex is IOException or ArgumentException or PlatformNotSupportedException or UnauthorizedAccessException)
        {
            return null; // e.g. inotify limits reached: the rescan still finds every file
        }
    }
}
