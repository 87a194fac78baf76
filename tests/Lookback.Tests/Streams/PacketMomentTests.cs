using System.Globalization;
using System.Text.Json;
using Lookback.Buffer;
using Lookback.Cameras;
using Lookback.Config;
using Lookback.Hosting;
using Lookback.Media.Rendering;
using Lookback.Sources.Streaming;
using Microsoft.Extensions.DependencyInjection;
using static Lookback.Tests.Streams.StreamTestKit;

namespace Lookback.Tests.Streams;

/// <summary>Stream cameras keep their own packets in RAM: moments are remuxes at the full rate, GIFs decode the window.</summary>
[Collection("streams")]
public class PacketMomentTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(60);

    private sealed class Host : IAsyncDisposable
    {
        public required LookbackApp App { get; init; }
        public required string Root { get; init; }
        public Camera Cam => (Camera)App.Cameras.Find("cam")!;
        public IRenderService Render => App.Services.GetRequiredService<IRenderService>();

        public static async Task<Host> StartAsync(string url, Func<CameraOptions, CameraOptions>? configure = null)
        {
            var root = Path.Combine(Path.GetTempPath(), "lookback-pkt-" + Guid.NewGuid().ToString("N")[..8]);
            // the defaults of a stream camera (no record, 1 s JPEG interval), small GIFs
            var cam = RtspCam(url, interval: 1) with { Gif = new GifOptions { Width = 160, Fps = 2 } };
            var options = new LookbackOptions
            {
                Http = new HttpOptions { Listen = "127.0.0.1", Port = 0 },
                Storage = new StorageOptions { Path = root },
                Cameras = [configure is null ? cam : configure(cam)],
            };
            var app = LookbackHost.Build(options, new HostSettings { RenderWorkers = 1 });
            await app.StartAsync();
            return new Host { App = app, Root = root };
        }

        /// <summary>Waits until the packet ring spans <paramref name="seconds"/>.</summary>
        public Task BufferedAsync(double seconds) => WaitUntilAsync(() =>
            Cam.Packets is { OldestTime: { } o, NewestTime: { } n } && (n - o).TotalSeconds >= seconds, Wait,
            $"{seconds} s of packets (camera {Cam.Status}: {Cam.LastError}; ring note: {Cam.Packets?.Unusable})");

        public Task<RenderResult> MomentAsync(double before, double after) =>
            Render.SubmitAsync(new RenderRequest { Camera = "cam", Kind = RenderKind.Moment, Before = before, After = after }, CancellationToken.None);

        public async ValueTask DisposeAsync()
        {
            await App.StopAsync();
            await App.DisposeAsync();
            try { Directory.Delete(Root, true); } catch (IOException) { }
        }
    }

    private static async Task<(int W, int H, int Frames, string Codec, string Tag, double Fps)> ProbeAsync(string file)
    {
        var s = (await FfprobeAsync("-v", "error", "-count_frames", "-select_streams", "v:0", "-show_entries",
            "stream=codec_name,codec_tag_string,width,height,nb_read_frames,avg_frame_rate", "-of", "json", file));
        var st = JsonDocument.Parse(s).RootElement.GetProperty("streams")[0];
        var rate = st.GetProperty("avg_frame_rate").GetString()!.Split('/');
        return (st.GetProperty("width").GetInt32(), st.GetProperty("height").GetInt32(),
            int.Parse(st.GetProperty("nb_read_frames").GetString()!, CultureInfo.InvariantCulture),
            st.GetProperty("codec_name").GetString()!, st.GetProperty("codec_tag_string").GetString()!,
            double.Parse(rate[0], CultureInfo.InvariantCulture) / Math.Max(1, double.Parse(rate[1], CultureInfo.InvariantCulture)));
    }

    /// <summary>Decode errors of a whole file (empty when it is clean).</summary>
    private static async Task<string> DecodeErrorsAsync(string file)
    {
        var psi = new System.Diagnostics.ProcessStartInfo("ffmpeg") { RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { "-v", "error", "-i", file, "-f", "null", "-" }) psi.ArgumentList.Add(a);
        using var p = System.Diagnostics.Process.Start(psi)!;
        var err = await p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync();
        return p.ExitCode == 0 ? err.Trim() : $"exit {p.ExitCode}: {err}";
    }

    [Theory]
    [InlineData("h264", 0)]
    [InlineData("h264", 2)] // B-frames
    [InlineData("h265", 0)]
    public async Task A_moment_of_6_s_before_on_a_10_fps_stream_has_the_full_rate_at_the_source_resolution(string codec, int bframes)
    {
        await using var server = await RtspTestServer.StartAsync(codec: codec, size: "320x240", fps: 10, bframes: bframes, gop: 10);
        await using var host = await Host.StartAsync(server.Url);
        await host.BufferedAsync(8);

        var asked = DateTimeOffset.UtcNow;
        var r = await host.MomentAsync(6, 0);
        Assert.True(r.Ok, r.Error);
        Assert.Equal(RenderResult.SourcePackets, r.Source);
        Assert.True(r.Gap is null, $"gap: asked at {asked:O}, covered {r.Start:O} .. {r.End:O}; ring {host.Cam.Packets!.OldestTime:O} .. {host.Cam.Packets.NewestTime:O}");
        Assert.InRange(r.LeadMs!.Value, 0, 1100); // the keyframe at or before the start (GOP 1 s)
        var p = await ProbeAsync(r.Path!);
        Assert.True(p.Frames >= 54, $"{p.Frames} frames");
        Assert.Equal((320, 240), (p.W, p.H));
        Assert.Equal(codec == "h265" ? "hevc" : "h264", p.Codec);
        if (codec == "h265") Assert.Equal("hvc1", p.Tag);
        Assert.InRange(p.Fps, 9, 11);
        var errors = await DecodeErrorsAsync(r.Path!);
        Assert.True(errors == "", errors);
        Assert.True(File.Exists(r.GifPath)); // the GIF beside it, decoded from the same packets

        var json = JsonSerializer.Serialize(r);
        Assert.Contains("\"source\":\"packets\"", json);
        Assert.Contains("\"lead_ms\":", json);
        Assert.DoesNotContain("\"gap\"", json);
    }

    [Theory]
    [InlineData("aac")]  // copied
    [InlineData("pcma")] // G.711 A-law, like doorbells: encoded to AAC by the camera's ffmpeg
    public async Task A_moment_carries_the_streams_audio_as_aac(string audio)
    {
        await using var server = await RtspTestServer.StartAsync(size: "320x240", fps: 10, gop: 10, audio: audio);
        await using var host = await Host.StartAsync(server.Url);
        await host.BufferedAsync(5);
        var source = (StreamSource)host.Cam.Source;
        Assert.Equal(audio != "aac", source.TranscodesAudio);

        var r = await host.MomentAsync(4, 0);
        Assert.True(r.Ok, r.Error);
        Assert.Equal(RenderResult.SourcePackets, r.Source);
        var streams = await FfprobeAsync("-v", "error", "-show_entries", "stream=codec_type,codec_name,duration", "-of", "csv=p=0", r.Path!);
        var lines = streams.Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split(',')).ToList();
        var video = lines.Single(l => l[1] == "video");
        var sound = lines.Single(l => l[1] == "audio");
        Assert.Equal("aac", sound[0]);
        var (vd, ad) = (double.Parse(video[2], CultureInfo.InvariantCulture), double.Parse(sound[2], CultureInfo.InvariantCulture));
        Assert.True(Math.Abs(vd - ad) < 0.6, $"video {vd} s, audio {ad} s");
        Assert.Equal("", await DecodeErrorsAsync(r.Path!));
        Assert.Null(host.Cam.LastError); // the planned restart for the AAC encode is not an error
    }

    [Fact]
    public async Task After_3_waits_for_the_packets_then_a_gif_of_the_window_has_distinct_frames_and_status_shows_the_ring()
    {
        await using var server = await RtspTestServer.StartAsync(size: "320x240", fps: 10, gop: 10);
        await using var host = await Host.StartAsync(server.Url);
        await host.BufferedAsync(7);

        var asked = DateTimeOffset.UtcNow;
        var r = await host.MomentAsync(2, 3);
        Assert.True(r.Ok, r.Error);
        Assert.Equal(RenderResult.SourcePackets, r.Source);
        Assert.True(r.End >= asked.AddSeconds(3 - 0.1), $"last frame at {r.End:O}, asked at {asked:O}");
        var duration = double.Parse(await FfprobeAsync("-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", r.Path!), CultureInfo.InvariantCulture);
        Assert.True(duration >= 5 - 0.1, $"duration {duration}");

        // GIF seconds=6 fps=4: the window decoded at 4 fps, not repeated JPEGs
        var gif = await host.Render.SubmitAsync(new RenderRequest { Camera = "cam", Kind = RenderKind.Gif, Seconds = 6, Fps = 4, Width = 160 }, CancellationToken.None);
        Assert.True(gif.Ok, gif.Error);
        Assert.Equal(RenderResult.SourcePackets, gif.Source);
        var md5 = await FramesMd5Async(gif.Path!);
        Assert.True(md5.Distinct().Count() >= 20, $"{md5.Distinct().Count()} distinct of {md5.Count} frames");

        var info = Lookback.Http.CameraEndpoints.DescribePackets(host.Cam)!;
        Assert.Equal("h264", info.Codec);
        Assert.True(info.Bytes > 0 && info.Bytes <= info.MaxBytes);
        Assert.Null(info.Note);

        // /api/status memory: the ring's slabs (native memory) are counted apart from the GC heap
        var memory = Lookback.Http.StatusEndpoints.DescribeMemory(host.App.Services.GetRequiredService<CameraRegistry>());
        Assert.InRange(memory.PacketSlabBytes, 1, host.Cam.Packets!.SlabBytes + 2 * PacketSlabPool.DefaultSlabBytes); // the ring goes on filling
        Assert.True(memory.RssBytes > memory.PacketSlabBytes && memory.GcHeapBytes > 0 && memory.FrameBytes > 0, memory.ToString());
    }

    [Fact]
    public async Task A_gif_at_the_cameras_gif_rate_comes_from_its_preview_frames_with_distinct_frames()
    {
        await using var server = await RtspTestServer.StartAsync(size: "320x240", fps: 10, gop: 10);
        await using var host = await Host.StartAsync(server.Url); // GIF options 160 px, 2 fps; preview_seconds default 60
        await host.BufferedAsync(7);
        await WaitUntilAsync(() => host.Cam.Previews is { OldestTime: { } o } && o < DateTimeOffset.UtcNow.AddSeconds(-6.5), Wait, "6.5 s of preview frames");

        var gif = await host.Render.SubmitAsync(new RenderRequest { Camera = "cam", Kind = RenderKind.Gif, Seconds = 6, Fps = 2, Width = 160 }, CancellationToken.None);
        Assert.True(gif.Ok, gif.Error);
        Assert.Equal(RenderResult.SourcePreview, gif.Source);
        Assert.Equal(160, gif.Width);
        var md5 = await FramesMd5Async(gif.Path!);
        Assert.True(md5.Distinct().Count() >= 10, $"{md5.Distinct().Count()} distinct of {md5.Count} frames");

        // a rate above the previews' decodes the packets
        var faster = await host.Render.SubmitAsync(new RenderRequest { Camera = "cam", Kind = RenderKind.Gif, Seconds = 3, Fps = 4, Width = 160 }, CancellationToken.None);
        Assert.True(faster.Ok, faster.Error);
        Assert.Equal(RenderResult.SourcePackets, faster.Source);

        var moment = await host.MomentAsync(4, 0);
        Assert.True(moment.Ok, moment.Error);
        Assert.Equal(RenderResult.SourcePackets, moment.Source); // the MP4; its GIF came from the previews
        Assert.True(File.Exists(moment.GifPath));

        var info = Lookback.Http.CameraEndpoints.DescribePreview(host.Cam)!;
        Assert.True(info.Frames >= 12, $"{info.Frames} preview frames");
        Assert.Equal(160, info.Width);
        Assert.Equal(2, info.Fps);
    }

    [Fact]
    public async Task With_motion_on_the_gray_frames_and_the_previews_come_from_one_scale_in_the_cameras_ffmpeg()
    {
        await using var server = await RtspTestServer.StartAsync(size: "640x360", fps: 10, gop: 10);
        // the default GIF options (480 px, 4 fps) and motion at 5 fps: one scale to 480x270, split into both
        await using var host = await Host.StartAsync(server.Url, c => c with { Gif = new GifOptions() });
        var source = (StreamSource)host.Cam.Source;
        await WaitUntilAsync(() => source.ProcessId > 0 && host.Cam.GrayFrames.Sequence >= 15 && source.PreviewsDelivered >= 12, Wait,
            $"15 gray frames and 12 previews (camera {host.Cam.Status}: {host.Cam.LastError})");
        var cmdline = (await File.ReadAllTextAsync($"/proc/{source.ProcessId}/cmdline")).Split('\0');
        Assert.Single(cmdline, a => a == "-filter_complex");

        // the gray frames keep the height they had when scaled from the source: 320x180 for a 16:9 stream
        var buf = Array.Empty<byte>();
        Assert.True(host.Cam.GrayFrames.TryReadNewer(0, ref buf, out var w, out var h, out _, out _));
        Assert.Equal((320, 180), (w, h));
        var info = Lookback.Http.CameraEndpoints.DescribePreview(host.Cam)!;
        Assert.Equal(480, info.Width);
        // 5 gray frames for 4 previews, each branch at its own rate
        var (gray0, prev0, t0) = (host.Cam.GrayFrames.Sequence, source.PreviewsDelivered, DateTimeOffset.UtcNow);
        await WaitUntilAsync(() => DateTimeOffset.UtcNow - t0 >= TimeSpan.FromSeconds(4), Wait, "4 s");
        var secs = (DateTimeOffset.UtcNow - t0).TotalSeconds;
        double grays = host.Cam.GrayFrames.Sequence - gray0, previews = source.PreviewsDelivered - prev0;
        Assert.True(grays / secs >= 2.5 && previews / secs >= 2, $"{grays} gray frames and {previews} previews in {secs:0.0} s");
        Assert.InRange(grays / previews, 1.05, 1.6); // 5 : 4
        Assert.Null(host.Cam.LastError);
    }

    [Fact]
    public async Task Preview_frames_keep_at_most_as_long_as_the_packets_and_preview_seconds_0_keeps_none_so_gifs_decode_the_packets()
    {
        await using var server = await RtspTestServer.StartAsync(size: "320x240", fps: 10, gop: 10);
        await using (var shorter = await Host.StartAsync(server.Url, c => c with { BufferSeconds = 15, PreviewSeconds = 60 }))
            Assert.Equal(TimeSpan.FromSeconds(15), shorter.Cam.Previews!.Limits.MaxAge); // never longer than the packets
        await using var host = await Host.StartAsync(server.Url, c => c with { PreviewSeconds = 0 });
        await host.BufferedAsync(4);
        Assert.Null(host.Cam.Previews);
        var gif = await host.Render.SubmitAsync(new RenderRequest { Camera = "cam", Kind = RenderKind.Gif, Seconds = 3, Fps = 2, Width = 160 }, CancellationToken.None);
        Assert.True(gif.Ok, gif.Error);
        Assert.Equal(RenderResult.SourcePackets, gif.Source);
        Assert.Null(Lookback.Http.CameraEndpoints.DescribePreview(host.Cam));
    }

    private static async Task<List<string>> FramesMd5Async(string file)
    {
        var psi = new System.Diagnostics.ProcessStartInfo("ffmpeg") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { "-v", "error", "-i", file, "-f", "framemd5", "-" }) psi.ArgumentList.Add(a);
        using var p = System.Diagnostics.Process.Start(psi)!;
        var o = await p.StandardOutput.ReadToEndAsync();
        await p.WaitForExitAsync();
        return o.Split('\n').Where(l => l.Length > 0 && !l.StartsWith('#')).Select(l => l.Split(',')[^1].Trim()).ToList();
    }

    [Fact]
    public async Task A_kill_of_the_cameras_ffmpeg_inside_the_window_gives_a_valid_moment_that_says_gap()
    {
        await using var server = await RtspTestServer.StartAsync(size: "320x240", fps: 10, gop: 10);
        await using var host = await Host.StartAsync(server.Url);
        await host.BufferedAsync(4);
        var source = (StreamSource)host.Cam.Source;
        var pid = source.ProcessId;
        var killedAt = DateTimeOffset.UtcNow;
        System.Diagnostics.Process.GetProcessById(pid).Kill(); // SIGKILL
        await WaitUntilAsync(() => source.ProcessId != 0 && source.ProcessId != pid, Wait, "ffmpeg restarted");
        await WaitUntilAsync(() => host.Cam.Packets!.NewestTime > DateTimeOffset.UtcNow.AddSeconds(-1) && host.Cam.Packets.NewestTime > killedAt.AddSeconds(3),
            Wait, "packets of the new run");

        var r = await host.MomentAsync((DateTimeOffset.UtcNow - killedAt).TotalSeconds + 3, 0);
        Assert.True(r.Ok, r.Error);
        Assert.Equal(RenderResult.SourcePackets, r.Source);
        Assert.True(r.Gap);
        Assert.Contains("\"gap\":true", JsonSerializer.Serialize(r));
        var p = await ProbeAsync(r.Path!);
        Assert.True(p.Frames > 0);
        Assert.Equal("", await DecodeErrorsAsync(r.Path!));
        var covered = (r.End!.Value - r.Start!.Value).TotalSeconds;
        Assert.InRange(p.Frames, covered * 10 - 3, covered * 10 + 3); // one unbroken run: its frames and no more
    }

    [Fact]
    public async Task Memory_stays_within_max_buffer_bytes_under_a_20_Mbit_stream()
    {
        await using var server = await RtspTestServer.StartAsync(size: "640x360", fps: 10, gop: 10, pattern: "snow", bitrate: 20000);
        const long max = 6L * 1024 * 1024;
        await using var host = await Host.StartAsync(server.Url, c => c with { MaxBufferBytes = max });
        var ring = host.Cam.Packets!;
        var source = (StreamSource)host.Cam.Source;
        await WaitUntilAsync(() =>
        {
            Assert.True(ring.Bytes <= max, $"{ring.Bytes} bytes");
            var all = ring.Snapshot();
            if (all.Count > 0) Assert.True(all[0].Key);
            return source.PacketsDelivered > all.Count + 100 && ring.Bytes > max / 2; // full, and evicting
        }, Wait, $"a full ring evicting (camera {host.Cam.Status}: {host.Cam.LastError})");
        Assert.True(ring.NewestTime - ring.OldestTime < TimeSpan.FromSeconds(Lookback.Buffer.PacketRing.DefaultSeconds));
    }

    // MJPEG over RTSP: ffmpeg probes 20 frames for the frame rate before its first output (4 s at 5 fps), which the
    // stall watchdog (timeout 4 s) used to take for a stalled stream, killing ffmpeg before its first frame, forever.
    [Fact]
    public async Task Mjpeg_over_rtsp_falls_back_to_the_jpeg_frames_with_a_note_in_the_status()
    {
        await using var server = await RtspTestServer.StartAsync(codec: "mjpeg", size: "320x240", fps: 5);
        await using var host = await Host.StartAsync(server.Url);
        await WaitUntilAsync(() => host.Cam.Packets!.Unusable is not null && host.Cam.Ring.Count >= 3, Wait,
            $"the ring's note (camera {host.Cam.Status}: {host.Cam.LastError}; runs {((StreamSource)host.Cam.Source).Runs}, pid {((StreamSource)host.Cam.Source).ProcessId}, jpegs {((StreamSource)host.Cam.Source).FramesDelivered})");
        Assert.Contains("cannot cut", host.Cam.Packets!.Unusable);
        Assert.Equal(CameraStatus.Online, host.Cam.Status);
        Assert.Contains("cannot cut", Lookback.Http.CameraEndpoints.DescribePackets(host.Cam)!.Note);

        var r = await host.MomentAsync(2, 0);
        Assert.True(r.Ok, r.Error);
        Assert.Null(r.Source); // the JPEG frames
    }
}
