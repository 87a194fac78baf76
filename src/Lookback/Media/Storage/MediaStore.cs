using System.Globalization;
using Lookback.Config;

namespace Lookback.Media.Storage;

/// <summary>Writing a media file failed (disk full, storage path not a folder, permissions). The message is user-facing.</summary>
public sealed class MediaWriteException(string message, Exception? inner = null) : IOException(message, inner);

/// <summary>A media file that is completely written under the store's root.</summary>
public sealed record StoredMedia(string RelativePath, string FullPath, long Bytes);

/// <summary>
/// Rendered files under <c>storage.path</c>: naming, atomic writes, public URLs and safe resolution of
/// <c>GET /media/...</c> paths.
/// </summary>
/// <remarks>
/// Folder and file names use the machine's LOCAL time (<see cref="TimeZoneInfo.Local"/>, i.e. the add-on's
/// TZ): users browse their media by their own day, and "17:35" in a file name should be the clock on their
/// wall. Results and events carry UTC ISO-8601 times, so nothing depends on parsing these names.
/// </remarks>
public sealed class MediaStore
{
    private readonly string _publicBase;
    private readonly string? _mediaBase;
    private readonly TimeZoneInfo _zone;

    public MediaStore(StorageOptions storage, HttpOptions http, TimeZoneInfo? zone = null)
    {
        ArgumentNullException.ThrowIfNull(storage);
        ArgumentNullException.ThrowIfNull(http);
        Root = Path.GetFullPath(storage.Path);
        _zone = zone ?? TimeZoneInfo.Local;
        _publicBase = PublicBaseOf(http);
        _mediaBase = string.IsNullOrWhiteSpace(storage.MediaUrl) ? null : storage.MediaUrl!.TrimEnd('/');
    }

    /// <summary>The base of every published URL: <c>http.public_url</c>, else <c>http://&lt;host name&gt;:&lt;port&gt;</c>.</summary>
    public static string PublicBaseOf(HttpOptions http) => (string.IsNullOrWhiteSpace(http.PublicUrl)
        ? $"http://{SafeHostName()}:{http.Port}"
        : http.PublicUrl!).TrimEnd('/');

    /// <summary>Absolute path of <c>storage.path</c>.</summary>
    public string Root { get; }

    private static readonly object MoveGate = new();

    /// <summary>
    /// A relative path <c>&lt;cam&gt;/&lt;yyyy-MM-dd&gt;/&lt;HHmmss.fff&gt;-&lt;kind&gt;.&lt;ext&gt;</c> (local time) that
    /// does not exist yet ("-2", "-3", ... appended on a clash). Uses '/' as separator. Does not create anything.
    /// </summary>
    public string NewFile(string camera, DateTimeOffset time, string kind, string ext)
    {
        CheckSegment(camera, nameof(camera));
        CheckSegment(kind, nameof(kind));
        CheckSegment(ext, nameof(ext));
        var local = TimeZoneInfo.ConvertTime(time, _zone);
        var day = local.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        var stem = local.ToString("HHmmss.fff", CultureInfo.InvariantCulture) + "-" + kind;
        for (var n = 1; ; n++)
        {
            var rel = $"{camera}/{day}/{stem}{(n == 1 ? "" : "-" + n.ToString(CultureInfo.InvariantCulture))}.{ext}";
            if (!File.Exists(FullPath(rel))) return rel;
        }
    }

    /// <summary>Absolute path of a relative path made by <see cref="NewFile"/>.</summary>
    public string FullPath(string relativePath) =>
        Path.Combine(Root, relativePath.Replace('/', Path.DirectorySeparatorChar));

