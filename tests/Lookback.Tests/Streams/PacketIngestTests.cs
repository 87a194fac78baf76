using System.Diagnostics;
using Lookback.Buffer;
using Lookback.Sources.Streaming;

namespace Lookback.Tests.Streams;

/// <summary>The packet ring's intake (pure): what it takes, and the status note when it cannot serve a stream.</summary>
public class PacketIngestTests
{
    private static async Task<byte[]> FfmpegTsAsync(params string[] codec)
    {
        var psi = new ProcessStartInfo("ffmpeg") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { "-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i", "testsrc=size=160x120:rate=10", "-t", "2" }
                     .Concat(codec).Concat(["-f", "mpegts", "pipe:1"]))
            psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        using var ms = new MemoryStream();
        var err = p.StandardError.ReadToEndAsync();
        await p.StandardOutput.BaseStream.CopyToAsync(ms);
        await p.WaitForExitAsync();
        Assert.True(p.ExitCode == 0, await err);
        return ms.ToArray();
    }

    private static Task<byte[]> H264Async() => FfmpegTsAsync("-c:v", "libx264", "-preset", "ultrafast", "-g", "10");

    private static PacketRing Ring() => new(TimeSpan.FromSeconds(60), 64L * 1024 * 1024);

    [Fact]
    public async Task Takes_h264_with_timestamps_into_the_ring_from_its_first_keyframe()
    {
        var ring = Ring();
        var ingest = new PacketIngest(ring, 1 << 20);
        var ts = await H264Async();
        var taken = 0;
        for (var o = 0; o < ts.Length; o += 4096) taken += ingest.Push(ts.AsSpan(o, Math.Min(4096, ts.Length - o)), DateTimeOffset.UtcNow);
        Assert.InRange(taken, 18, 20); // the last unit is complete only when the next begins
        Assert.Equal(taken, ring.Count);
        Assert.True(ring.Snapshot()[0].Key);
        Assert.Null(ring.Unusable);
    }

    [Fact]
    public async Task A_codec_it_cannot_cut_leaves_the_ring_empty_with_a_note()
    {
        var ring = Ring();
        var ingest = new PacketIngest(ring, 1 << 20);
        Assert.Equal(0, ingest.Push(await FfmpegTsAsync("-c:v", "mjpeg"), DateTimeOffset.UtcNow));
        Assert.Equal(0, ring.Count);
        Assert.StartsWith(PacketIngest.CannotCutNote, ring.Unusable);
        Assert.Contains("JPEG frames", ring.Unusable);
    }

    [Fact]
    public async Task A_stream_without_timestamps_leaves_the_ring_empty_with_a_note_and_timed_packets_clear_it()
    {
        // the units of a real H.264 stream, their PES headers stripped of PTS and DTS
        var real = new TsDemuxer();
        var units = new List<TsAccessUnit>();
        var h264 = await H264Async();
        real.Push(h264, units);
        var untimed = new List<byte>(real.Header!);
        var packetizer = new TsPacketizer(real.VideoPid);
        foreach (var u in units)
        {
            byte[] pes = [0, 0, 1, 0xE0, 0, 0, 0x80, 0x00, 0, .. u.Pes.AsSpan(9 + u.Pes[8])];
            var buf = new byte[TsPacketizer.MaxBytes(pes.Length)];
            untimed.AddRange(buf[..packetizer.Packetize(pes, u.Key, buf)]);
        }

        var ring = Ring();
        var ingest = new PacketIngest(ring, 1 << 20);
        Assert.Equal(0, ingest.Push(untimed.ToArray(), DateTimeOffset.UtcNow));
        Assert.Equal(0, ring.Count);
        Assert.Equal(PacketIngest.NoTimestampsNote, ring.Unusable);

        // a new ffmpeg run with a timed stream: the ring serves again
        Assert.True(new PacketIngest(ring, 1 << 20).Push(h264, DateTimeOffset.UtcNow) > 0);
        Assert.Null(ring.Unusable);
    }

    [Fact]
    public async Task Aac_audio_goes_into_the_ring_beside_the_video_and_other_audio_asks_for_a_transcode()
    {
        string[] video = ["-map", "0:v", "-map", "1:a", "-t", "2", "-c:v", "libx264", "-preset", "ultrafast", "-g", "10"];
        var ring = Ring();
        var ingest = new PacketIngest(ring, 1 << 20);
        ingest.Push(await FfmpegTsAsync([.. AudioInput, .. video, "-c:a", "aac"]), DateTimeOffset.UtcNow);
        Assert.True(ingest.HasAac);
        Assert.False(ingest.AudioNeedsTranscode);
        var all = ring.Snapshot();
        var audio = all.Where(p => p.Audio).ToList();
        Assert.NotEmpty(audio);
        Assert.All(audio, p => Assert.False(p.Key));
        Assert.NotEqual(all[0].Pid, audio[0].Pid);
        // dated on the video's clock: the audio spans about the video's 2 s
        Assert.InRange((audio[^1].Time - all[0].Time).TotalSeconds, 1.3, 2.3);
        var cut = ring.Cut(all[0].Time, all[^1].Time)!;
        Assert.True(cut.HasAudio);
        Assert.False(cut.Packets[0].Audio);

        var alaw = Ring();
        var other = new PacketIngest(alaw, 1 << 20);
        other.Push(await FfmpegTsAsync([.. AudioInput, .. video, "-c:a", "pcm_alaw"]), DateTimeOffset.UtcNow);
        Assert.True(other.AudioNeedsTranscode);
        Assert.DoesNotContain(alaw.Snapshot(), p => p.Audio);
        Assert.True(alaw.Count > 0);
    }

    private static readonly string[] AudioInput = ["-f", "lavfi", "-i", "sine=r=8000:d=2"];
}
