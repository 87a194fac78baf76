using System.Diagnostics;
using Lookback.Sources.Streaming;
using Lookback.Buffer;

namespace Lookback.Tests.Streams;

public class TsDemuxerTests
{
    /// <summary>MPEG-TS from real ffmpeg: 3 s of a 10 fps test pattern, a keyframe every 10 frames.</summary>
    private static async Task<byte[]> EncodeAsync(string encoder, int bframes)
    {
        var psi = new ProcessStartInfo("ffmpeg") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        var x265 = encoder == "libx265" ? new[] { "-x265-params", $"keyint=10:min-keyint=10:bframes={bframes}:log-level=error" } : ["-g", "10", "-bf", bframes.ToString()];
        foreach (var a in new[] { "-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i", "testsrc=size=160x120:rate=10", "-t", "3",
                     "-c:v", encoder, "-preset", "ultrafast" }.Concat(x265).Concat(["-f", "mpegts", "pipe:1"]))
            psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        using var ms = new MemoryStream();
        var err = p.StandardError.ReadToEndAsync();
        await p.StandardOutput.BaseStream.CopyToAsync(ms);
        await p.WaitForExitAsync();
        Assert.True(p.ExitCode == 0, await err);
        return ms.ToArray();
    }

    [Theory]
    [InlineData("libx264", 0, StreamCodec.H264)]
    [InlineData("libx264", 2, StreamCodec.H264)]
    [InlineData("libx265", 0, StreamCodec.H265)]
    public async Task Cuts_real_mpegts_into_access_units_with_keyframes_timestamps_and_parameter_sets(string encoder, int bframes, StreamCodec codec)
    {
        var ts = await EncodeAsync(encoder, bframes);
        var demux = new TsDemuxer();
        var units = new List<TsAccessUnit>();
        // odd chunk sizes: packets split across reads
        for (var o = 0; o < ts.Length; o += 1000) demux.Push(ts.AsSpan(o, Math.Min(1000, ts.Length - o)), units);
        demux.Flush(units);

        Assert.Equal(codec, demux.Codec);
        Assert.NotNull(demux.Header);
        Assert.Equal(30, units.Count);
        var keys = units.Select((u, i) => (u, i)).Where(x => x.u.Key).Select(x => x.i).ToList();
        Assert.Equal([0, 10, 20], keys);
        Assert.All(units.Where(u => u.Key), u => Assert.True(u.HasParameterSets));
        Assert.All(units, u => Assert.Equal([0, 0, 1], u.Pes[..3]));
        // DTS rises by one frame (9000 at 90 kHz) per unit; with B-frames PTS is reordered
        for (var i = 1; i < units.Count; i++) Assert.Equal(9000, units[i].Dts - units[i - 1].Dts);
        Assert.Equal(bframes > 0, units.Any(u => u.Pts != u.Dts));

        // packetized again behind the program tables, the units read back the same (what a remux feeds ffmpeg)
        var packetizer = new TsPacketizer(demux.VideoPid);
        var again = new List<byte>(demux.Header!);
        foreach (var u in units)
        {
            var buf = new byte[TsPacketizer.MaxBytes(u.Pes.Length)];
            again.AddRange(buf[..packetizer.Packetize(u.Pes, u.Key, buf)]);
        }
        var back = new List<TsAccessUnit>();
        var demux2 = new TsDemuxer();
        demux2.Push(again.ToArray(), back);
        demux2.Flush(back);
        Assert.Equal(units.Select(u => Convert.ToHexString(u.Pes)), back.Select(u => Convert.ToHexString(u.Pes)));
    }

    [Fact]
    public async Task Pes_packets_with_the_same_dts_or_continuing_the_picture_are_one_access_unit()
    {
        static byte[] Packet(bool start, byte[] payload)
        {
            var p = new byte[188];
            var packetizer = new TsPacketizer(0x100);
            packetizer.Packetize(payload, false, p);
            return p;
        }
        static byte[] Pes(long ts, params byte[] es)
        {
            var h = new byte[] { 0, 0, 1, 0xE0, 0, 0, 0x80, 0xC0, 10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 };
            void Put(int at, long v, byte marker)
            {
                h[at] = (byte)(marker | ((v >> 29) & 0x0E) | 1); h[at + 1] = (byte)(v >> 22); h[at + 2] = (byte)(((v >> 14) & 0xFE) | 1);
                h[at + 3] = (byte)(v >> 7); h[at + 4] = (byte)(((v << 1) & 0xFE) | 1);
            }
            Put(9, ts, 0x30); Put(14, ts, 0x10);
            return [.. h, .. es];
        }
        var ts = await TablesAsync();
        var demux = new TsDemuxer();
        var units = new List<TsAccessUnit>();
        demux.Push(ts, units); // PAT + PMT: H.264 on PID 256
        demux.Push(Packet(true, Pes(9000, 0, 0, 0, 1, 0x67, 0, 0, 0, 1, 0x68)), units); // SPS + PPS alone
        demux.Push(Packet(true, Pes(9000, 0, 0, 0, 1, 0x65, 0x88)), units); // the IDR, same time
        // the IDR's second slice (first_mb_in_slice 160: its first bit is 0) one tick later, behind an AUD and parameter sets
        demux.Push(Packet(true, Pes(9001, 0, 0, 0, 1, 0x09, 0xF0, 0, 0, 0, 1, 0x67, 0, 0, 0, 1, 0x65, 0x00, 0xA1)), units);
        demux.Push(Packet(true, Pes(18000, 0, 0, 0, 1, 0x41, 0x9A)), units);
        demux.Flush(units);
        Assert.Equal(2, units.Count);
        var es = units[0].Pes[19..];
        Assert.Equal(Convert.FromHexString("000000016700000001680000000165880000000165" + "00A1"), es); // its slice only
        Assert.True(units[0].Key);
        Assert.True(units[0].HasParameterSets);
        Assert.Equal(9000, units[0].Dts);
        Assert.False(units[1].Key);
    }

    /// <summary>The PAT and PMT (H.264 on PID 256) of an ffmpeg MPEG-TS.</summary>
    private static async Task<byte[]> TablesAsync()
    {
        var demux = new TsDemuxer();
        demux.Push(await EncodeAsync("libx264", 0), []);
        return demux.Header!;
    }

    [Fact]
    public async Task Resyncs_after_garbage_and_reports_a_stream_without_h264_or_h265_as_other()
    {
        var ts = await EncodeAsync("libx264", 0);
        var demux = new TsDemuxer();
        var units = new List<TsAccessUnit>();
        demux.Push(new byte[] { 1, 2, 3, 0x47, 9 }, units); // not a packet
        demux.Push(ts, units);
        Assert.InRange(units.Count, 20, 30); // the tables come again, the frames after them are found

        var psi = new ProcessStartInfo("ffmpeg") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { "-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i", "testsrc=size=160x120:rate=5", "-t", "1",
                     "-c:v", "mjpeg", "-f", "mpegts", "pipe:1" }) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        using var ms = new MemoryStream();
        await p.StandardOutput.BaseStream.CopyToAsync(ms);
        await p.WaitForExitAsync();
        var mjpeg = new TsDemuxer();
        units.Clear();
        mjpeg.Push(ms.ToArray(), units);
        Assert.Equal(StreamCodec.Other, mjpeg.Codec);
        Assert.Empty(units);
    }
}