    /// <summary>
    /// Writes a new file atomically: <paramref name="write"/> fills a temporary <c>&lt;name&gt;.tmp-&lt;guid&gt;</c> in
    /// the target directory, which is then moved into place without overwriting (a new name is chosen when
    /// another writer got there first). The temporary file is removed on any failure. IO problems (disk full,
    /// storage path not a directory, permissions) surface as <see cref="IOException"/> with a clear message.
    /// </summary>
    public async Task<StoredMedia> WriteAsync(string camera, DateTimeOffset time, string kind, string ext,
        Func<string, CancellationToken, Task> write, CancellationToken ct)
    {
        var rel = NewFile(camera, time, kind, ext);
        var full = FullPath(rel);
        var dir = Path.GetDirectoryName(full)!;
        try { Directory.CreateDirectory(dir); }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or NotSupportedException)
        {
            throw new MediaWriteException($"cannot create media folder '{dir}' under storage.path '{Root}': {ex.Message}", ex);
        }

        var tmp = full + ".tmp-" + Guid.NewGuid().ToString("N");
        try
        {
            await write(tmp, ct).ConfigureAwait(false);
            ct.ThrowIfCancellationRequested();
            var info = new FileInfo(tmp);
            if (!info.Exists) throw new MediaWriteException($"render produced no file ('{Path.GetFileName(tmp)}' missing)");
            if (info.Length == 0) throw new MediaWriteException("render produced an empty file");
            var bytes = info.Length;
            for (var attempt = 0; ; attempt++)
            {
                try
                {
                    // File.Move without overwrite checks and then renames: two writers in this process could both
                    // pass the check. Choosing the name and moving under one lock makes it exclusive here; the
                    // retry below covers another process writing the same name.
                    lock (MoveGate)
                    {
                        if (File.Exists(full)) { rel = NewFile(camera, time, kind, ext); full = FullPath(rel); }
                        File.Move(tmp, full, overwrite: false);
                    }
                    return new StoredMedia(rel, full, bytes);
                }
                catch (IOException) when (File.Exists(full) && attempt < 100)
                {
                    rel = NewFile(camera, time, kind, ext);
                    full = FullPath(rel);
                }
            }
        }
        catch (Exception ex) when (ex is (IOException and not MediaWriteException) or UnauthorizedAccessException)
        {
            throw new MediaWriteException($"cannot write media file '{full}': {ex.Message}", ex);
        }
        finally
        {
            TryDelete(tmp);
        }
    }

    /// <summary>Writes bytes atomically (see <see cref="WriteAsync(string, DateTimeOffset, string, string, Func{string, CancellationToken, Task}, CancellationToken)"/>).</summary>
    public Task<StoredMedia> WriteAsync(string camera, DateTimeOffset time, string kind, string ext,
        ReadOnlyMemory<byte> content, CancellationToken ct) =>
        WriteAsync(camera, time, kind, ext, async (tmp, c) =>
        {
            await using var fs = new FileStream(tmp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.Asynchronous);
            await fs.WriteAsync(content, c).ConfigureAwait(false);
        }, ct);

    /// <summary><c>http.public_url</c> (default <c>http://&lt;host name&gt;:&lt;port&gt;</c>) + <c>/media/</c> + the path, each segment URL-encoded.</summary>
    public string Url(string relativePath) => _publicBase + "/media/" + EncodePath(relativePath);

    /// <summary><c>storage.media_url</c> + "/" + the path when media_url is set (Home Assistant media source), else null.</summary>
    public string? Media(string relativePath) => _mediaBase is null ? null : _mediaBase + "/" + relativePath.Replace('\\', '/');

    /// <summary>The extensions of published renders (GIF, snapshot JPEG, MP4 and timelapse videos); nothing else is served.</summary>
    public static readonly IReadOnlySet<string> PublishedExtensions =
        new HashSet<string>([".gif", ".jpg", ".jpeg", ".mp4"], StringComparer.OrdinalIgnoreCase);

    /// <summary>
    /// Whether decoded path segments can name a published render: no empty, "." or ".." segment, no dot-entry at
    /// any depth (<c>.state</c>, <c>.outbox</c>, <c>.rec</c>, hidden files), no temporary file (<c>.tmp</c>), and a
    /// render's extension (<see cref="PublishedExtensions"/>). Pure: the file system is not asked.
    /// </summary>
    public static bool IsPublishedShape(IReadOnlyList<string> segments)
    {
        if (segments.Count == 0) return false;
        foreach (var s in segments)
            if (s.Length == 0 || s[0] == '.' || s.Trim().Length != s.Length) return false;
        var name = segments[^1];
        if (name.Contains(".tmp", StringComparison.OrdinalIgnoreCase)) return false;
        return PublishedExtensions.Contains(Path.GetExtension(name));
    }

    /// <summary>
    /// The full path of a file to serve for <c>GET /media/&lt;requestPath&gt;</c> (the part after /media/, URL-decoded
    /// or not), or null when the path is not a published render strictly under the root: rejects "..", absolute paths,
    /// empty segments, dot-entries at any depth (the private <c>.state</c>, <c>.outbox</c>, <c>.rec</c>), temporary
    /// files, other extensions than a render's, and symlinks that resolve outside the root.
    /// </summary>
    public string? TryResolve(string requestPath)
    {
        if (string.IsNullOrEmpty(requestPath)) return null;
        string decoded;
        try { decoded = Uri.UnescapeDataString(requestPath); } catch (UriFormatException) { return null; }
        if (decoded.IndexOf('\0') >= 0 || decoded.Contains('\\')) return null;
        if (decoded.StartsWith('/') || Path.IsPathRooted(decoded)) return null;
        var segments = decoded.Split('/');
        if (!IsPublishedShape(segments)) return null;

        var full = Path.GetFullPath(Path.Combine(Root, Path.Combine(segments)));
        if (!IsUnder(full, Root)) return null;
        try
        {
            var info = new FileInfo(full);
            if (!info.Exists) return null;
            // Resolve every link on the way (the file and its folders) and check it stays under the (resolved) root.
            var realRoot = RealPath(Root);
            var real = RealPath(full);
            // ... and that what it resolves to is a published render too (a link to .state/events.db is not)
            return real is not null && realRoot is not null && IsUnder(real, realRoot)
                   && IsPublishedShape(Path.GetRelativePath(realRoot, real).Split(Path.DirectorySeparatorChar)) ? full : null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException) { return null; }
    }

    private static string? RealPath(string path)
    {
        // Walk from the root of the path, resolving symlinks segment by segment.
        var parts = Path.GetFullPath(path).Split(Path.DirectorySeparatorChar, StringSplitOptions.RemoveEmptyEntries);
        var current = Path.GetPathRoot(Path.GetFullPath(path)) ?? "/";
        for (var depth = 0; depth < parts.Length; depth++)
        {
            var next = Path.Combine(current, parts[depth]);
            FileSystemInfo fsi = Directory.Exists(next) ? new DirectoryInfo(next) : new FileInfo(next);
            if (!fsi.Exists) return null;
            if (fsi.LinkTarget is not null)
            {
                var target = fsi.ResolveLinkTarget(returnFinalTarget: true);
                if (target is null) return null;
                var resolved = RealPath(target.FullName);
                if (resolved is null) return null;
                next = resolved;
            }
            current = next;
        }
        return current;
    }

    private static bool IsUnder(string full, string root)
    {
        var r = root.EndsWith(Path.DirectorySeparatorChar) ? root : root + Path.DirectorySeparatorChar;
        return full.StartsWith(r, StringComparison.Ordinal);
    }

    private static string EncodePath(string rel) =>
        string.Join('/', rel.Replace('\\', '/').Split('/').Select(Uri.EscapeDataString));

    private static void CheckSegment(string s, string name)
    {
        if (string.IsNullOrWhiteSpace(s) || s == "." || s == ".." || s.IndexOfAny(['/', '\\', '\0']) >= 0)
            throw new ArgumentException($"invalid {name} '{s}' for a media file name", name);
    }

    private static string SafeHostName()
    {
        try { return System.Net.Dns.GetHostName(); } catch { return "localhost"; }
    }

    private static void TryDelete(string path)
    {
        try { if (File.Exists(path)) File.Delete(path); } catch (Exception ex) when (ex is IOException or UnauthorizedAccessException) { }
    }
}
