using System.Buffers.Binary;
using System.Text;
using Lookback.Buffer;
using Lookback.Sources.Streaming;

namespace Lookback.Media.Rendering.Mp4;

/// <summary>
/// An in-process MP4 (ISO BMFF) muxer for a <see cref="PacketCut"/>: the stream's H.264/H.265 access units (Annex B
/// in PES packets) and its AAC frames (ADTS) copied into one file with the <c>moov</c> first (what
/// <c>-movflags +faststart</c> gives), <c>hvc1</c> sample entries for H.265 (iPhones play them), an edit list so that
/// B-frame streams start at their first presented frame, timestamps from the PES headers (90 kHz). No process start:
/// a 10 s 1080p moment takes milliseconds instead of ffmpeg's start-up, probe and second faststart pass.
/// Pure apart from the stream written to. Anything it cannot read throws <see cref="Mp4MuxException"/> (the caller
/// uses ffmpeg then).
/// </summary>
public static class Mp4Muxer
{
    private const int VideoTimescale = 90000;
    private const int MovieTimescale = 1000;
    private const long PtsWrap = 1L << 33;

    /// <summary>What was written: frames, picture size, the file's bytes.</summary>
    public sealed record Result(int Frames, int Width, int Height, long Bytes, bool Audio);

    /// <summary>A video sample: its access unit's elementary stream (a view of the ring's packet, not copied) and the size it
    /// has in the MP4 (<see cref="WriteSample"/> writes it into mdat straight from there).</summary>
    private sealed record Sample(ReadOnlyMemory<byte> Es, int Size, long Dts, long Pts, bool Key);

