using System.Diagnostics;
using Lookback.Config;
using Lookback.Sources;
using static Lookback.Tests.Sources.SourceTestKit;

namespace Lookback.Tests.Sources;

public class SnapshotSourceTests
{
    [Fact]
    public async Task Polls_at_the_interval_and_delivers_the_exact_bytes()
    {
        await using var server = await TestCameraServer.StartAsync();
        var sink = new RecordingSink();
        await using (Run(new SnapshotSource(Cam(server.SnapshotUrl, interval: 0.2), SharedHttp), sink))
            await sink.WaitForFramesAsync(6);
        var f = sink.Frames;
        Assert.All(f, x => Assert.True(x.Jpeg.AsSpan().SequenceEqual(server.SnapshotJpeg)));
        var span = (f[5].At - f[0].At).TotalSeconds;
        Assert.InRange(span, 0.8, 2.5); // 5 periods of 0.2 s
        Assert.Empty(sink.Errors);
    }

    [Fact]
    public async Task Slow_camera_is_polled_back_to_back_without_pile_up()
    {
        await using var server = await TestCameraServer.StartAsync();
        var sink = new RecordingSink();
        await using (Run(new SnapshotSource(Cam(server.Url("/snapshot.jpg?delay_ms=500"), interval: 0.4), SharedHttp), sink))
            await sink.WaitForFramesAsync(5);
        Assert.Equal(1, server.MaxConcurrentRequests);
        var f = sink.Frames;
        var mean = (f[4].At - f[0].At).TotalSeconds / 4;
        // the request time (0.5 s) sets the pace; interval + request time would be 0.9 s
        Assert.InRange(mean, 0.45, 0.75);
    }

    [Fact]
    public async Task Without_content_length_the_body_is_read_to_the_end()
    {
        await using var server = await TestCameraServer.StartAsync();
        var sink = new RecordingSink();
        await using (Run(new SnapshotSource(Cam(server.Url("/snapshot.jpg?chunked"), interval: 0.1), SharedHttp), sink))
            await sink.WaitForFramesAsync(2);
        Assert.True(sink.Frames[0].Jpeg.AsSpan().SequenceEqual(server.SnapshotJpeg));
    }

    [Theory]
    [InlineData("/snapshot.jpg")]
    [InlineData("/snapshot.jpg?chunked")]
    public async Task Frames_over_the_cap_are_refused(string path)
    {
        await using var server = await TestCameraServer.StartAsync();
        var sink = new RecordingSink();
        await using (Run(new SnapshotSource(Cam(server.Url(path), interval: 0.1, maxFrameBytes: 1000), SharedHttp, backoff: FastBackoff()), sink))
            await sink.WaitForErrorAsync(e => e.StartsWith($"frame larger than 1000 bytes from {server.BaseUrl}/snapshot.jpg"));
        Assert.Equal(0, sink.FrameCount);
    }

    [Fact]
    public async Task Basic_auth_is_sent_preemptively()
    {
        await using var server = await TestCameraServer.StartAsync();
        var sink = new RecordingSink();
        await using (Run(new SnapshotSource(Cam(server.Url("/basic/snapshot.jpg"), 0.1, auth: AuthKind.Basic, user: "admin", password: Secret), SharedHttp), sink))
            await sink.WaitForFramesAsync(3);
        Assert.Empty(sink.Errors);
        Assert.Equal(0, server.AuthFailures);
        Assert.Equal(0, server.Unauthorized); // no 401 round trips
    }

    [Theory]
    [InlineData("MD5")]
    [InlineData("SHA-256")]
    public async Task Digest_auth_reuses_the_challenge(string algorithm)
    {
        await using var server = await TestCameraServer.StartAsync();
        var sink = new RecordingSink();
        var cam = Cam(server.Url($"/digest/snapshot.jpg?algorithm={algorithm}"), 0.1, auth: AuthKind.Digest, user: "admin", password: Secret);
        await using (Run(new SnapshotSource(cam, SharedHttp), sink))
            await sink.WaitForFramesAsync(4);
        Assert.Empty(sink.Errors);
        Assert.Equal(1, server.Challenges); // one 401, then the nonce is reused with a growing nc
        Assert.Equal(0, server.AuthFailures);
        Assert.True(sink.Frames[0].Jpeg.AsSpan().SequenceEqual(server.SnapshotJpeg));
    }

