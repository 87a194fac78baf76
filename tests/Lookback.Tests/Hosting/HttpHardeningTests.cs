using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using Lookback.Config;
using Lookback.Hosting;
using Lookback.Http;
using Lookback.Tests.Sources;

namespace Lookback.Tests.Hosting;

/// <summary>Private storage, the API token, the render rate limit, HEAD and bad event queries against the real HTTP server.</summary>
public sealed class HttpHardeningTests
{
    private const string Token = "s3cret-Token-4711";

    /// <summary>One request with exactly these bytes as the request target (HttpClient would normalise %2e and dot segments).</summary>
    private static async Task<(int Status, string Head, string Body)> RawAsync(AppHarness h, string method, string target, string? auth = null)
    {
        using var tcp = new TcpClient();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        await tcp.ConnectAsync(h.App.BaseAddress.Host, h.App.BaseAddress.Port, cts.Token);
        var s = tcp.GetStream();
        var req = $"{method} {target} HTTP/1.1\r\nHost: lookback\r\nConnection: close\r\n" + (auth is null ? "" : $"Authorization: Bearer {auth}\r\n") + "\r\n";
        await s.WriteAsync(Encoding.ASCII.GetBytes(req), cts.Token);
        using var ms = new MemoryStream();
        await s.CopyToAsync(ms, cts.Token);
        var text = Encoding.UTF8.GetString(ms.ToArray());
        var split = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        var head = split < 0 ? text : text[..split];
        return (int.Parse(head.Split(' ')[1]), head, split < 0 ? "" : text[(split + 4)..]);
    }

    private static async Task<string> PublishedGifAsync(AppHarness h, string? token = null)
    {
        await AppHarness.WaitUntilAsync(() => h.App.Cameras.Find("front") is { } c && c.Ring.Count >= 4, TimeSpan.FromSeconds(20), "frames from front");
        using var req = new HttpRequestMessage(HttpMethod.Get, "/api/cameras/front/gif?seconds=1&fps=2&width=64");
        if (token is not null) req.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        var gif = await h.Http.SendAsync(req);
        Assert.Equal(HttpStatusCode.OK, gif.StatusCode);
        return gif.Content.Headers.ContentLocation!.AbsolutePath;
    }

    [Fact]
    public async Task Media_serves_published_renders_only_never_state_outbox_dot_entries_or_temporary_files()
    {
        await using var server = await TestCameraServer.StartAsync();
        await using var h = await AppHarness.StartAsync([AppHarness.Camera("front", server.SnapshotUrl, interval: 0.1)]);
        var published = await PublishedGifAsync(h);
        Assert.True(File.Exists(Path.Combine(h.Storage, ".state", "events.db")));
        void Put(string rel, string text = "private")
        {
            var full = Path.Combine(h.Storage, rel);
            Directory.CreateDirectory(Path.GetDirectoryName(full)!);
            File.WriteAllText(full, text);
        }
        Put(".outbox/00000000000000000001.seg");
        Put(".state/leak.gif");
        Put(".rec/front/live.m3u8");
        Put("front/.hidden.gif");
        Put("front/2026-01-01/.x/a.gif");
        Put("front/2026-01-01/a.gif.tmp-0123");
        Put("front/2026-01-01/a.gif.tmp");
        Put("front/2026-01-01/rec/segments.csv");
        Put("front/2026-01-01/timelapse/samples.bin");
        Put("front/notes.txt");
        File.CreateSymbolicLink(Path.Combine(h.Storage, "front", "db.gif"), Path.Combine(h.Storage, ".state", "events.db"));

        string[] targets =
        [
            "/media/.state/events.db", "/media/%2estate/events.db", "/media/%2Estate/events.db", "/media/%252estate/events.db",
            "/media/.%73tate/events.db", "/media/front/..%2f.state/events.db", "/media/front/%2e%2e/.state/events.db",
            "/media/.outbox/00000000000000000001.seg", "/media/%2eoutbox/00000000000000000001.seg", "/media/.state/leak.gif",
            "/media/.rec/front/live.m3u8", "/media/front/.hidden.gif", "/media/front/%2ehidden.gif", "/media/front/2026-01-01/.x/a.gif",
            "/media/front/2026-01-01/a.gif.tmp-0123", "/media/front/2026-01-01/a.gif.tmp", "/media/front/2026-01-01/rec/segments.csv",
            "/media/front/2026-01-01/timelapse/samples.bin", "/media/front/notes.txt", "/media/front/db.gif", "/media/.state/", "/media/.state",
        ];
        foreach (var target in targets)
        {
            var (status, _, body) = await RawAsync(h, "GET", target);
            Assert.True(status is 404 or 400, $"{target} answered {status}");
            Assert.DoesNotContain("private", body);
            Assert.DoesNotContain("SQLite", body);
        }
        Assert.Equal(200, (await RawAsync(h, "GET", published)).Status);
    }

