using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.RegularExpressions;
using Lookback.Buffer;
using Lookback.Http;
using UiFiles = Lookback.Http.WebUi;

namespace Lookback.Tests.WebUi;

/// <summary>The endpoints the web UI adds (frames, status) and how its files are served, over plain HTTP.</summary>
[Collection(UiCollection.Name)]
public sealed class ApiTests(UiFixture ui)
{
    private HttpClient Client() => new(new HttpClientHandler { AutomaticDecompression = DecompressionMethods.None }) { BaseAddress = ui.BaseAddress };

    [Fact]
    public async Task Frames_lists_the_ring_oldest_first_and_serves_each_frame()
    {
        using var http = Client();
        using var doc = JsonDocument.Parse(await http.GetStringAsync("api/cameras/driveway/frames"));
        var frames = doc.RootElement.EnumerateArray().Select(f => (Seq: f.GetProperty("seq").GetInt64(),
            Time: f.GetProperty("time").GetDateTimeOffset(), Bytes: f.GetProperty("bytes").GetInt32())).ToList();
        Assert.True(frames.Count >= 4);
        for (var i = 1; i < frames.Count; i++)
        {
            Assert.Equal(frames[i - 1].Seq + 1, frames[i].Seq);
            Assert.True(frames[i].Time >= frames[i - 1].Time);
        }
        var pick = frames[^2];
        using var r = await http.GetAsync($"api/cameras/driveway/frames/{pick.Seq}.jpg");
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        Assert.Equal("image/jpeg", r.Content.Headers.ContentType!.MediaType);
        var bytes = await r.Content.ReadAsByteArrayAsync();
        Assert.Equal(pick.Bytes, bytes.Length);
        Assert.Equal(0xFF, bytes[0]); Assert.Equal(0xD8, bytes[1]);
        Assert.Equal(pick.Time, DateTimeOffset.Parse(r.Headers.GetValues("X-Frame-Time").Single(), CultureInfo.InvariantCulture));
    }

    [Theory]
    [InlineData("api/cameras/driveway/frames/0.jpg", 404, "not in the ring")]
    [InlineData("api/cameras/driveway/frames/999999999.jpg", 404, "not in the ring")]
    [InlineData("api/cameras/driveway/frames/abc.jpg", 400, "seq")]
    [InlineData("api/cameras/driveway/frames/12.png", 400, "seq")]
    [InlineData("api/cameras/nope/frames", 404, "unknown camera 'nope'")]
    [InlineData("api/cameras/nope/frames/1.jpg", 404, "unknown camera 'nope'")]
    public async Task Frame_errors_are_json(string path, int status, string error)
    {
        using var http = Client();
        using var r = await http.GetAsync(path);
        Assert.Equal(status, (int)r.StatusCode);
        Assert.Equal("application/json", r.Content.Headers.ContentType!.MediaType);
        using var doc = JsonDocument.Parse(await r.Content.ReadAsStringAsync());
        Assert.Contains(error, doc.RootElement.GetProperty("error").GetString());
    }

    [Fact]
    public void A_frame_evicted_from_the_ring_is_gone()
    {
        using var ring = new FrameRing(new RingLimits(3, null, long.MaxValue));
        var t0 = DateTimeOffset.UtcNow;
        for (var i = 1; i <= 5; i++) ring.Append([0xFF, 0xD8, (byte)i, 0xFF, 0xD9], t0.AddMilliseconds(100 * i));
        var list = FrameEndpoints.List(ring);
        Assert.Equal([3L, 4L, 5L], list.Select(f => f.Seq));
        Assert.Equal(t0.AddMilliseconds(300), list[0].Time);
        Assert.Null(FrameEndpoints.Find(ring, 1));
        Assert.Null(FrameEndpoints.Find(ring, 2));
        Assert.Null(FrameEndpoints.Find(ring, 6));
        var f4 = FrameEndpoints.Find(ring, 4)!.Value;
        Assert.Equal(4, f4.Jpeg[2]);
        Assert.Equal(t0.AddMilliseconds(400), f4.Time);
        ring.Append([0xFF, 0xD8, 6, 0xFF, 0xD9], t0.AddMilliseconds(600));
        Assert.Null(FrameEndpoints.Find(ring, 3));            // evicted by the newer frame
        Assert.Equal(5, FrameEndpoints.Find(ring, 5)!.Value.Jpeg[2]);
    }

