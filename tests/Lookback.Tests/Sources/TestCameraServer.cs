using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Lookback.Tests.Sources;

/// <summary>Ways a test camera can misbehave (see <see cref="TestCameraServer.FaultUrl"/>).</summary>
public enum CameraFault
{
    /// <summary>HTTP 500 Internal Server Error.</summary>
    Status500,
    /// <summary>Accepts the request and never answers.</summary>
    Hang,
    /// <summary>200 with an HTML page (text/html).</summary>
    Html,
    /// <summary>200 image/jpeg, the first 60% of a JPEG (no EOI).</summary>
    Truncated,
    /// <summary>200 image/jpeg, a JPEG whose first segment length points past the end.</summary>
    Corrupt,
    /// <summary>Declares the full Content-Length, sends half the JPEG, then drops the connection.</summary>
    CloseMidFrame,
    /// <summary>Nothing listens on the port.</summary>
    ConnectionRefused,
}

/// <summary>
/// A fake IP camera on 127.0.0.1 (Kestrel, free port) for tests. Paths:
/// <list type="bullet">
/// <item><c>/snapshot.jpg</c>: <see cref="SnapshotJpeg"/> as image/jpeg (<c>?chunked</c>: without Content-Length).</item>
/// <item><c>/mjpeg?fps=5</c>: multipart/x-mixed-replace of <see cref="StreamFrames"/> (cycled), with Content-Length.</item>
/// <item><c>/mjpeg/close-mid-frame?fps=5&amp;frames=2</c>: that many frames, then half a frame, then the stream ends.</item>
/// <item><c>/mjpeg/stall?frames=1</c>: that many frames, then silence with the connection open.</item>
/// <item><c>/fault/{500|hang|html|truncated|corrupt|close-mid-frame}</c>: see <see cref="CameraFault"/>.</item>
/// <item><c>/basic/&lt;path&gt;</c>, <c>/digest/&lt;path&gt;?algorithm=MD5|SHA-256</c>: the same, behind basic or digest auth
/// (<see cref="Username"/>/<see cref="Password"/>).</item>
/// <item>Any path: <c>?delay_ms=N</c> answers N ms late (a slow camera).</item>
/// </list>
/// </summary>
public sealed class TestCameraServer : IAsyncDisposable
{
    public const string Realm = "lookback-test";
    public const string StreamBoundary = "lookbackframe";