    /// <summary>Writes the cut as an MP4 to <paramref name="output"/>.</summary>
    public static Result Write(PacketCut cut, Stream output)
    {
        if (cut.Codec is not (StreamCodec.H264 or StreamCodec.H265)) throw new Mp4MuxException($"cannot mux {cut.Codec} video");
        var hevc = cut.Codec == StreamCodec.H265;
        var video = new List<Sample>();
        byte[]? vps = null, sps = null, pps = null;
        long? firstTs = null;
        long Unwrap(long ts)
        {
            firstTs ??= ts;
            var d = (ts - firstTs.Value) % PtsWrap;
            if (d < -PtsWrap / 2) d += PtsWrap;
            else if (d > PtsWrap / 2) d -= PtsWrap;
            return d;
        }
        var audioFrames = new List<(byte[] Data, long Pts)>();
        byte[]? audioConfig = null;
        int audioRate = 0, audioChannels = 0;
        var audioPackets = new List<(ReadOnlyMemory<byte> Es, long Pts)>();
        foreach (var p in cut.Packets)
        {
            var (es, pts, dts) = Pes(p.Data);
            if (pts is null) throw new Mp4MuxException("a packet without a timestamp");
            if (p.Audio) { audioPackets.Add((es, pts.Value)); continue; }
            var d = Unwrap(dts ?? pts.Value);
            var size = SampleSize(es.Span, hevc, ref vps, ref sps, ref pps);
            if (size > 0) video.Add(new Sample(es, size, d, Unwrap(pts.Value), p.Key));
        }
        if (video.Count == 0 || sps is null || pps is null || (hevc && vps is null)) throw new Mp4MuxException("no parameter sets in front of the first keyframe");
        foreach (var (es, pts) in audioPackets)
        {
            var t = Unwrap(pts);
            var span = es.Span;
            for (var o = 0; o + 7 <= span.Length;)
            {
                var (header, length, asc, rate, channels) = NalParameters.Adts(span[o..]);
                if (o + length > span.Length) break;
                audioConfig ??= asc;
                if (audioRate == 0) { audioRate = rate; audioChannels = channels; }
                audioFrames.Add((span.Slice(o + header, length - header).ToArray(), t));
                t += 1024L * VideoTimescale / rate;
                o += length;
            }
        }

        SpsInfo info;
        byte[] config;
        if (hevc)
        {
            info = NalParameters.H265Sps(sps).Info;
            config = NalParameters.HvcC(vps!, sps, pps);
        }
        else
        {
            info = NalParameters.H264Sps(sps);
            config = NalParameters.AvcC(sps, pps, info);
        }

        // video timing: decode times from the first sample, durations to the next; the presentation starts at the earliest pts
        var durations = new long[video.Count];
        for (var i = 0; i + 1 < video.Count; i++) durations[i] = Math.Max(1, video[i + 1].Dts - video[i].Dts);
        durations[^1] = video.Count > 1 ? durations[^2] : VideoTimescale / 25;
        var dts0 = video[0].Dts;
        var minPts = video.Min(s => s.Pts);
        var maxEnd = video.Select((s, i) => s.Pts + durations[i]).Max();
        var videoMediaDuration = video[^1].Dts + durations[^1] - dts0;

        // audio: the frames from the video's first presented frame on
        var audio = audioConfig is null ? [] : audioFrames.Where(a => a.Pts >= minPts).ToList();
        var hasAudio = audio.Count > 0;

        // mdat order: interleaved by time
        var order = new List<(bool Audio, int Index)>(video.Count + audio.Count);
        int vi = 0, ai = 0;
        while (vi < video.Count || ai < audio.Count)
        {
            if (ai >= audio.Count || (vi < video.Count && video[vi].Dts <= audio[ai].Pts)) order.Add((false, vi++));
            else order.Add((true, ai++));
        }
        long mdatPayload = video.Sum(s => (long)s.Size) + audio.Sum(a => (long)a.Data.Length);
        if (mdatPayload > uint.MaxValue - 1024 * 1024) throw new Mp4MuxException("moment too large for a 32-bit MP4");

        var ftyp = Box("ftyp", b =>
        {
            b.Write(Encoding.ASCII.GetBytes("isom"));
            U32(b, 512);
            foreach (var brand in new[] { "isom", "iso2", hevc ? "hvc1" : "avc1", "mp41" }) b.Write(Encoding.ASCII.GetBytes(brand));
        });

        byte[] BuildMoov(long mdatStart)
        {
            var videoOffsets = new long[video.Count];
            var audioOffsets = new long[audio.Count];
            var at = mdatStart;
            foreach (var (isAudio, i) in order)
            {
                if (isAudio) { audioOffsets[i] = at; at += audio[i].Data.Length; }
                else { videoOffsets[i] = at; at += video[i].Size; }
            }
            var movieDuration = ToMovie(maxEnd - minPts, VideoTimescale);
            return Box("moov", m =>
            {
                m.Write(FullBox("mvhd", 0, 0, b =>
                {
                    U32(b, 0); U32(b, 0); U32(b, MovieTimescale); U32(b, (uint)movieDuration);
                    U32(b, 0x00010000); U16(b, 0x0100); b.Write(new byte[10]);
                    Matrix(b);
                    b.Write(new byte[24]);
                    U32(b, hasAudio ? 3u : 2u);
                }));
                m.Write(VideoTrak(video, durations, videoOffsets, info, config, hevc, minPts - dts0, movieDuration, videoMediaDuration));
                if (hasAudio)
                {
                    var delay = ToMovie(audio[0].Pts - minPts, VideoTimescale);
                    m.Write(AudioTrak(audio, audioOffsets, audioConfig!, audioRate, audioChannels, delay, movieDuration));
                }
            });
        }

        var moovSize = BuildMoov(0).Length;
        var moov = BuildMoov(ftyp.Length + moovSize + 8);
        output.Write(ftyp);
        output.Write(moov);
        Span<byte> mdatHeader = stackalloc byte[8];
        BinaryPrimitives.WriteUInt32BigEndian(mdatHeader, (uint)(mdatPayload + 8));
        "mdat"u8.CopyTo(mdatHeader[4..]);
        output.Write(mdatHeader);
        foreach (var (isAudio, i) in order)
        {
            if (isAudio) output.Write(audio[i].Data);
            else WriteSample(output, video[i].Es.Span, hevc, vps, sps!, pps!);
        }
        return new Result(video.Count, info.Width, info.Height, ftyp.Length + moov.Length + 8 + mdatPayload, hasAudio);
    }

    private static long ToMovie(long ticks, int timescale) => (ticks * MovieTimescale + timescale / 2) / timescale;

    /// <summary>The elementary stream of a PES packet and its PTS/DTS (90 kHz).</summary>
    public static (ReadOnlyMemory<byte> Es, long? Pts, long? Dts) Pes(byte[] pes) => Pes(pes.AsMemory());

    /// <summary>The elementary stream of a PES packet (a view of it) and its PTS/DTS (90 kHz).</summary>
    public static (ReadOnlyMemory<byte> Es, long? Pts, long? Dts) Pes(ReadOnlyMemory<byte> memory)
    {
        var pes = memory.Span;
        if (pes.Length < 9 || pes[0] != 0 || pes[1] != 0 || pes[2] != 1) throw new Mp4MuxException("not a PES packet");
        var flags = (pes[7] >> 6) & 3;
        var start = 9 + pes[8];
        if (start > pes.Length) throw new Mp4MuxException("PES header longer than its packet");
        long? pts = flags >= 2 && pes.Length >= 14 ? Ts(pes[9..]) : null;
        long? dts = flags == 3 && pes.Length >= 19 ? Ts(pes[14..]) : null;
        return (memory[start..], pts, dts);
    }

