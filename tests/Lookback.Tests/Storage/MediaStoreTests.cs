using Lookback.Config;
using Lookback.Media.Storage;

namespace Lookback.Tests.Storage;

public sealed class MediaStoreTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("lookback-media-").FullName;
    private static readonly TimeZoneInfo Plus2 = TimeZoneInfo.CreateCustomTimeZone("test+2", TimeSpan.FromHours(2), "test+2", "test+2");
    private static readonly DateTimeOffset T = new(2026, 11, 22, 23, 35, 1, 123, TimeSpan.Zero);

    public void Dispose() { try { Directory.Delete(_root, true); } catch (IOException) { } }

    private MediaStore Store(string? publicUrl = "http://192.168.1.10:8099", string? mediaUrl = null, int port = 8099) =>
        new(new StorageOptions { Path = _root, MediaUrl = mediaUrl }, new HttpOptions { PublicUrl = publicUrl, Port = port }, Plus2);

    [Fact]
    public void New_file_uses_local_day_and_time()
    {
        // 23:35 UTC is already the next day at UTC+2: users browse by their own day.
        Assert.Equal("front/2026-11-23/013501.123-gif.gif", Store().NewFile("front", T, "gif", "gif"));
    }

    [Fact]
    public async Task New_file_is_unique_when_the_name_exists()
    {
        var s = Store();
        var a = await s.WriteAsync("front", T, "gif", "gif", new byte[] { 1 }, CancellationToken.None);
        var b = await s.WriteAsync("front", T, "gif", "gif", new byte[] { 2 }, CancellationToken.None);
        Assert.Equal("front/2026-11-23/013501.123-gif.gif", a.RelativePath);
        Assert.Equal("front/2026-11-23/013501.123-gif-2.gif", b.RelativePath);
        Assert.Equal([1], await File.ReadAllBytesAsync(a.FullPath));
        Assert.Equal([2], await File.ReadAllBytesAsync(b.FullPath));
    }

    [Fact]
    public async Task Concurrent_writers_of_the_same_name_never_overwrite()
    {
        var s = Store();
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var writes = Enumerable.Range(0, 8).Select(i => s.WriteAsync("front", T, "gif", "gif", async (tmp, ct) =>
        {
            await File.WriteAllBytesAsync(tmp, [(byte)i], ct);
            await gate.Task; // all temporary files exist before any is moved into place
        }, CancellationToken.None)).ToArray();
        gate.SetResult();
        var done = await Task.WhenAll(writes);
        Assert.Equal(8, done.Select(d => d.RelativePath).Distinct().Count());
        Assert.Equal(Enumerable.Range(0, 8).Select(i => (byte)i).Order(), done.Select(d => File.ReadAllBytes(d.FullPath)[0]).Order());
        Assert.Empty(Directory.GetFiles(_root, "*.tmp-*", SearchOption.AllDirectories));
    }

    [Fact]
    public async Task Write_goes_through_a_temporary_file_in_the_same_folder()
    {
        var s = Store();
        string? seenTmp = null;
        var m = await s.WriteAsync("front", T, "mp4", "mp4", async (tmp, ct) =>
        {
            seenTmp = tmp;
            await File.WriteAllBytesAsync(tmp, [1, 2, 3], ct);
            Assert.Empty(Directory.GetFiles(_root, "*.mp4", SearchOption.AllDirectories)); // not visible under its name yet
        }, CancellationToken.None);
        Assert.Equal(Path.GetDirectoryName(m.FullPath), Path.GetDirectoryName(seenTmp));
        Assert.Matches(@"013501\.123-mp4\.mp4\.tmp-[0-9a-f]{32}$", seenTmp);
        Assert.False(File.Exists(seenTmp));
        Assert.Equal(3, m.Bytes);
    }

    [Fact]
    public async Task Failed_write_removes_the_temporary_file()
    {
        var s = Store();
        await Assert.ThrowsAsync<InvalidOperationException>(() => s.WriteAsync("front", T, "gif", "gif", async (tmp, ct) =>
        {
            await File.WriteAllBytesAsync(tmp, [1], ct);
            throw new InvalidOperationException("ffmpeg died");
        }, CancellationToken.None));
        Assert.Empty(Directory.GetFiles(_root, "*", SearchOption.AllDirectories));
    }

    [Fact]
    public async Task Storage_path_that_is_a_file_is_a_clear_io_error()
    {
        var file = Path.Combine(_root, "file");
        await File.WriteAllTextAsync(file, "x");
        var s = new MediaStore(new StorageOptions { Path = file }, new HttpOptions());
        var ex = await Assert.ThrowsAsync<MediaWriteException>(() => s.WriteAsync("front", T, "gif", "gif", new byte[] { 1 }, CancellationToken.None));
        Assert.IsAssignableFrom<IOException>(ex);
        Assert.StartsWith("cannot create media folder", ex.Message);
    }

    [Fact]
    public void Url_and_media_encode_segments()
    {
        var s = Store(publicUrl: "http://192.168.1.10:8099/", mediaUrl: "/media/local/lookback/");
        Assert.Equal("http://192.168.1.10:8099/media/front/2026-11-22/173501.123-gif.gif", s.Url("front/2026-11-22/173501.123-gif.gif"));
        Assert.Equal("http://192.168.1.10:8099/media/a%20b/c%23d.gif", s.Url("a b/c#d.gif"));
        Assert.Equal("/media/local/lookback/front/x.gif", s.Media("front/x.gif"));
        Assert.Null(Store(mediaUrl: null).Media("front/x.gif"));
        Assert.StartsWith($"http://{System.Net.Dns.GetHostName()}:8123/media/", Store(publicUrl: null, port: 8123).Url("x.gif"));
    }

    [Fact]
    public async Task Try_resolve_serves_files_under_the_root_only()
    {
        var s = Store();
        var m = await s.WriteAsync("front", T, "gif", "gif", new byte[] { 1 }, CancellationToken.None);
        Assert.Equal(m.FullPath, s.TryResolve(m.RelativePath));
        Assert.Equal(m.FullPath, s.TryResolve(Uri.EscapeDataString("front") + "/2026-11-23/013501.123-gif.gif"));

        var outside = Path.Combine(Path.GetDirectoryName(_root)!, "outside-" + Guid.NewGuid().ToString("N") + ".txt");
        await File.WriteAllTextAsync(outside, "secret");
        try
        {
            var name = Path.GetFileName(outside);
            Assert.Null(s.TryResolve("../" + name));
            Assert.Null(s.TryResolve("front/../../" + name));
            Assert.Null(s.TryResolve("%2e%2e/" + name));
            Assert.Null(s.TryResolve("..%2f" + name));
            Assert.Null(s.TryResolve(outside));
            Assert.Null(s.TryResolve("front\\..\\..\\" + name));
            Assert.Null(s.TryResolve("front//2026-11-23/013501.123-gif.gif"));
            Assert.Null(s.TryResolve("front/2026-11-23")); // a folder is not a file
            Assert.Null(s.TryResolve("front/missing.gif"));
            Assert.Null(s.TryResolve(""));

            // symlinks: a link to a file outside, and a linked folder pointing outside
            File.CreateSymbolicLink(Path.Combine(_root, "front", "leak.txt"), outside);
            Assert.Null(s.TryResolve("front/leak.txt"));
            Directory.CreateSymbolicLink(Path.Combine(_root, "up"), Path.GetDirectoryName(_root)!);
            Assert.Null(s.TryResolve("up/" + name));
            // a link that stays inside is fine
            File.CreateSymbolicLink(Path.Combine(_root, "front", "inside.gif"), m.FullPath);
            Assert.NotNull(s.TryResolve("front/inside.gif"));
        }
        finally { File.Delete(outside); }
    }

    [Fact]
    public async Task Try_resolve_hides_temporary_files()
    {
        var s = Store();
        Directory.CreateDirectory(Path.Combine(_root, "front"));
        await File.WriteAllTextAsync(Path.Combine(_root, "front", "a.gif.tmp-0123"), "partial");
        Assert.Null(s.TryResolve("front/a.gif.tmp-0123"));
    }
}