    private readonly WebApplication _app;
    private readonly CancellationTokenSource _stopping = new();
    private readonly ConcurrentDictionary<string, int> _requests = new();
    private readonly ConcurrentDictionary<string, NonceState> _nonces = new();
    private readonly string _opaque = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));
    private int _challenges, _staleChallenges, _authFailures, _inFlight, _maxInFlight, _unauthorized;
    private TaskCompletionSource _requestSeen = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private sealed class NonceState { public bool Stale; public int LastNc; }

    private TestCameraServer(WebApplication app) => _app = app;

    public int Port { get; private set; }
    public string BaseUrl => $"http://127.0.0.1:{Port}";
    public string Username { get; set; } = "admin";
    public string Password { get; set; } = "Sup3rS3cret!";
    /// <summary>The picture served by /snapshot.jpg.</summary>
    public byte[] SnapshotJpeg { get; set; } = TestJpegs.Make(320, 240, seed: 1);
    /// <summary>When set, /snapshot.jpg answers with this HTTP status instead of the picture.</summary>
    public int? SnapshotFailStatus { get; set; }
    /// <summary>The pictures cycled by the MJPEG streams.</summary>
    public IReadOnlyList<byte[]> StreamFrames { get; set; } = TestJpegs.Frames(4);
    /// <summary>401 answers with a fresh digest challenge.</summary>
    public int Challenges => Volatile.Read(ref _challenges);
    /// <summary>401 answers with stale=true.</summary>
    public int StaleChallenges => Volatile.Read(ref _staleChallenges);
    /// <summary>Requests whose credentials were wrong.</summary>
    public int AuthFailures => Volatile.Read(ref _authFailures);
    /// <summary>Every 401 answer (basic or digest).</summary>
    public int Unauthorized => Volatile.Read(ref _unauthorized);
    /// <summary>Most requests handled at the same time so far.</summary>
    public int MaxConcurrentRequests => Volatile.Read(ref _maxInFlight);

    public static async Task<TestCameraServer> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(o => o.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        var server = new TestCameraServer(app);
        app.Run(server.HandleAsync);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        server.Port = new Uri(address).Port;
        return server;
    }

    public string Url(string pathAndQuery) => BaseUrl + (pathAndQuery.StartsWith('/') ? "" : "/") + pathAndQuery;
    public string SnapshotUrl => Url("/snapshot.jpg");
    public string MjpegUrl(double fps = 5) => Url($"/mjpeg?fps={fps.ToString(System.Globalization.CultureInfo.InvariantCulture)}");

    /// <summary>URL of a snapshot camera with <paramref name="fault"/> (ConnectionRefused: a closed port).</summary>
    public string FaultUrl(CameraFault fault) => fault switch
    {
        CameraFault.Status500 => Url("/fault/500"),
        CameraFault.Hang => Url("/fault/hang"),
        CameraFault.Html => Url("/fault/html"),
        CameraFault.Truncated => Url("/fault/truncated"),
        CameraFault.Corrupt => Url("/fault/corrupt"),
        CameraFault.CloseMidFrame => Url("/fault/close-mid-frame"),
        CameraFault.ConnectionRefused => $"http://127.0.0.1:{ClosedPort()}/snapshot.jpg",
        _ => throw new ArgumentOutOfRangeException(nameof(fault)),
    };

    /// <summary>Requests seen for a path (without query), e.g. "/snapshot.jpg" or "/digest/snapshot.jpg".</summary>
    public int RequestCount(string path) => _requests.TryGetValue(path, out var n) ? n : 0;

    /// <summary>Waits until <paramref name="path"/> has been requested at least <paramref name="count"/> times.</summary>
    public async Task WaitForRequestAsync(string path, int count = 1, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(20));
        while (true)
        {
            var seen = Volatile.Read(ref _requestSeen).Task;
            if (RequestCount(path) >= count) return;
            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero) throw new TimeoutException($"{path} requested {RequestCount(path)} times, wanted {count}");
            try { await seen.WaitAsync(left); } catch (TimeoutException) { }
        }
    }

    /// <summary>Marks every digest nonce issued so far as expired: the next use gets 401 with stale=true.</summary>
    public void ExpireNonces()
    {
        foreach (var n in _nonces.Values) n.Stale = true;
    }

    /// <summary>A port with nothing listening (bound then released).</summary>
    public static int ClosedPort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        var port = ((IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        return port;
    }

    public async ValueTask DisposeAsync()
    {
        _stopping.Cancel();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        try { await _app.StopAsync(cts.Token); } catch (OperationCanceledException) { }
        await _app.DisposeAsync();
        _stopping.Dispose();
    }

    // ---- request handling ----

    private async Task HandleAsync(HttpContext ctx)
    {
        var path = ctx.Request.Path.Value ?? "/";
        _requests.AddOrUpdate(path, 1, (_, n) => n + 1);
        Interlocked.Exchange(ref _requestSeen, new(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ctx.RequestAborted, _stopping.Token);
        var ct = cts.Token;
        var inFlight = Interlocked.Increment(ref _inFlight);
        for (var m = Volatile.Read(ref _maxInFlight); inFlight > m; m = Volatile.Read(ref _maxInFlight))
            if (Interlocked.CompareExchange(ref _maxInFlight, inFlight, m) == m) break;
        try
        {
            if (path.StartsWith("/basic/", StringComparison.Ordinal))
            {
                if (!CheckBasic(ctx))
                {
                    ctx.Response.StatusCode = 401;
                    Interlocked.Increment(ref _unauthorized);
                    ctx.Response.Headers.WWWAuthenticate = $"Basic realm=\"{Realm}\"";
                    return;
                }
                path = path["/basic".Length..];
            }
            else if (path.StartsWith("/digest/", StringComparison.Ordinal))
            {
                var alg = ctx.Request.Query["algorithm"].FirstOrDefault() ?? "MD5";
                var result = CheckDigest(ctx, alg);
                if (result != DigestResult.Ok)
                {
                    ctx.Response.StatusCode = 401;
                    Interlocked.Increment(ref _unauthorized);
                    var stale = result == DigestResult.Stale;
                    if (stale) Interlocked.Increment(ref _staleChallenges); else Interlocked.Increment(ref _challenges);
                    if (result == DigestResult.Wrong) Interlocked.Increment(ref _authFailures);
                    ctx.Response.Headers.WWWAuthenticate = DigestChallenge(alg, stale);
                    return;
                }
                path = path["/digest".Length..];
            }
            await ServeAsync(ctx, path, ct);
        }
        catch (OperationCanceledException) { /* client gone or server stopping */ }
        catch (IOException) { }
        finally { Interlocked.Decrement(ref _inFlight); }
    }

    private async Task ServeAsync(HttpContext ctx, string path, CancellationToken ct)
    {
        var q = ctx.Request.Query;
        var fps = double.TryParse(q["fps"].FirstOrDefault(), System.Globalization.CultureInfo.InvariantCulture, out var f) && f > 0 ? f : 5;
        var frames = int.TryParse(q["frames"].FirstOrDefault(), out var fr) ? fr : 2;
        if (int.TryParse(q["delay_ms"].FirstOrDefault(), out var delayMs) && delayMs > 0)
            await Task.Delay(delayMs, ct); // a slow camera
        switch (path)
        {
            case "/snapshot.jpg":
                if (SnapshotFailStatus is int status)
                {
                    ctx.Response.StatusCode = status;
                    return;
                }
                if (q.ContainsKey("chunked"))
                {
                    ctx.Response.ContentType = "image/jpeg"; // no Content-Length: chunked transfer
                    await ctx.Response.Body.WriteAsync(SnapshotJpeg, ct);
                    return;
                }
                await WriteJpegAsync(ctx, SnapshotJpeg, ct);
                return;
            case "/mjpeg":
                await StreamAsync(ctx, fps, int.MaxValue, ct);
                return;
            case "/mjpeg/close-mid-frame":
            {
                await StreamAsync(ctx, fps, frames, ct);
                var jpeg = StreamFrames[0];
                await WritePartHeaderAsync(ctx, jpeg.Length, ct);
                await ctx.Response.Body.WriteAsync(jpeg.AsMemory(0, jpeg.Length / 2), ct);
                await ctx.Response.CompleteAsync(); // the stream ends inside a part
                return;
            }
            case "/mjpeg/stall":
                await StreamAsync(ctx, fps, frames, ct);
                await Task.Delay(Timeout.Infinite, ct);
                return;
            case "/fault/500":
                ctx.Response.StatusCode = 500;
                await ctx.Response.WriteAsync("camera on fire", ct);
                return;
            case "/fault/hang":
                await Task.Delay(Timeout.Infinite, ct);
                return;
            case "/fault/html":
                ctx.Response.ContentType = "text/html; charset=utf-8";
                await ctx.Response.WriteAsync("<html><body><h1>Login</h1></body></html>", ct);
                return;
            case "/fault/truncated":
                await WriteJpegAsync(ctx, SnapshotJpeg.AsSpan(0, SnapshotJpeg.Length * 6 / 10).ToArray(), ct);
                return;
            case "/fault/corrupt":
            {
                var bad = (byte[])SnapshotJpeg.Clone();
                bad[4] = 0xFF; bad[5] = 0xF0; // first segment (APP0) length far past the end
                await WriteJpegAsync(ctx, bad, ct);
                return;
            }
            case "/fault/close-mid-frame":
                ctx.Response.ContentType = "image/jpeg";
                ctx.Response.ContentLength = SnapshotJpeg.Length;
                await ctx.Response.Body.WriteAsync(SnapshotJpeg.AsMemory(0, SnapshotJpeg.Length / 2), ct);
                await ctx.Response.Body.FlushAsync(ct);
                ctx.Abort();
                return;
            default:
                ctx.Response.StatusCode = 404;
                return;
        }
    }

    private static async Task WriteJpegAsync(HttpContext ctx, byte[] jpeg, CancellationToken ct)
    {
        ctx.Response.ContentType = "image/jpeg";
        ctx.Response.ContentLength = jpeg.Length;
        await ctx.Response.Body.WriteAsync(jpeg, ct);
    }

    private async Task StreamAsync(HttpContext ctx, double fps, int count, CancellationToken ct)
    {
        if (!ctx.Response.HasStarted)
        {
            ctx.Response.ContentType = $"multipart/x-mixed-replace; boundary={StreamBoundary}";
            ctx.Response.Headers.CacheControl = "no-cache";
        }
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1 / fps));
        for (var i = 0; i < count; i++)
        {
            var jpeg = StreamFrames[i % StreamFrames.Count];
            await WritePartHeaderAsync(ctx, jpeg.Length, ct);
            await ctx.Response.Body.WriteAsync(jpeg, ct);
            await ctx.Response.Body.WriteAsync("\r\n"u8.ToArray(), ct);
            await ctx.Response.Body.FlushAsync(ct);
            if (i + 1 < count && !await timer.WaitForNextTickAsync(ct)) return;
        }
    }

    private static async Task WritePartHeaderAsync(HttpContext ctx, int length, CancellationToken ct)
    {
        if (!ctx.Response.HasStarted)
            ctx.Response.ContentType = $"multipart/x-mixed-replace; boundary={StreamBoundary}";
        var header = Encoding.ASCII.GetBytes($"--{StreamBoundary}\r\nContent-Type: image/jpeg\r\nContent-Length: {length}\r\n\r\n");
        await ctx.Response.Body.WriteAsync(header, ct);
    }

    // ---- auth ----

    private bool CheckBasic(HttpContext ctx)
    {
        var h = ctx.Request.Headers.Authorization.ToString();
        if (!h.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase)) return false;
        try
        {
            var ok = Encoding.UTF8.GetString(Convert.FromBase64String(h[6..].Trim())) == $"{Username}:{Password}";
            if (!ok) Interlocked.Increment(ref _authFailures);
            return ok;
        }
        catch (FormatException) { return false; }
    }

    private enum DigestResult { Ok, Missing, Stale, Wrong }

    private string DigestChallenge(string algorithm, bool stale)
    {
        var nonce = Convert.ToBase64String(RandomNumberGenerator.GetBytes(18));
        _nonces[nonce] = new NonceState();
        return $"Digest realm=\"{Realm}\", qop=\"auth\", algorithm={algorithm}, nonce=\"{nonce}\", opaque=\"{_opaque}\"" + (stale ? ", stale=true" : "");
    }

    /// <summary>Server side of RFC 7616, written independently of the client code under test.</summary>
    private DigestResult CheckDigest(HttpContext ctx, string algorithm)
    {
        var h = ctx.Request.Headers.Authorization.ToString();
        if (!h.StartsWith("Digest ", StringComparison.OrdinalIgnoreCase)) return DigestResult.Missing;
        var p = ParseAuthParams(h[7..]);
        string Get(string k) => p.TryGetValue(k, out var v) ? v : "";
        if (!_nonces.TryGetValue(Get("nonce"), out var state)) return DigestResult.Wrong;
        var rawTarget = ctx.Features.Get<IHttpRequestFeature>()!.RawTarget;
        if (Get("uri") != rawTarget || Get("realm") != Realm || Get("opaque") != _opaque || Get("qop") != "auth"
            || !Get("algorithm").Equals(algorithm, StringComparison.OrdinalIgnoreCase))
            return DigestResult.Wrong;
        if (!int.TryParse(Get("nc"), System.Globalization.NumberStyles.HexNumber, null, out var nc)) return DigestResult.Wrong;
        Func<string, string> hash = algorithm.Equals("SHA-256", StringComparison.OrdinalIgnoreCase)
            ? s => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(s)))
            : s => Convert.ToHexStringLower(MD5.HashData(Encoding.UTF8.GetBytes(s)));
        var ha1 = hash($"{Username}:{Realm}:{Password}");
        var ha2 = hash($"GET:{rawTarget}");
        var expected = hash($"{ha1}:{Get("nonce")}:{Get("nc")}:{Get("cnonce")}:auth:{ha2}");
        if (Get("username") != Username || expected != Get("response")) return DigestResult.Wrong;
        if (state.Stale) return DigestResult.Stale;
        lock (state)
        {
            if (nc <= state.LastNc) return DigestResult.Wrong; // replayed nonce count
            state.LastNc = nc;
        }
        return DigestResult.Ok;
    }

    private static Dictionary<string, string> ParseAuthParams(string s)
    {
        var d = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        var i = 0;
        while (i < s.Length)
        {
            while (i < s.Length && (s[i] == ',' || s[i] == ' ')) i++;
            var eq = s.IndexOf('=', i);
            if (eq < 0) break;
            var key = s[i..eq].Trim();
            i = eq + 1;
            string value;
            if (i < s.Length && s[i] == '"')
            {
                var sb = new StringBuilder();
                for (i++; i < s.Length && s[i] != '"'; i++)
                {
                    if (s[i] == '\\') i++;
                    sb.Append(s[i]);
                }
                i++;
                value = sb.ToString();
            }
            else
            {
                var end = s.IndexOf(',', i);
                if (end < 0) end = s.Length;
                value = s[i..end].Trim();
                i = end;
            }
            d[key] = value;
        }
        return d;
    }
}

