using System.Text;
using Lookback.Config;
using Lookback.Hosting;
using static Lookback.Tests.Folders.FolderTestKit;

namespace Lookback.Tests.Folders;

/// <summary>A folder camera's live MJPEG: every upload arrives as one whole JPEG (SOI…EOI) before the next upload.</summary>
public sealed class FolderMjpegTests : IDisposable
{
    private readonly string _share = Directory.CreateTempSubdirectory("lookback-share-").FullName;
    private readonly string _storage = Directory.CreateTempSubdirectory("lookback-storage-").FullName;

    public void Dispose()
    {
        foreach (var d in new[] { _share, _storage }) try { Directory.Delete(d, true); } catch (IOException) { }
    }

    [Fact]
    public async Task Mjpeg_of_a_folder_camera_sends_each_upload_whole()
    {
        var options = new LookbackOptions
        {
            Http = new HttpOptions { Listen = "127.0.0.1", Port = 0 },
            Storage = new StorageOptions { Path = _storage },
            Timelapse = new TimelapseOptions { Enabled = false },
            Cameras = [new CameraOptions { Slug = "ftpcam", Url = _share, Kind = CameraKind.Folder, EventsFrom = EventsFrom.Files }],
        };
        await using var app = LookbackHost.Build(options, new HostSettings { RenderWorkers = 1 });
        await app.StartAsync();
        await WaitUntilAsync(() => File.Exists(Path.Combine(_storage, ".state", "folder-ftpcam.json")), "the folder state");
        using var http = new HttpClient { BaseAddress = app.BaseAddress };
        using var response = await http.GetAsync("/api/cameras/ftpcam/mjpeg", HttpCompletionOption.ResponseHeadersRead);
        await using var body = await response.Content.ReadAsStreamAsync();
        var cam = app.Cameras.All.Single();

        for (var i = 0; i < 3; i++)
        {
            // ~64 KB like the camera that showed black: bigger than Kestrel's first write chunk
            var jpeg = WithSegments(Jpeg(shade: (byte)(40 + 60 * i)), (0xE5, new byte[60_000 + i * 1_500]), Comment($"upload {i}"));
            var tmp = Path.Combine(_share, ".upload.tmp");
            await File.WriteAllBytesAsync(tmp, jpeg);
            File.Move(tmp, Path.Combine(_share, $"cam_{i}.jpg"));
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
            byte[] part;
            do part = await ReadPartAsync(body, cts.Token);  // a frame shown before this upload may come first
            while (!part.AsSpan().SequenceEqual(jpeg) && part.Length != jpeg.Length);
            Assert.Equal(jpeg, part);
            Assert.True(part[0] == 0xFF && part[1] == 0xD8 && part[^2] == 0xFF && part[^1] == 0xD9);
        }
        await app.StopAsync();
    }

    /// <summary>One multipart part: its headers, then Content-Length bytes.</summary>
    private static async Task<byte[]> ReadPartAsync(Stream s, CancellationToken ct)
    {
        int length = -1;
        while (true)
        {
            var line = await ReadLineAsync(s, ct);
            if (line.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase)) length = int.Parse(line[15..].Trim());
            else if (line.Length == 0 && length >= 0) break;
        }
        var buf = new byte[length];
        await s.ReadExactlyAsync(buf, ct);
        return buf;
    }

    private static async Task<string> ReadLineAsync(Stream s, CancellationToken ct)
    {
        var sb = new StringBuilder();
        var one = new byte[1];
        while (true)
        {
            if (await s.ReadAsync(one, ct) == 0) throw new EndOfStreamException("the MJPEG stream ended");
            if (one[0] == '\n') return sb.ToString().TrimEnd('\r');
            sb.Append((char)one[0]);
        }
    }
}