    [Theory]
    [InlineData("MD5")]
    [InlineData("SHA-256")]
    public async Task Digest_stale_nonce_is_renewed_without_an_error(string algorithm)
    {
        await using var server = await TestCameraServer.StartAsync();
        var sink = new RecordingSink();
        var cam = Cam(server.Url($"/digest/snapshot.jpg?algorithm={algorithm}"), 0.1, auth: AuthKind.Digest, user: "admin", password: Secret);
        await using (Run(new SnapshotSource(cam, SharedHttp), sink))
        {
            await sink.WaitForFramesAsync(2);
            server.ExpireNonces();
            var seen = sink.FrameCount;
            await sink.WaitForFramesAsync(seen + 3);
        }
        Assert.Empty(sink.Errors);
        Assert.Equal(1, server.StaleChallenges);
    }

    [Theory]
    [InlineData("/digest/snapshot.jpg", AuthKind.None)]
    [InlineData("/basic/snapshot.jpg", AuthKind.None)]
    [InlineData("/digest/snapshot.jpg?algorithm=SHA-256", AuthKind.Basic)]
    public async Task Credentials_without_auth_kind_answer_what_the_camera_asks(string path, AuthKind kind)
    {
        await using var server = await TestCameraServer.StartAsync();
        var sink = new RecordingSink();
        await using (Run(new SnapshotSource(Cam(server.Url(path), 0.1, auth: kind, user: "admin", password: Secret), SharedHttp), sink))
            await sink.WaitForFramesAsync(3);
        Assert.Empty(sink.Errors);
    }

    [Fact]
    public async Task Credentials_in_the_url_are_used_and_never_shown()
    {
        await using var server = await TestCameraServer.StartAsync();
        var sink = new RecordingSink();
        var url = $"http://admin:{Uri.EscapeDataString(Secret)}@127.0.0.1:{server.Port}/digest/snapshot.jpg";
        await using (Run(new SnapshotSource(Cam(url, 0.1), SharedHttp), sink))
            await sink.WaitForFramesAsync(2);
        Assert.Empty(sink.Errors);
    }

    [Theory]
    [InlineData("/digest/snapshot.jpg", AuthKind.Digest, "wrong username or password (digest)")]
    [InlineData("/digest/snapshot.jpg?algorithm=SHA-256", AuthKind.None, "wrong username or password (digest)")]
    [InlineData("/basic/snapshot.jpg", AuthKind.Basic, "wrong username or password (basic)")]
    [InlineData("/basic/snapshot.jpg", AuthKind.None, "wrong username or password (basic)")]
    public async Task Wrong_password_gives_a_clear_error_without_the_password(string path, AuthKind kind, string reason)
    {
        await using var server = await TestCameraServer.StartAsync();
        server.Password = "the-right-one";
        var sink = new RecordingSink();
        await using (Run(new SnapshotSource(Cam(server.Url(path), 0.1, auth: kind, user: "admin", password: Secret), SharedHttp, backoff: FastBackoff()), sink))
            await sink.WaitUntilAsync(s => s.ErrorCount >= 2, TimeSpan.FromSeconds(20), "two errors");
        var expected = $"HTTP 401 Unauthorized: {reason} from {server.BaseUrl}{path}";
        Assert.All(sink.Errors, e => Assert.Equal(expected, e));
        Assert.All(sink.Errors, e => Assert.DoesNotContain(Secret, e));
        Assert.Equal(0, sink.FrameCount);
    }

    [Fact]
    public async Task No_credentials_for_a_protected_camera()
    {
        await using var server = await TestCameraServer.StartAsync();
        var sink = new RecordingSink();
        await using (Run(new SnapshotSource(Cam(server.Url("/digest/snapshot.jpg"), 0.1), SharedHttp, backoff: FastBackoff()), sink))
            await sink.WaitForErrorAsync(e => e.StartsWith("HTTP 401 Unauthorized: camera asks for a username and password (none configured) from "));
    }

