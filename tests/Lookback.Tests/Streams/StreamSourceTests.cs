using System.Diagnostics;
using Lookback.Config;
using Lookback.Sources;
using Lookback.Sources.Streaming;
using Lookback.Tests.Sources;
using static Lookback.Tests.Streams.StreamTestKit;
using Lookback.Imaging;

namespace Lookback.Tests.Streams;

[Collection("streams")] // the RTSP servers and ffmpeg children share 2 cores: one stream test at a time
public class StreamSourceTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    [Theory]
    [InlineData("h264")]
    [InlineData("h265")]
    public async Task Frames_reach_the_ring_at_the_interval_and_gray_frames_arrive(string codec)
    {
        await using var server = await RtspTestServer.StartAsync(codec: codec);
        var sink = new StreamSink();
        var source = new StreamSource(RtspCam(server.Url, interval: 0.5), StreamInputKind.Rtsp, backoff: FastBackoff());
        await using (var run = new RunningStream(source, sink))
        {
            await sink.WaitUntilAsync(s => s.Frames.FrameCount >= 12 && s.Gray.Count >= 10, Wait, "12 JPEG frames and 10 gray frames");
        }
        var frames = sink.Frames.Frames;
        foreach (var f in frames) Assert.Null(JpegValidator.Validate(f.Jpeg));
        // full-range JPEGs (zscale expands the stream's limited range; ffmpeg marks a limited-range JPEG CS=ITU601)
        Assert.True(await FfmpegFilters.HasAsync("ffmpeg", "zscale", CancellationToken.None), "Debian's ffmpeg has zscale (libzimg)");
        Assert.All(frames, f => Assert.False(LimitedRange.IsLimited(f.Jpeg)));
        Assert.True(JpegValidator.TryGetSize(frames[^1].Jpeg, out var w, out var h));
        Assert.Equal((320, 240), (w, h));
        // interval 0.5 s: the steady-state gaps are ~0.5 s. The start-up burst (frames ffmpeg buffered while probing the
        // stream, up to analyzeduration = 2 s, i.e. up to ~4 JPEGs) is left out: only the last 4 gaps of 12 frames count.
        var gaps = frames.Zip(frames.Skip(1), (a, b) => (b.At - a.At).TotalSeconds).TakeLast(4).Order().ToArray();
        var median = gaps[gaps.Length / 2];
        Assert.InRange(median, 0.3, 0.7);
        var gray = sink.Gray;
        Assert.All(gray, g => Assert.Equal((240, 180), (g.W, g.H)));
        Assert.Empty(sink.Errors);
    }

    [Fact]
    public async Task Goes_offline_with_ffmpegs_error_and_comes_back_when_the_server_restarts()
    {
        var port = FreePort();
        var server = await RtspTestServer.StartAsync(port);
        var sink = new StreamSink();
        var source = new StreamSource(RtspCam($"rtsp://127.0.0.1:{port}/cam", interval: 0.5, timeout: 3), StreamInputKind.Rtsp, backoff: FastBackoff());
        await using (var run = new RunningStream(source, sink))
        {
            await sink.Frames.WaitForFramesAsync(2, Wait);
            await server.DisposeAsync();
            await sink.WaitUntilAsync(s => s.Errors.Any(), Wait, "an error after the server stopped");
            var error = sink.Errors.First();
            Assert.StartsWith($"rtsp://127.0.0.1:{port}/cam: ", error);
            Assert.True(error.Contains("ffmpeg exited with code") || error.Contains("stalled"), error);
            // while the server is down, each attempt reports why (connection refused)
            await sink.WaitUntilAsync(s => s.Errors.Any(e => e.Contains("refused", StringComparison.OrdinalIgnoreCase)), Wait, "connection refused");

            var before = sink.Frames.FrameCount;
            await using var again = await RtspTestServer.StartAsync(port);
            await sink.Frames.WaitForFramesAsync(before + 2, Wait);
        }
    }

    [Fact]
    public async Task Credentials_are_percent_encoded_for_ffmpeg_and_a_wrong_password_is_a_clear_error_without_it()
    {
        const string user = "viewer", password = "p@ss:w/rd#Secret1";
        await using var server = await RtspTestServer.StartAsync(user: user, password: password);

        var good = new StreamSink();
        await using (new RunningStream(new StreamSource(RtspCam(server.Url, user: user, password: password), StreamInputKind.Rtsp,
                         backoff: FastBackoff()), good))
            await good.Frames.WaitForFramesAsync(2, Wait);

        const string wrong = "WrongPassw0rd!";
        var bad = new StreamSink();
        var source = new StreamSource(RtspCam(server.Url, user: user, password: wrong), StreamInputKind.Rtsp, backoff: FastBackoff());
        await using (new RunningStream(source, bad))
            await bad.WaitUntilAsync(s => s.Errors.Any(), Wait, "an error");
        var error = bad.Errors.First();
        Assert.Contains("401", error);
        Assert.DoesNotContain(wrong, error);
        Assert.DoesNotContain(Uri.EscapeDataString(wrong), error);
        Assert.DoesNotContain(user + ":", error);
        Assert.StartsWith(server.Url + ": ffmpeg exited with code", error);
    }

    [Fact]
    public async Task No_ffmpeg_survives_a_stop()
    {
        await using var server = await RtspTestServer.StartAsync();
        var sink = new StreamSink();
        var source = new StreamSource(RtspCam(server.Url), StreamInputKind.Rtsp, backoff: FastBackoff());
        int pid;
        await using (new RunningStream(source, sink))
        {
            await sink.Frames.WaitForFramesAsync(1, Wait);
            pid = source.ProcessId;
            Assert.True(pid > 0 && IsAlive(pid));
            Assert.Contains("ffmpeg", File.ReadAllText($"/proc/{pid}/cmdline"));
        }
        Assert.False(IsAlive(pid), "ffmpeg still running after the source stopped");
        Assert.Equal(0, source.ProcessId);
    }

    [Fact]
    public async Task No_ffmpeg_survives_a_kill_9_of_its_parent()
    {
        Assert.True(ChildProcessLauncher.ParentDeathSignal, "setpriv (util-linux) is needed for the parent-death signal");
        // The exact command line the launcher uses, started by a bash that is then killed with SIGKILL.
        var psi = ChildProcessLauncher.CreateStartInfo("ffmpeg",
            ["-hide_banner", "-nostdin", "-loglevel", "error", "-re", "-f", "lavfi", "-i", "testsrc=size=64x48:rate=5", "-f", "null", "-"]);
        var bash = new ProcessStartInfo("bash") { RedirectStandardOutput = true, UseShellExecute = false };
        bash.ArgumentList.Add("-c");
        bash.ArgumentList.Add("\"$@\" </dev/null >/dev/null 2>&1 & echo $!; wait");
        bash.ArgumentList.Add("launcher");
        bash.ArgumentList.Add(psi.FileName);
        foreach (var a in psi.ArgumentList) bash.ArgumentList.Add(a);
        using var parent = Process.Start(bash)!;
        var child = int.Parse((await parent.StandardOutput.ReadLineAsync())!);
        await WaitUntilAsync(() => IsAlive(child) && File.ReadAllText($"/proc/{child}/cmdline").StartsWith("ffmpeg"), Wait, "ffmpeg to run");

        Process.Start("kill", ["-9", parent.Id.ToString()])!.WaitForExit();
        await WaitUntilAsync(() => !IsAlive(child), TimeSpan.FromSeconds(10), "ffmpeg to die with its parent");
    }

    [Fact]
    public async Task Children_started_by_the_launcher_thread_outlive_the_calling_thread()
    {
        // PDEATHSIG follows the thread that forked: the launcher forks from one long-lived thread, so a child started
        // from a thread that then ends keeps running.
        Process? p = null;
        var t = new Thread(() => p = ChildProcessLauncher.StartAsync(ChildProcessLauncher.CreateStartInfo("sleep", ["30"])).GetAwaiter().GetResult());
        t.Start();
        t.Join();
        try
        {
            await Task.Delay(300); // give a wrongly delivered SIGKILL the time to land (not synchronisation: a negative check)
            Assert.True(IsAlive(p!.Id), "child died with the thread that asked for it");
        }
        finally { ChildProcessLauncher.KillTree(p!); }
    }

    [Fact]
    public void The_ffmpeg_command_has_one_input_and_the_three_outputs()
    {
        var o = RtspCam("rtsp://cam.local/s", interval: 2, user: "admin", password: "a b@c") with { Transport = "udp" };
        var a = StreamArgs.Build(o, StreamInputKind.Rtsp, o.Transport, "tcp://127.0.0.1:5000", ["-f", "hls", "x.m3u8"]);
        var s = string.Join(' ', a);
        Assert.Contains("-rtsp_transport udp", s);
        Assert.Contains("-i rtsp://admin:a%20b%40c@cam.local/s", s);
        Assert.Contains("-vf fps=0.5 -c:v mjpeg -q:v 4", s);
        Assert.Contains("-f image2pipe -flush_packets 1 pipe:1", s);
        Assert.Contains("fps=5,scale=w=-2:h=min(180\\,ih):flags=area,format=gray", s);
        Assert.Contains("-f yuv4mpegpipe -flush_packets 1 tcp://127.0.0.1:5000", s);
        Assert.EndsWith("-f hls x.m3u8", s);
        Assert.Equal(1, a.Count(x => x == "-i"));

        var usb = StreamArgs.Build(o with { Url = "/dev/video0", Kind = CameraKind.Usb, Username = "" }, StreamInputKind.Usb, "tcp", null, null);
        Assert.Contains("-f v4l2 -threads 1 -i /dev/video0", string.Join(' ', usb));

        // with zscale (libzimg) the full-size JPEGs are expanded to full range by zimg, not swscale
        var z = string.Join(' ', StreamArgs.Build(o, StreamInputKind.Rtsp, o.Transport, null, null, zscale: true));
        Assert.Contains("-vf fps=0.5,zscale=range=full -c:v mjpeg -q:v 4 -huffman default -pix_fmt yuv420p -color_range pc -f image2pipe", z);
        Assert.DoesNotContain("yuvj420p", z);
    }

    [Fact]
    public void Gray_frames_are_scaled_from_the_preview_frames_when_both_are_asked_for()
    {
        var o = RtspCam("rtsp://cam.local/s", interval: 1);
        var a = StreamArgs.Build(o, StreamInputKind.Rtsp, "tcp", "tcp://127.0.0.1:5000", null, "tcp://127.0.0.1:5001", previewUrl: "tcp://127.0.0.1:5002");
        var s = string.Join(' ', a);
        // one scale at the higher rate (motion 5 fps, GIF 4 fps), split; each branch keeps its own rate
        Assert.Contains("-filter_complex_threads 1 -filter_complex [0:v:0]fps=5,scale=w='min(480\\,iw)':h=-2:flags=bilinear,format=pix_fmts=yuv420p|yuvj420p,split=2[lbp][lbg];" +
            "[lbp]fps=4,null[lbpreview];[lbg]scale=w=-2:h=min(180\\,ih):flags=area,format=gray[lbgray]", s);
        Assert.Contains("-map [lbgray] -pix_fmt gray -f yuv4mpegpipe -flush_packets 1 tcp://127.0.0.1:5000", s);
        Assert.EndsWith("-map [lbpreview] -c:v mjpeg -q:v 4 -huffman default -strict -1 -f image2pipe -flush_packets 1 tcp://127.0.0.1:5002", s);
        Assert.DoesNotContain("flags=area,format=gray -pix_fmt", s); // no second gray output from the source
        Assert.Single(a, x => x == "-filter_complex");

        // motion slower than the GIF: the grid is the GIF's rate, the gray branch drops to motion's
        var slow = string.Join(' ', StreamArgs.Build(o with { Motion = o.Motion with { Fps = 2 } }, StreamInputKind.Rtsp, "tcp", "tcp://127.0.0.1:5000", null,
            "tcp://127.0.0.1:5001", previewUrl: "tcp://127.0.0.1:5002"));
        Assert.Contains("[0:v:0]fps=4,", slow);
        Assert.Contains("[lbp]null[lbpreview];[lbg]fps=2,scale=", slow);

        // previews narrower than 480 would give fewer than 180 gray rows: two scales from the source, as before
        var narrow = StreamArgs.Build(o with { Gif = o.Gif with { Width = 320 } }, StreamInputKind.Rtsp, "tcp", "tcp://127.0.0.1:5000", null,
            "tcp://127.0.0.1:5001", previewUrl: "tcp://127.0.0.1:5002");
        Assert.DoesNotContain("-filter_complex", narrow);
        Assert.Contains("fps=5,scale=w=-2:h=min(180\\,ih):flags=area,format=gray", string.Join(' ', narrow));
    }

    [Fact]
    public async Task Ffmpegs_filters_are_read_from_its_listing_and_a_missing_ffmpeg_has_none()
    {
        var names = FfmpegFilters.Parse("Filters:\n  T.. = Timeline support\n ... setrange          V->V       Force color range.\n TSC zscale            V->V       Apply resizing.\n ... anull             A->A       Pass the source unchanged.\n");
        Assert.Equal(["anull", "setrange", "zscale"], names.Order());
        Assert.False(await FfmpegFilters.HasAsync("/nonexistent/ffmpeg", "zscale", CancellationToken.None));
        Assert.True(await FfmpegFilters.HasAsync("ffmpeg", "scale", CancellationToken.None));
    }

    [Fact]
    public void Full_size_jpeg_frames_come_at_the_packet_jpeg_interval_only_while_the_packets_serve_renders()
    {
        var o = RtspCam("rtsp://cam.local/s", interval: 1);
        Assert.Equal(5, StreamArgs.JpegInterval(o, packetsServe: true)); // default: snapshots and event pictures up to 5 s old
        Assert.Equal(1, StreamArgs.JpegInterval(o with { PacketJpegInterval = 1 }, packetsServe: true));
        Assert.Equal(5, StreamArgs.JpegInterval(o with { PacketJpegInterval = 5 }, packetsServe: true));
        Assert.Equal(1, StreamArgs.JpegInterval(o with { PacketJpegInterval = 5 }, packetsServe: false)); // no ring, or a ring that cannot cut the stream
        Assert.Equal(1, StreamArgs.JpegInterval(o with { Timestamp = true, PacketJpegInterval = 5 }, packetsServe: true)); // its renders use the JPEG frames
        Assert.Equal(10, StreamArgs.JpegInterval(o with { Interval = 10, PacketJpegInterval = 5 }, packetsServe: true));
        Assert.Equal(2, StreamArgs.JpegInterval(o with { PacketJpegInterval = 2 }, packetsServe: true));
        var a = string.Join(' ', StreamArgs.Build(o, StreamInputKind.Rtsp, "tcp", null, null, "tcp://127.0.0.1:5001", jpegInterval: 5));
        Assert.Contains("-vf fps=0.2 -c:v mjpeg", a);
    }

    [Fact]
    public void The_decoder_uses_one_thread_by_default_and_the_extra_outputs_no_filter_thread_pools()
    {
        var o = RtspCam("rtsp://cam.local/s", interval: 1);
        var a = string.Join(' ', StreamArgs.Build(o, StreamInputKind.Rtsp, "tcp", "tcp://127.0.0.1:5000", null, "tcp://127.0.0.1:5001"));
        Assert.Contains("-threads 1 -i rtsp://cam.local/s", a);
        Assert.StartsWith("-hide_banner -nostdin -loglevel error -filter_threads 1 ", a);
        Assert.Contains("-huffman default", a);
        var auto = string.Join(' ', StreamArgs.Build(o with { DecodeThreads = 0 }, StreamInputKind.Rtsp, "tcp", null, null));
        Assert.DoesNotContain("-threads", auto.Replace("-filter_threads", "", StringComparison.Ordinal));
        Assert.Contains("-threads 4 -i", string.Join(' ', StreamArgs.Build(o with { DecodeThreads = 4 }, StreamInputKind.Rtsp, "tcp", null, null)));
    }

    [Theory]
    [InlineData(CameraKind.Auto, "rtsp://127.0.0.1/s", StreamInputKind.Rtsp)]
    [InlineData(CameraKind.Rtsp, "rtsps://127.0.0.1/s", StreamInputKind.Rtsp)]
    [InlineData(CameraKind.Auto, "/dev/video2", StreamInputKind.Usb)]
    [InlineData(CameraKind.Usb, "/dev/video0", StreamInputKind.Usb)]
    [InlineData(CameraKind.Auto, "http://127.0.0.1/live/index.m3u8", StreamInputKind.HttpVideo)]
    [InlineData(CameraKind.Auto, "https://127.0.0.1/clip.MP4?token=1", StreamInputKind.HttpVideo)]
    [InlineData(CameraKind.Auto, "http://127.0.0.1/stream.flv", StreamInputKind.HttpVideo)]
    public void Stream_kinds_get_an_ffmpeg_source(CameraKind kind, string url, StreamInputKind expected)
    {
        var source = SourceFactory.Create(new CameraOptions { Slug = "c", Url = url, Kind = kind }, SourceTestKit.SharedHttp);
        Assert.Equal(expected, Assert.IsType<StreamSource>(source).InputKind);
    }

    [Fact]
    public void Http_urls_that_are_not_video_stay_with_the_jpeg_probe() =>
        Assert.IsType<AutoSource>(SourceFactory.Create(new CameraOptions { Slug = "c", Url = "http://127.0.0.1/snap.jpg" }, SourceTestKit.SharedHttp));

    [Fact]
    public void Stderr_is_redacted()
    {
        var o = RtspCam("rtsp://10.0.0.2/live?token=abc123", user: "admin", password: "hunter2!");
        var s = new StreamSource(o, StreamInputKind.Rtsp);
        var line = $"[rtsp @ 0x1] method DESCRIBE failed: 401 Unauthorized\n{StreamArgs.InputUrl(o)}: Server returned 401 (hunter2!)";
        var red = s.Redact(line);
        Assert.DoesNotContain("hunter2", red);
        Assert.DoesNotContain("abc123", red);
        Assert.DoesNotContain("admin:", red);
        Assert.Contains("rtsp://10.0.0.2/live?token=***", red);
    }
}

[CollectionDefinition("streams", DisableParallelization = true)]
public sealed class StreamsCollection;