    private static long Ts(ReadOnlySpan<byte> b) =>
        ((long)(b[0] >> 1) & 7) << 30 | (long)b[1] << 22 | (long)(b[2] >> 1) << 15 | (long)b[3] << 7 | (long)(b[4] >> 1);

    /// <summary>
    /// The size of one access unit as an MP4 sample (4-byte lengths instead of start codes; access unit delimiters and
    /// parameter sets dropped: the first ones go into the sample entry, kept here; a changed one stays in the sample).
    /// </summary>
    private static int SampleSize(ReadOnlySpan<byte> es, bool hevc, ref byte[]? vps, ref byte[]? sps, ref byte[]? pps)
    {
        var size = 0;
        foreach (var (s, l) in Nals(es))
        {
            var nal = es.Slice(s, l);
            switch (Kind(nal, hevc))
            {
                case NalKind.Delimiter: continue;
                case NalKind.Vps when vps is null: vps = nal.ToArray(); continue;
                case NalKind.Sps when sps is null: sps = nal.ToArray(); continue;
                case NalKind.Pps when pps is null: pps = nal.ToArray(); continue;
            }
            if (!Dropped(nal, hevc, vps, sps, pps)) size += 4 + nal.Length;
        }
        return size;
    }

    /// <summary>Writes the sample <see cref="SampleSize"/> measured (with the sample entry's parameter sets, then final).</summary>
    private static void WriteSample(Stream output, ReadOnlySpan<byte> es, bool hevc, byte[]? vps, byte[] sps, byte[] pps)
    {
        Span<byte> len = stackalloc byte[4];
        foreach (var (s, l) in Nals(es))
        {
            var nal = es.Slice(s, l);
            if (Dropped(nal, hevc, vps, sps, pps)) continue;
            BinaryPrimitives.WriteInt32BigEndian(len, nal.Length);
            output.Write(len);
            output.Write(nal);
        }
    }

    private enum NalKind { Other, Delimiter, Vps, Sps, Pps }

    private static NalKind Kind(ReadOnlySpan<byte> nal, bool hevc)
    {
        var type = hevc ? (nal[0] >> 1) & 0x3F : nal[0] & 0x1F;
        return hevc
            ? type switch { 35 => NalKind.Delimiter, 32 => NalKind.Vps, 33 => NalKind.Sps, 34 => NalKind.Pps, _ => NalKind.Other }
            : type switch { 9 => NalKind.Delimiter, 7 => NalKind.Sps, 8 => NalKind.Pps, _ => NalKind.Other };
    }

    /// <summary>An access unit delimiter, or a parameter set equal to the sample entry's one (the first ones seen).</summary>
    private static bool Dropped(ReadOnlySpan<byte> nal, bool hevc, byte[]? vps, byte[]? sps, byte[]? pps) => Kind(nal, hevc) switch
    {
        NalKind.Delimiter => true,
        NalKind.Vps => vps is not null && nal.SequenceEqual(vps),
        NalKind.Sps => sps is not null && nal.SequenceEqual(sps),
        NalKind.Pps => pps is not null && nal.SequenceEqual(pps),
        _ => false,
    };

    /// <summary>The NAL units of an Annex B stream: (start, length) without start codes and trailing zero bytes.</summary>
    public static List<(int Start, int Length)> Nals(ReadOnlySpan<byte> es)
    {
        var starts = new List<int>();
        for (var i = 0; i + 2 < es.Length; i++)
            if (es[i] == 0 && es[i + 1] == 0 && es[i + 2] == 1) { starts.Add(i + 3); i += 2; }
        var list = new List<(int, int)>(starts.Count);
        for (var k = 0; k < starts.Count; k++)
        {
            var end = k + 1 < starts.Count ? starts[k + 1] - 3 : es.Length;
            while (end > starts[k] && es[end - 1] == 0) end--;
            if (end > starts[k]) list.Add((starts[k], end - starts[k]));
        }
        return list;
    }

