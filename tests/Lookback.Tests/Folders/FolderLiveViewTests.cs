using System.Net.Sockets;
using System.Text;
using Lookback.Config;
using Lookback.Tests.Hosting;
using Lookback.Tests.Imaging;

namespace Lookback.Tests.Folders;

/// <summary>
/// The live view of a folder camera (issue 12): a raw read of <c>/api/cameras/{cam}/mjpeg</c>, as curl does it, yields
/// every upload as a whole JPEG (SOI…EOI, the part's Content-Length of bytes) before the next upload arrives.
/// </summary>
public sealed class FolderLiveViewTests : IDisposable
{
    private readonly string _share = Directory.CreateTempSubdirectory("lookback-h12-share-").FullName;

    public void Dispose()
    {
        try { Directory.Delete(_share, true); } catch (IOException) { }
    }

    [Fact]
    public async Task Mjpeg_of_a_folder_camera_sends_every_upload_whole()
    {
        var cam = AppHarness.Camera("ftpcam", _share, CameraKind.Folder);
        await using var h = await AppHarness.StartAsync([cam]);
        await AppHarness.WaitUntilAsync(() => File.Exists(Path.Combine(h.Storage, ".state", "folder-ftpcam.json")),
            TimeSpan.FromSeconds(20), "the folder state");

        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var (tcp, reader) = await OpenAsync(h, cts.Token);
        using (tcp)
        {
            byte[] last = [];
            for (var i = 0; i < 4; i++)
            {
                // noise at high quality: well over 64 KB, the size that stalled
                last = TestImages.NoiseJpeg(320 + 16 * i, 240, 95, seed: i);
                Assert.True(last.Length > 64 * 1024, $"test frame of {last.Length} bytes");
                var tmp = Path.Combine(_share, $".up{i}.tmp");
                await File.WriteAllBytesAsync(tmp, last, cts.Token);
                File.Move(tmp, Path.Combine(_share, $"cam_{i}.jpg"));

                // the part must arrive whole while no other upload follows
                AssertWhole(last, await reader.ReadPartAsync(cts.Token));
            }

            // a viewer that connects while the camera is quiet gets the newest frame whole at once
            var (tcp2, reader2) = await OpenAsync(h, cts.Token);
            using (tcp2) AssertWhole(last, await reader2.ReadPartAsync(cts.Token));
        }
    }

    private static void AssertWhole(byte[] expected, byte[] part)
    {
        Assert.Equal(expected.Length, part.Length);
        Assert.Equal([0xFF, 0xD8], part[..2]);
        Assert.Equal([0xFF, 0xD9], part[^2..]);
        Assert.Equal(expected, part);
    }

    private static async Task<(TcpClient, MultipartReader)> OpenAsync(AppHarness h, CancellationToken ct)
    {
        var tcp = new TcpClient();
        await tcp.ConnectAsync(h.App.BaseAddress.Host, h.App.BaseAddress.Port, ct);
        var net = tcp.GetStream();
        await net.WriteAsync(Encoding.ASCII.GetBytes(
            $"GET /api/cameras/ftpcam/mjpeg HTTP/1.1\r\nHost: {h.App.BaseAddress.Authority}\r\nConnection: close\r\n\r\n"), ct);
        var reader = new MultipartReader(net);
        var head = await reader.ReadHeadAsync(ct); // the headers come at once, before any frame
        Assert.StartsWith("HTTP/1.1 200", head);
        Assert.Contains("multipart/x-mixed-replace", head);
        return (tcp, reader);
    }

    /// <summary>Reads an HTTP/1.1 response (chunked or not) and its multipart parts straight off the socket.</summary>
    private sealed class MultipartReader(Stream net)
    {
        private readonly List<byte> _raw = [];   // bytes off the socket not yet de-chunked
        private readonly List<byte> _body = [];  // de-chunked body bytes not yet consumed
        private readonly byte[] _buf = new byte[8192];
        private bool _chunked;

        private async Task FillAsync(CancellationToken ct)
        {
            var n = await net.ReadAsync(_buf, ct);
            if (n == 0) throw new EndOfStreamException("the stream ended");
            _raw.AddRange(_buf.AsSpan(0, n));
            if (!_chunked) { _body.AddRange(_raw); _raw.Clear(); return; }
            while (true)
            {
                var crlf = IndexOf(_raw, "\r\n"u8.ToArray());
                if (crlf < 0) return;
                var size = Convert.ToInt32(Encoding.ASCII.GetString([.. _raw.GetRange(0, crlf)]).Split(';')[0], 16);
                if (_raw.Count < crlf + 2 + size + 2) return;
                _body.AddRange(_raw.GetRange(crlf + 2, size));
                _raw.RemoveRange(0, crlf + 2 + size + 2);
            }
        }

        public async Task<string> ReadHeadAsync(CancellationToken ct)
        {
            int end;
            while ((end = IndexOf(_body, "\r\n\r\n"u8.ToArray())) < 0) await FillAsync(ct);
            var head = Encoding.ASCII.GetString([.. _body.GetRange(0, end)]);
            var rest = _body.GetRange(end + 4, _body.Count - end - 4);
            _body.Clear();
            if (head.Contains("Transfer-Encoding: chunked", StringComparison.OrdinalIgnoreCase)) { _chunked = true; _raw.AddRange(rest); }
            else _body.AddRange(rest);
            return head;
        }

        public async Task<byte[]> ReadPartAsync(CancellationToken ct)
        {
            int end;
            while ((end = IndexOf(_body, "\r\n\r\n"u8.ToArray())) < 0) await FillAsync(ct);
            var headers = Encoding.ASCII.GetString([.. _body.GetRange(0, end)]);
            var length = int.Parse(headers.Split("\r\n").Single(l => l.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase))[15..].Trim());
            _body.RemoveRange(0, end + 4);
            while (_body.Count < length + 2) await FillAsync(ct);
            var part = _body.GetRange(0, length).ToArray();
            _body.RemoveRange(0, length + 2); // + CRLF
            return part;
        }

        private static int IndexOf(List<byte> hay, byte[] needle)
        {
            for (var i = 0; i + needle.Length <= hay.Count; i++)
            {
                var ok = true;
                for (var j = 0; j < needle.Length && ok; j++) ok = hay[i + j] == needle[j];
                if (ok) return i;
            }
            return -1;
        }
    }
}