    [Fact]
    public async Task Head_on_media_and_healthz_answers_like_get_without_a_body()
    {
        await using var server = await TestCameraServer.StartAsync();
        await using var h = await AppHarness.StartAsync([AppHarness.Camera("front", server.SnapshotUrl, interval: 0.1)]);
        var published = await PublishedGifAsync(h);
        var size = new FileInfo(Path.Combine(h.Storage, Uri.UnescapeDataString(published["/media/".Length..]))).Length;

        var head = await h.Http.SendAsync(new HttpRequestMessage(HttpMethod.Head, published));
        Assert.Equal(HttpStatusCode.OK, head.StatusCode);
        Assert.Equal("image/gif", head.Content.Headers.ContentType!.MediaType);
        Assert.Equal(size, head.Content.Headers.ContentLength);
        var raw = await RawAsync(h, "HEAD", published);
        Assert.Equal(200, raw.Status);
        Assert.Equal("", raw.Body);

        var health = await RawAsync(h, "HEAD", "/healthz");
        Assert.Equal(200, health.Status);
        Assert.Contains("text/plain", health.Head);
        Assert.Equal("", health.Body);
        Assert.Equal(404, (await RawAsync(h, "HEAD", "/media/.state/events.db")).Status);
    }

    [Theory]
    [InlineData("before=-99999999999999999", "before")]
    [InlineData("before=99999999999999999", "before")]
    [InlineData("before=-9223372036854775808", "before")]
    [InlineData("before=999999999999999999999999", "before")]
    [InlineData("before=someday", "before")]
    [InlineData("after=-99999999999999999", "after")]
    [InlineData("after=99999999999999999", "after")]
    [InlineData("after=2026-13-45", "after")]
    [InlineData("limit=99999999999", "limit")]
    [InlineData("limit=-1", "limit")]
    [InlineData("limit=0", "limit")]
    [InlineData("limit=1e3", "limit")]
    public async Task Bad_event_queries_answer_400_naming_the_parameter(string query, string name)
    {
        await using var server = await TestCameraServer.StartAsync();
        await using var h = await AppHarness.StartAsync([AppHarness.Camera("front", server.SnapshotUrl)]);
        var r = await h.Http.GetAsync("/api/events?" + query);
        Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
        Assert.StartsWith(name + ":", System.Text.Json.JsonDocument.Parse(await r.Content.ReadAsStringAsync()).RootElement.GetProperty("error").GetString());
        Assert.DoesNotContain("Exception", h.LogText);
    }

    [Theory]
    [InlineData("before=0")]
    [InlineData("before=253402300799999")]
    [InlineData("before=-62135596800000")]
    [InlineData("after=1700000000000&before=2026-01-01T00:00:00Z&limit=1000")]
    public async Task Event_queries_at_the_edges_of_the_time_range_answer_200(string query)
    {
        await using var server = await TestCameraServer.StartAsync();
        await using var h = await AppHarness.StartAsync([AppHarness.Camera("front", server.SnapshotUrl)]);
        var r = await h.Http.GetAsync("/api/events?" + query);
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
    }