    private static byte[] VideoTrak(List<Sample> s, long[] durations, long[] offsets, SpsInfo info, byte[] config, bool hevc,
        long mediaStart, long movieDuration, long mediaDuration) => Box("trak", t =>
    {
        t.Write(Tkhd(1, movieDuration, info.Width, info.Height, audio: false));
        t.Write(Edts([(movieDuration, mediaStart)]));
        t.Write(Box("mdia", m =>
        {
            m.Write(Mdhd(VideoTimescale, mediaDuration));
            m.Write(Hdlr("vide", "VideoHandler"));
            m.Write(Box("minf", mi =>
            {
                mi.Write(FullBox("vmhd", 0, 1, b => b.Write(new byte[8])));
                mi.Write(Dinf());
                mi.Write(Box("stbl", st =>
                {
                    st.Write(FullBox("stsd", 0, 0, b =>
                    {
                        U32(b, 1);
                        b.Write(Box(hevc ? "hvc1" : "avc1", e =>
                        {
                            e.Write(new byte[6]); U16(e, 1);
                            e.Write(new byte[16]);
                            U16(e, (ushort)info.Width); U16(e, (ushort)info.Height);
                            U32(e, 0x00480000); U32(e, 0x00480000); U32(e, 0); U16(e, 1);
                            e.Write(new byte[32]);
                            U16(e, 0x0018); U16(e, 0xFFFF);
                            e.Write(Box(hevc ? "hvcC" : "avcC", c => c.Write(config)));
                        }));
                    }));
                    st.Write(Stts(durations));
                    var offsetsCts = s.Select(x => x.Pts - x.Dts).ToArray();
                    if (offsetsCts.Any(o => o != 0)) st.Write(Ctts(offsetsCts));
                    st.Write(FullBox("stss", 0, 0, b =>
                    {
                        var keys = Enumerable.Range(0, s.Count).Where(i => s[i].Key).ToList();
                        U32(b, (uint)keys.Count);
                        foreach (var k in keys) U32(b, (uint)k + 1);
                    }));
                    st.Write(Stsc());
                    st.Write(Stsz(s.Select(x => x.Size).ToArray()));
                    st.Write(Stco(offsets));
                }));
            }));
        }));
    });

    private static byte[] AudioTrak(List<(byte[] Data, long Pts)> a, long[] offsets, byte[] asc, int rate, int channels, long delay,
        long movieDuration) => Box("trak", t =>
    {
        var mediaDuration = 1024L * a.Count;
        var audioMovie = ToMovie(mediaDuration, rate);
        t.Write(Tkhd(2, Math.Min(movieDuration, delay + audioMovie), 0, 0, audio: true));
        t.Write(Edts(delay > 0 ? [(delay, -1), (audioMovie, 0)] : [(audioMovie, 0)]));
        t.Write(Box("mdia", m =>
        {
            m.Write(Mdhd(rate, mediaDuration));
            m.Write(Hdlr("soun", "SoundHandler"));
            m.Write(Box("minf", mi =>
            {
                mi.Write(FullBox("smhd", 0, 0, b => U32(b, 0)));
                mi.Write(Dinf());
                mi.Write(Box("stbl", st =>
                {
                    st.Write(FullBox("stsd", 0, 0, b =>
                    {
                        U32(b, 1);
                        b.Write(Box("mp4a", e =>
                        {
                            e.Write(new byte[6]); U16(e, 1);
                            e.Write(new byte[8]);
                            U16(e, (ushort)Math.Max(1, channels)); U16(e, 16); U32(e, 0);
                            U32(e, (uint)rate << 16);
                            e.Write(Esds(asc));
                        }));
                    }));
                    st.Write(FullBox("stts", 0, 0, b => { U32(b, 1); U32(b, (uint)a.Count); U32(b, 1024); }));
                    st.Write(Stsc());
                    st.Write(Stsz(a.Select(x => x.Data.Length).ToArray()));
                    st.Write(Stco(offsets));
                }));
            }));
        }));
    });

    private static byte[] Esds(byte[] asc) => FullBox("esds", 0, 0, b =>
    {
        byte[] dsi = [0x05, (byte)asc.Length, .. asc];
        byte[] dcd = [0x04, (byte)(13 + dsi.Length), 0x40, 0x15, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, .. dsi];
        byte[] sl = [0x06, 1, 2];
        byte[] es = [0x03, (byte)(3 + dcd.Length + sl.Length), 0, 2, 0, .. dcd, .. sl];
        b.Write(es);
    });