    [Fact]
    public async Task Status_is_json_with_cameras_and_the_render_queue()
    {
        using var http = Client();
        using var doc = JsonDocument.Parse(await http.GetStringAsync("api/status"));
        var root = doc.RootElement;
        Assert.False(string.IsNullOrEmpty(root.GetProperty("version").GetString()));
        var cams = root.GetProperty("cameras").EnumerateArray().ToDictionary(c => c.GetProperty("name").GetString()!);
        Assert.Equal(["driveway", "garden"], cams.Keys.Order());
        foreach (var c in cams.Values)
        {
            Assert.Equal("online", c.GetProperty("status").GetString());
            Assert.True(c.GetProperty("frames_total").GetInt64() > 0);
            Assert.True(c.GetProperty("bytes_total").GetInt64() > 0);
            Assert.True(c.GetProperty("ring_frames").GetInt32() > 0);
            Assert.True(c.GetProperty("ring_bytes").GetInt64() > 0);
            Assert.True(c.GetProperty("errors_total").GetInt64() >= 0);
            Assert.True(c.TryGetProperty("fps", out _) && c.TryGetProperty("last_error", out _));
        }
        var render = root.GetProperty("render");
        Assert.Equal(1, render.GetProperty("workers").GetInt32());
        Assert.True(render.TryGetProperty("queued", out _) && render.TryGetProperty("counters", out _));
    }

    [Fact]
    public async Task Ui_files_are_served_with_etag_gzip_and_types()
    {
        using var http = Client();
        using var index = await http.GetAsync("/");
        Assert.Equal(HttpStatusCode.OK, index.StatusCode);
        Assert.Equal("text/html", index.Content.Headers.ContentType!.MediaType);
        var etag = index.Headers.ETag!;
        using (var again = new HttpRequestMessage(HttpMethod.Get, "/"))
        {
            again.Headers.IfNoneMatch.Add(etag);
            using var r = await http.SendAsync(again);
            Assert.Equal(HttpStatusCode.NotModified, r.StatusCode);
        }
        foreach (var (file, type) in new[] { ("app.js", "text/javascript"), ("app.css", "text/css"), ("icon.svg", "image/svg+xml") })
        {
            using var r = await http.GetAsync($"ui/{file}");
            Assert.Equal(HttpStatusCode.OK, r.StatusCode);
            Assert.Equal(type, r.Content.Headers.ContentType!.MediaType);
        }
        using (var gz = new HttpRequestMessage(HttpMethod.Get, "ui/camera.js"))
        {
            gz.Headers.AcceptEncoding.Add(new StringWithQualityHeaderValue("gzip"));
            using var r = await http.SendAsync(gz);
            Assert.Equal("gzip", r.Content.Headers.ContentEncoding.Single());
            await using var z = new System.IO.Compression.GZipStream(await r.Content.ReadAsStreamAsync(), System.IO.Compression.CompressionMode.Decompress);
            using var sr = new StreamReader(z);
            Assert.Contains("export function mount", await sr.ReadToEndAsync());
        }
        using var missing = await http.GetAsync("ui/nope.js");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
    }

    /// <summary>Under ingress the UI lives at /api/hassio_ingress/&lt;token&gt;/: no file may use an absolute URL or a CDN.</summary>
    [Fact]
    public void Ui_files_use_relative_urls_only()
    {
        Assert.Contains("index.html", UiFiles.Files.Keys);
        Assert.True(UiFiles.Files.Count >= 7, string.Join(", ", UiFiles.Files.Keys));
        var bad = new Regex("""(?:\b(?:src|href|action|poster)\s*=\s*["'`]\s*/)|(?:\b(?:fetch|import|open)\s*\(\s*["'`]\s*/)|(?:\bfrom\s*["'`]\s*/)|(?:url\(\s*["']?\s*/)|(?:["'`]/(?:api|media|ui|metrics|gif)\b)|(?:\bhttps?://(?!www\.w3\.org/))|(?:["'`]//)""");
        var problems = new List<string>();
        foreach (var f in UiFiles.Files.Values.Where(f => f.ContentType.StartsWith("text/", StringComparison.Ordinal) || f.ContentType.Contains("svg")))
        {
            var text = System.Text.Encoding.UTF8.GetString(f.Bytes);
            var lines = text.Split('\n');
            for (var i = 0; i < lines.Length; i++)
                foreach (Match m in bad.Matches(lines[i]))
                    problems.Add($"{f.Name}:{i + 1}: {m.Value} in `{lines[i].Trim()}`");
        }
        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    [Fact]
    public void Ui_file_names_are_unique_and_flat()
    {
        var dir = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "../../../../../src/Lookback/Http/wwwroot"));
        if (!Directory.Exists(dir)) return; // only checkable from a source tree
        var files = Directory.GetFiles(dir, "*", SearchOption.AllDirectories);
        Assert.All(files, f => Assert.Equal(dir, Path.GetDirectoryName(f)));
        Assert.Equal(files.Select(Path.GetFileName).Order(), UiFiles.Files.Keys.Order());
    }
}