    [Fact]
    public async Task With_an_api_token_everything_but_healthz_published_media_and_the_ui_files_needs_it()
    {
        await using var server = await TestCameraServer.StartAsync();
        await using var h = await AppHarness.StartAsync([AppHarness.Camera("front", server.SnapshotUrl, interval: 0.1)],
            configure: o => o with { Http = o.Http with { ApiToken = Token } });

        foreach (var path in new[] { "/api/cameras", "/api/cameras/front", "/api/cameras/front/snapshot.jpg?width=64", "/api/cameras/front/gif",
                     "/api/cameras/front/mp4", "/api/cameras/front/moment.mp4", "/gif?camera=front", "/api/cameras/front/timelapse/2026-01-01.mp4",
                     "/api/events", "/api/status", "/metrics", "/api/cameras/front/frames", "/api/cameras/front/mjpeg", "/nope" })
        {
            var r = await h.Http.GetAsync(path);
            Assert.True(r.StatusCode == HttpStatusCode.Unauthorized, $"{path} answered {(int)r.StatusCode} without the token");
            Assert.Equal("Bearer", r.Headers.WwwAuthenticate.Single().Scheme);
            Assert.Contains("api_token", await r.Content.ReadAsStringAsync());
            using var wrong = new HttpRequestMessage(HttpMethod.Get, path) { Headers = { Authorization = new("Bearer", Token + "x") } };
            Assert.Equal(HttpStatusCode.Unauthorized, (await h.Http.SendAsync(wrong)).StatusCode);
        }
        using (var bearer = new HttpRequestMessage(HttpMethod.Get, "/api/cameras") { Headers = { Authorization = new("Bearer", Token) } })
            Assert.Equal(HttpStatusCode.OK, (await h.Http.SendAsync(bearer)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await h.Http.GetAsync($"/api/cameras?token={Token}")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await h.Http.GetAsync($"/api/cameras?token={Token[..^1]}")).StatusCode);

        // open: health, the published render (as MQTT publishes it), the UI's static files
        var published = await PublishedGifAsync(h, Token);
        Assert.Equal(HttpStatusCode.OK, (await h.Http.GetAsync(published)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await h.Http.GetAsync("/healthz")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await h.Http.GetAsync("/")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await h.Http.GetAsync("/ui/app.js")).StatusCode);
        Assert.Equal(404, (await RawAsync(h, "GET", "/media/.state/events.db")).Status); // open, but never the private state

        // the web UI: /?token= sets an HttpOnly session cookie (not the token itself) and sends the browser to /
        var login = await RawAsync(h, "GET", $"/?token={Token}");
        Assert.Equal(302, login.Status);
        var cookie = login.Head.Split("\r\n").Single(l => l.StartsWith("Set-Cookie:", StringComparison.OrdinalIgnoreCase));
        Assert.Contains("httponly", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("samesite=strict", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(Token, cookie);
        Assert.DoesNotContain(Token, login.Head.Split("\r\n").Single(l => l.StartsWith("Location:", StringComparison.OrdinalIgnoreCase)));
        var session = cookie["Set-Cookie:".Length..].Split(';')[0].Trim();
        using (var withCookie = new HttpRequestMessage(HttpMethod.Get, "/api/cameras") { Headers = { { "Cookie", session } } })
            Assert.Equal(HttpStatusCode.OK, (await h.Http.SendAsync(withCookie)).StatusCode);
        using (var forged = new HttpRequestMessage(HttpMethod.Get, "/api/cameras") { Headers = { { "Cookie", $"{ApiToken.CookieName}={Token}" } } })
            Assert.Equal(HttpStatusCode.Unauthorized, (await h.Http.SendAsync(forged)).StatusCode);

        Assert.DoesNotContain(Token, h.LogText);
    }

    [Fact]
    public async Task In_addon_mode_the_ingress_port_needs_no_token_and_has_no_rate_limit_and_the_api_port_needs_both()
    {
        await using var server = await TestCameraServer.StartAsync();
        var (ingress, api) = (Lookback.Tests.Mqtt.Mosquitto.FreePort(), Lookback.Tests.Mqtt.Mosquitto.FreePort());
        await using var h = await AppHarness.StartAsync([AppHarness.Camera("front", server.SnapshotUrl)],
            settings: new HostSettings { Addon = true, AddonPorts = (ingress, api), RenderRateLimit = new RenderRateLimit(1, TimeSpan.FromMinutes(10)) },
            configure: o => o with { Http = o.Http with { ApiToken = Token } });
        using var toIngress = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{ingress}"), Timeout = TimeSpan.FromSeconds(30) };
        using var toApi = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{api}"), Timeout = TimeSpan.FromSeconds(30) };

        Assert.Equal(HttpStatusCode.OK, (await toIngress.GetAsync("/api/cameras")).StatusCode);
        for (var i = 0; i < 3; i++) Assert.Equal(HttpStatusCode.NotFound, (await toIngress.GetAsync("/api/cameras/nope/gif")).StatusCode);

        Assert.Equal(HttpStatusCode.Unauthorized, (await toApi.GetAsync("/api/cameras")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await toApi.GetAsync("/healthz")).StatusCode);
        toApi.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Token);
        Assert.Equal(HttpStatusCode.OK, (await toApi.GetAsync("/api/cameras")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await toApi.GetAsync("/api/cameras/nope/gif")).StatusCode);
        Assert.Equal(HttpStatusCode.TooManyRequests, (await toApi.GetAsync("/api/cameras/nope/gif")).StatusCode);
    }

    [Fact]
    public async Task Render_requests_are_limited_per_client_address_with_429_and_retry_after()
    {
        await using var server = await TestCameraServer.StartAsync();
        await using var h = await AppHarness.StartAsync([AppHarness.Camera("front", server.SnapshotUrl)],
            settings: new HostSettings { RenderRateLimit = new RenderRateLimit(3, TimeSpan.FromMinutes(10)) });
        // unknown cameras answer at once, and they still count: the limit is on requests, before any work
        for (var i = 0; i < 3; i++) Assert.Equal(HttpStatusCode.NotFound, (await h.Http.GetAsync($"/api/cameras/nope{i}/gif")).StatusCode);
        foreach (var path in new[] { "/api/cameras/front/gif", "/api/cameras/front/mp4", "/api/cameras/front/moment.mp4", "/gif?camera=front",
                     "/api/cameras/front/timelapse/2026-01-01.mp4" })
        {
            var r = await h.Http.GetAsync(path);
            Assert.Equal(HttpStatusCode.TooManyRequests, r.StatusCode);
            Assert.InRange(int.Parse(r.Headers.GetValues("Retry-After").Single()), 1, 600);
            Assert.Contains("too many render requests", await r.Content.ReadAsStringAsync());
        }
        // other requests are not renders
        Assert.Equal(HttpStatusCode.OK, (await h.Http.GetAsync("/api/cameras")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await h.Http.GetAsync("/healthz")).StatusCode);
    }

    [Fact]
    public void The_rate_limiter_refills_per_client_and_keeps_a_bounded_number_of_clients()
    {
        var time = new ManualTimeProvider();
        var limiter = new RenderRateLimiter(new RenderRateLimit(2, TimeSpan.FromSeconds(3)), time);
        Assert.True(limiter.TryAcquire("a", out _));
        Assert.True(limiter.TryAcquire("a", out _));
        Assert.False(limiter.TryAcquire("a", out var wait));
        Assert.Equal(TimeSpan.FromSeconds(3), wait);
        Assert.True(limiter.TryAcquire("b", out _)); // another address has its own allowance
        time.Advance(TimeSpan.FromSeconds(1.5));
        Assert.False(limiter.TryAcquire("a", out wait));
        Assert.Equal(TimeSpan.FromSeconds(1.5), wait);
        time.Advance(TimeSpan.FromSeconds(1.5));
        Assert.True(limiter.TryAcquire("a", out _));
        Assert.False(limiter.TryAcquire("a", out _));

        for (var i = 0; i < RenderRateLimiter.MaxClients * 3; i++) limiter.TryAcquire("client" + i, out _);
        Assert.InRange(limiter.Tracked, 1, RenderRateLimiter.MaxClients);
    }

    [Fact]
    public void Only_health_media_and_ui_files_are_open_and_only_renders_are_rate_limited()
    {
        Assert.True(ApiRoutes.IsOpen("/healthz"));
        Assert.True(ApiRoutes.IsOpen("/media/front/2026-01-01/a.gif"));
        Assert.True(ApiRoutes.IsOpen("/"));
        Assert.True(ApiRoutes.IsOpen("/ui/app.js"));
        foreach (var p in new[] { "/api/cameras", "/metrics", "/healthz/x", "/mediax", "/media", "/uix", "/api/events" }) Assert.False(ApiRoutes.IsOpen(p), p);
        foreach (var p in new[] { "/gif", "/api/cameras/a/gif", "/api/cameras/a/mp4", "/api/cameras/a/moment.mp4", "/api/cameras/a/timelapse/2026-01-01.mp4" })
            Assert.True(ApiRoutes.IsRender(p), p);
        foreach (var p in new[] { "/api/cameras/a/snapshot.jpg", "/api/cameras/a/frames", "/api/cameras/a/timelapse", "/api/cameras/a/gif/x" })
            Assert.False(ApiRoutes.IsRender(p), p);
    }
}