/// <summary>
/// A byte-level HTTP camera on a raw <see cref="TcpListener"/> for the awkward cases Kestrel won't produce: it reads the
/// request head, then hands the connection to the handler, which writes whatever bytes it likes (status line included).
/// </summary>
public sealed class RawTcpCamera : IAsyncDisposable
{
    private readonly TcpListener _listener;
    private readonly Func<Stream, CancellationToken, Task> _handler;
    private readonly CancellationTokenSource _cts = new();
    private readonly Task _accept;
    private int _connections;

    private RawTcpCamera(Func<Stream, CancellationToken, Task> handler)
    {
        _handler = handler;
        _listener = new TcpListener(IPAddress.Loopback, 0);
        _listener.Start();
        _accept = AcceptLoopAsync();
    }

    public static RawTcpCamera Start(Func<Stream, CancellationToken, Task> handler) => new(handler);

    /// <summary>Serves <paramref name="body"/> after a 200 head with <paramref name="contentType"/>, in chunks, then keeps
    /// the connection open until the client goes (or closes it when <paramref name="closeAfter"/>).</summary>
    public static RawTcpCamera StartStream(string contentType, byte[] body, int chunk = 4096, bool closeAfter = false) =>
        Start(async (s, ct) =>
        {
            await s.WriteAsync(Encoding.ASCII.GetBytes($"HTTP/1.1 200 OK\r\nContent-Type: {contentType}\r\nConnection: close\r\n\r\n"), ct);
            for (var i = 0; i < body.Length; i += chunk)
            {
                await s.WriteAsync(body.AsMemory(i, Math.Min(chunk, body.Length - i)), ct);
                await s.FlushAsync(ct);
            }
            if (!closeAfter) await Task.Delay(Timeout.Infinite, ct);
        });

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;
    public string Url(string path = "/stream") => $"http://127.0.0.1:{Port}{path}";
    public int Connections => Volatile.Read(ref _connections);

    private async Task AcceptLoopAsync()
    {
        while (!_cts.IsCancellationRequested)
        {
            TcpClient client;
            try { client = await _listener.AcceptTcpClientAsync(_cts.Token); }
            catch (Exception) { return; }
            Interlocked.Increment(ref _connections);
            _ = Task.Run(async () =>
            {
                using (client)
                {
                    try
                    {
                        var s = client.GetStream();
                        await ReadHeadAsync(s, _cts.Token);
                        await _handler(s, _cts.Token);
                    }
                    catch (Exception) { /* client went away or test over */ }
                }
            });
        }
    }

    private static async Task ReadHeadAsync(Stream s, CancellationToken ct)
    {
        var buf = new byte[1];
        var tail = 0u;
        while (tail != 0x0D0A0D0A)
        {
            if (await s.ReadAsync(buf, ct) == 0) throw new EndOfStreamException();
            tail = (tail << 8) | buf[0];
        }
    }

    public async ValueTask DisposeAsync()
    {
        _cts.Cancel();
        _listener.Stop();
        try { await _accept; } catch (Exception) { }
        _cts.Dispose();
    }
}