    private static byte[] Tkhd(uint id, long duration, int width, int height, bool audio) => FullBox("tkhd", 0, 3, b =>
    {
        U32(b, 0); U32(b, 0); U32(b, id); U32(b, 0); U32(b, (uint)duration);
        b.Write(new byte[8]); U16(b, 0); U16(b, audio ? (ushort)1 : (ushort)0); U16(b, audio ? (ushort)0x0100 : (ushort)0); U16(b, 0);
        Matrix(b);
        U32(b, (uint)width << 16); U32(b, (uint)height << 16);
    });

    private static byte[] Edts((long Duration, long MediaTime)[] entries) => Box("edts", e => e.Write(FullBox("elst", 0, 0, b =>
    {
        U32(b, (uint)entries.Length);
        foreach (var (d, t) in entries) { U32(b, (uint)d); U32(b, (uint)(int)t); U16(b, 1); U16(b, 0); }
    })));

    private static byte[] Mdhd(int timescale, long duration) => FullBox("mdhd", 0, 0, b =>
    {
        U32(b, 0); U32(b, 0); U32(b, (uint)timescale); U32(b, (uint)duration); U16(b, 0x55C4); U16(b, 0);
    });

    private static byte[] Hdlr(string type, string name) => FullBox("hdlr", 0, 0, b =>
    {
        U32(b, 0); b.Write(Encoding.ASCII.GetBytes(type)); b.Write(new byte[12]); b.Write(Encoding.ASCII.GetBytes(name)); b.WriteByte(0);
    });

    private static byte[] Dinf() => Box("dinf", d => d.Write(FullBox("dref", 0, 0, b => { U32(b, 1); b.Write(FullBox("url ", 0, 1, _ => { })); })));

    private static byte[] Stts(long[] durations) => FullBox("stts", 0, 0, b =>
    {
        var runs = new List<(uint Count, uint Delta)>();
        foreach (var d in durations)
            if (runs.Count > 0 && runs[^1].Delta == (uint)d) runs[^1] = (runs[^1].Count + 1, runs[^1].Delta);
            else runs.Add((1, (uint)d));
        U32(b, (uint)runs.Count);
        foreach (var (c, d) in runs) { U32(b, c); U32(b, d); }
    });

    private static byte[] Ctts(long[] offsets)
    {
        var signed = offsets.Any(o => o < 0);
        return FullBox("ctts", signed ? (byte)1 : (byte)0, 0, b =>
        {
            var runs = new List<(uint Count, long Offset)>();
            foreach (var o in offsets)
                if (runs.Count > 0 && runs[^1].Offset == o) runs[^1] = (runs[^1].Count + 1, o);
                else runs.Add((1, o));
            U32(b, (uint)runs.Count);
            foreach (var (c, o) in runs) { U32(b, c); U32(b, (uint)(int)o); }
        });
    }

    private static byte[] Stsc() => FullBox("stsc", 0, 0, b => { U32(b, 1); U32(b, 1); U32(b, 1); U32(b, 1); }); // one sample per chunk

    private static byte[] Stsz(int[] sizes) => FullBox("stsz", 0, 0, b =>
    {
        U32(b, 0); U32(b, (uint)sizes.Length);
        foreach (var s in sizes) U32(b, (uint)s);
    });

    private static byte[] Stco(long[] offsets) => FullBox("stco", 0, 0, b =>
    {
        U32(b, (uint)offsets.Length);
        foreach (var o in offsets) U32(b, (uint)o);
    });

    private static void Matrix(MemoryStream b)
    {
        foreach (var v in new uint[] { 0x00010000, 0, 0, 0, 0x00010000, 0, 0, 0, 0x40000000 }) U32(b, v);
    }

    private static byte[] Box(string type, Action<MemoryStream> body)
    {
        var b = new MemoryStream();
        b.Write(new byte[4]);
        b.Write(Encoding.ASCII.GetBytes(type));
        body(b);
        var a = b.ToArray();
        BinaryPrimitives.WriteUInt32BigEndian(a, (uint)a.Length);
        return a;
    }

    private static byte[] FullBox(string type, byte version, uint flags, Action<MemoryStream> body) => Box(type, b =>
    {
        U32(b, (uint)version << 24 | flags);
        body(b);
    });

    private static void U32(MemoryStream b, uint v) { Span<byte> s = stackalloc byte[4]; BinaryPrimitives.WriteUInt32BigEndian(s, v); b.Write(s); }
    private static void U16(MemoryStream b, ushort v) { Span<byte> s = stackalloc byte[2]; BinaryPrimitives.WriteUInt16BigEndian(s, v); b.Write(s); }
}