    [Fact]
    public async Task No_password_appears_in_any_error()
    {
        await using var server = await TestCameraServer.StartAsync();
        var urls = Enum.GetValues<CameraFault>().Select(server.FaultUrl)
            .Select(u => u.Replace("http://", $"http://admin:{Uri.EscapeDataString(Secret)}@") + $"?user=admin&password={Uri.EscapeDataString(Secret)}&pwd={Secret}&token={Secret}")
            .Append(server.Url($"/digest/snapshot.jpg?auth={Secret}"))
            .Append(server.Url($"/basic/snapshot.jpg?key={Secret}"))
            .ToList();
        server.Password = "something-else";
        var sinks = urls.Select(_ => new RecordingSink()).ToList();
        var running = urls.Select((u, i) => Run(new SnapshotSource(Cam(u, 0.1, user: "admin", password: Secret, timeout: 0.5), SharedHttp, backoff: FastBackoff()), sinks[i])).ToList();
        try
        {
            foreach (var s in sinks) await s.WaitUntilAsync(x => x.ErrorCount >= 1, TimeSpan.FromSeconds(20), "an error");
        }
        finally
        {
            foreach (var r in running) await r.DisposeAsync();
        }
        var all = sinks.SelectMany(s => s.Errors).ToList();
        Assert.True(all.Count >= urls.Count);
        foreach (var e in all)
        {
            Assert.DoesNotContain(Secret, e);
            Assert.DoesNotContain(Uri.EscapeDataString(Secret), e);
            Assert.Contains("127.0.0.1", e); // names the camera
        }
    }

    [Fact]
    public async Task Cancellation_stops_a_hanging_request_promptly()
    {
        await using var server = await TestCameraServer.StartAsync();
        var sink = new RecordingSink();
        using var cts = new CancellationTokenSource();
        var task = new SnapshotSource(Cam(server.FaultUrl(CameraFault.Hang), timeout: 60), SharedHttp).RunAsync(sink, cts.Token);
        await server.WaitForRequestAsync("/fault/hang");
        var sw = Stopwatch.StartNew();
        cts.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => task);
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(5));
        Assert.Empty(sink.Errors);
    }
}

/// <summary>Scheduling and backoff with a manual clock: real 1 s → 60 s delays, checked without waiting for them.</summary>
public class SnapshotScheduleTests
{
    [Fact]
    public async Task Backoff_grows_while_failing_and_resets_after_a_success()
    {
        await using var server = await TestCameraServer.StartAsync();
        server.SnapshotFailStatus = 503;
        var time = new ManualTimeProvider();
        var sink = new RecordingSink();
        var source = new SnapshotSource(Cam(server.SnapshotUrl, interval: 0.5, timeout: 10), SharedHttp, time, new Backoff(random: () => 0.5));
        await using var running = Run(source, sink);
        foreach (var seconds in new[] { 1, 2, 4, 8, 16, 32, 60, 60 })
        {
            var delay = TimeSpan.FromSeconds(seconds);
            await time.WaitForTimerAsync(delay);
            time.Advance(delay);
        }
        await sink.WaitUntilAsync(s => s.ErrorCount >= 9, TimeSpan.FromSeconds(20), "nine errors");
        Assert.All(sink.Errors, e => Assert.Equal($"HTTP 503 Service Unavailable from {server.SnapshotUrl}", e));
        server.SnapshotFailStatus = null;
        await time.WaitForTimerAsync(TimeSpan.FromSeconds(60));
        time.Advance(TimeSpan.FromSeconds(60));
        await sink.WaitForFramesAsync(1);
        await time.WaitForTimerAsync(TimeSpan.FromSeconds(0.5)); // success: back to the interval
        server.SnapshotFailStatus = 500;
        time.Advance(TimeSpan.FromSeconds(0.5));
        await time.WaitForTimerAsync(TimeSpan.FromSeconds(1)); // the backoff starts over at 1 s
        Assert.Equal(1, sink.FrameCount);
    }

    [Fact]
    public async Task Polls_are_scheduled_by_start_time()
    {
        await using var server = await TestCameraServer.StartAsync();
        var time = new ManualTimeProvider();
        var sink = new RecordingSink();
        await using var running = Run(new SnapshotSource(Cam(server.SnapshotUrl, interval: 2), SharedHttp, time), sink);
        for (var i = 1; i <= 3; i++)
        {
            await sink.WaitForFramesAsync(i);
            await time.WaitForTimerAsync(TimeSpan.FromSeconds(2));
            time.Advance(TimeSpan.FromSeconds(2));
        }
        await sink.WaitForFramesAsync(4);
        var at = sink.Frames.Select(f => f.At).ToArray();
        Assert.Equal([0, 2, 4, 6], at.Select(a => (a - at[0]).TotalSeconds));
    }
}
