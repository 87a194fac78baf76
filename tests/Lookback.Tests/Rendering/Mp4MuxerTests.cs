using System.Diagnostics;
using System.Globalization;
using Lookback.Buffer;
using Lookback.Media.Rendering.Mp4;
using Lookback.Sources.Streaming;

namespace Lookback.Tests.Rendering;

/// <summary>The in-process MP4 muxer on real ffmpeg-encoded streams (through the packet ring's own intake), checked with ffprobe/ffmpeg.</summary>
public class Mp4MuxerTests
{
    private static async Task<(string Out, string Err, int Code)> RunAsync(string exe, params string[] args)
    {
        var psi = new ProcessStartInfo(exe) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var o = p.StandardOutput.ReadToEndAsync();
        var e = p.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await p.WaitForExitAsync(cts.Token);
        return (await o, await e, p.ExitCode);
    }

    /// <summary>A 3 s MPEG-TS from ffmpeg's test source, cut into ring packets the way a camera's stream is.</summary>
    private static async Task<PacketCut> CutAsync(string size, bool audio, params string[] codec)
    {
        var file = Path.Combine(Path.GetTempPath(), "mux-src-" + Guid.NewGuid().ToString("N")[..8] + ".ts");
        try
        {
            string[] input = ["-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i", $"testsrc=size={size}:rate=10"];
            if (audio) input = [.. input, "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=16000"];
            var r = await RunAsync("ffmpeg", [.. input, "-t", "3", .. codec, .. audio ? new[] { "-c:a", "aac", "-ac", "1" } : [],
                "-f", "mpegts", "-y", file]);
            Assert.True(r.Code == 0, r.Err);
            var ring = new PacketRing(TimeSpan.FromSeconds(60), 64L * 1024 * 1024);
            var ingest = new PacketIngest(ring, 1 << 22);
            var ts = await File.ReadAllBytesAsync(file);
            // padding after the stream completes its last access unit (the demuxer emits a unit when the next begins)
            ingest.Push(ts, DateTimeOffset.UtcNow);
            var packets = ring.Snapshot();
            Assert.NotEmpty(packets);
            return new PacketCut(packets, packets[0].Time, packets[^1].Time, TimeSpan.Zero, false);
        }
        finally { File.Delete(file); }
    }

    private static async Task<(string File, Mp4Muxer.Result Result)> MuxAsync(PacketCut cut)
    {
        var file = Path.Combine(Path.GetTempPath(), "mux-" + Guid.NewGuid().ToString("N")[..8] + ".mp4");
        await using var fs = File.Create(file);
        var result = Mp4Muxer.Write(cut, fs);
        return (file, result);
    }

    private static async Task<Dictionary<string, string>> ProbeAsync(string file, string stream)
    {
        var r = await RunAsync("ffprobe", "-v", "error", "-count_frames", "-select_streams", stream, "-show_entries",
            "stream=codec_name,codec_tag_string,width,height,nb_read_frames,avg_frame_rate,sample_rate,channels:format=duration",
            "-of", "default=nw=1", file);
        Assert.True(r.Code == 0, r.Err);
        return r.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split('=', 2)).Where(f => f.Length == 2)
            .GroupBy(f => f[0]).ToDictionary(g => g.Key, g => g.First()[1]);
    }

    private static async Task<string> DecodeErrorsAsync(string file)
    {
        var r = await RunAsync("ffmpeg", "-v", "error", "-xerror", "-i", file, "-f", "null", "-");
        return r.Code == 0 ? r.Err.Trim() : "exit " + r.Code + ": " + r.Err;
    }

    [Theory]
    [InlineData("h264", "320x180", "avc1", new[] { "-c:v", "libx264", "-preset", "ultrafast", "-g", "10", "-bf", "0" })]
    [InlineData("h264", "320x240", "avc1", new[] { "-c:v", "libx264", "-preset", "ultrafast", "-g", "10", "-bf", "2", "-x264-params", "b-adapt=0", "-pix_fmt", "yuv420p" })]
    [InlineData("hevc", "320x180", "hvc1", new[] { "-c:v", "libx265", "-preset", "ultrafast", "-x265-params", "keyint=10:log-level=error", "-pix_fmt", "yuv420p" })]
    public async Task Muxes_every_video_frame_at_the_stream_size_and_decodes_cleanly(string codec, string size, string tag, string[] args)
    {
        var cut = await CutAsync(size, false, args);
        var (file, result) = await MuxAsync(cut);
        try
        {
            var videoPackets = cut.Packets.Count(p => !p.Audio);
            Assert.Equal(videoPackets, result.Frames);
            var p = await ProbeAsync(file, "v:0");
            Assert.Equal(codec, p["codec_name"]);
            Assert.Equal(tag, p["codec_tag_string"]);
            Assert.Equal(size, $"{p["width"]}x{p["height"]}");
            Assert.Equal($"{result.Width}x{result.Height}", size);
            Assert.Equal(videoPackets.ToString(CultureInfo.InvariantCulture), p["nb_read_frames"]);
            Assert.Equal("10/1", p["avg_frame_rate"]);
            var duration = double.Parse(p["duration"], CultureInfo.InvariantCulture);
            // B-frames: the cut may end at a reference frame whose B-frames (shown before it) had not arrived: up to 2 frames more
            var slack = args.Contains("-bf") && args[Array.IndexOf(args, "-bf") + 1] != "0" ? 0.31 : 0.11;
            Assert.InRange(duration, videoPackets / 10.0 - 0.11, videoPackets / 10.0 + slack);
            Assert.Equal("", await DecodeErrorsAsync(file));
            // the moov comes before the mdat (faststart)
            var head = (await File.ReadAllBytesAsync(file)).AsSpan(0, 64).ToArray();
            Assert.Equal("moov", System.Text.Encoding.ASCII.GetString(head, BitConverter.ToInt32(head.AsSpan(0, 4).ToArray().Reverse().ToArray()) + 4, 4));
        }
        finally { File.Delete(file); }
    }

    [Fact]
    public async Task Copies_aac_audio_beside_the_video()
    {
        var cut = await CutAsync("320x180", true, "-c:v", "libx264", "-preset", "ultrafast", "-g", "10", "-bf", "0");
        Assert.True(cut.HasAudio);
        var (file, result) = await MuxAsync(cut);
        try
        {
            Assert.True(result.Audio);
            var a = await ProbeAsync(file, "a:0");
            Assert.Equal("aac", a["codec_name"]);
            Assert.Equal("16000", a["sample_rate"]);
            Assert.Equal("1", a["channels"]);
            Assert.True(int.Parse(a["nb_read_frames"], CultureInfo.InvariantCulture) >= 30, "AAC frames: " + a["nb_read_frames"]); // ≥ 2 s of 64 ms frames
            Assert.Equal("", await DecodeErrorsAsync(file));
        }
        finally { File.Delete(file); }
    }

    [Fact]
    public void Parses_the_cropped_size_of_a_1080p_h264_sps()
    {
        // x264's SPS of a 1920x1080 stream (ultrafast, 4:2:0): 120x68 macroblocks, cropped by 8 lines at the bottom
        var sps = Convert.FromHexString("6742C028DA01E0089F97011000000300100000030140F1832A");
        var info = NalParameters.H264Sps(sps);
        Assert.Equal((1920, 1080), (info.Width, info.Height));
        Assert.Equal(1, info.ChromaFormat);
    }

    [Fact]
    public void A_packet_that_is_not_pes_is_a_mux_error_not_a_crash() =>
        Assert.Throws<Mp4MuxException>(() => Mp4Muxer.Pes([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]));
}
