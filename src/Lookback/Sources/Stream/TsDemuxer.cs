using Lookback.Buffer;

namespace Lookback.Sources.Streaming;

/// <summary>
/// One video access unit (one frame) as cut from MPEG-TS: its whole PES packet (header and Annex-B data; a remux
/// packetizes it again behind the program tables, see <see cref="TsPacketizer"/>), its 90 kHz timestamps and whether
/// it starts a decodable GOP.
/// </summary>
/// <remarks>Audio units (<see cref="Audio"/>) are whole audio PES packets (several frames each), never keys.</remarks>
public sealed record TsAccessUnit(byte[] Pes, long? Pts, long? Dts, bool Key, bool HasParameterSets, bool Audio = false);

/// <summary>
/// An access unit as the demuxer hands it on without a copy: <see cref="Pes"/> is a view of the demuxer's reused
/// reassembly buffer, valid only during the call (copy what is kept, e.g. into a <see cref="PacketRing"/>'s slab).
/// </summary>
public readonly record struct TsUnitView(ReadOnlyMemory<byte> Pes, long? Pts, long? Dts, bool Key, bool HasParameterSets, bool Audio = false)
{
    public TsAccessUnit ToUnit() => new(Pes.ToArray(), Pts, Dts, Key, HasParameterSets, Audio);
}

/// <summary>
/// A small pure MPEG-TS demuxer for the stream-copied video that the camera's ffmpeg writes (<c>-c:v copy -f mpegts</c>):
/// reads the PAT and PMT, follows the first video stream, and cuts its PES packets into access units. Keyframes are
/// found from the NAL unit types (H.264 IDR, H.265 IRAP), parameter sets (SPS/PPS, VPS) likewise. A PES packet that
/// continues the previous picture (its first slice is not the picture's first: ffmpeg's RTSP input hands on the second
/// slice of a multi-slice keyframe as a packet of its own, one tick later) or has the same DTS is merged into the
/// previous unit (its slices only), so a unit is emitted once the next one begins. No I/O; bytes may
/// arrive in any chunking; lost sync is recovered at the next 0x47 sync byte. The program's first other stream is taken
/// as its audio (the camera's ffmpeg maps at most one): its PES packets come out as audio units.
/// Memory: PES packets are reassembled in two reused buffers (the unit being collected and the one pending a possible
/// merge, swapped when a new unit begins) and handed on as views (<see cref="TsUnitView"/>): no array per access unit.
/// </summary>
public sealed class TsDemuxer
{
    public const int PacketSize = 188;

    private readonly byte[] _partial = new byte[PacketSize];
    private int _partialLength;
    private int _pmtPid = -1;
    private byte[]? _pat, _pmt;
    private bool _inUnit;
    private MemoryStream _unitPayload = new();
    // the previous unit, held until the next begins (a continuation is merged into it): bytes in _pendingPes
    private MemoryStream _pendingPes = new();
    private bool _hasPending;
    private long? _pendingPts, _pendingDts;
    private bool _pendingKey, _pendingParameterSets;
    private byte[]? _header;
    private readonly MemoryStream _audioPayload = new();
    private bool _inAudio;
    private readonly int _maxUnitBytes;

    public TsDemuxer(int maxUnitBytes = 16 * 1024 * 1024) => _maxUnitBytes = maxUnitBytes;

    /// <summary>PID of the followed video stream (-1 until the PMT is read).</summary>
    public int VideoPid { get; private set; } = -1;
    /// <summary>The PMT's stream_type of the first video-like stream (0x1B H.264, 0x24 H.265, …); 0 until known.</summary>
    public int StreamType { get; private set; }
    public StreamCodec Codec { get; private set; }
    /// <summary>The latest PAT and PMT packets (prepended to every remux); null until both were seen.</summary>
    public byte[]? Header => _pat is null || _pmt is null ? null : _header ??= [.. _pat, .. _pmt]; // one array per table change
    /// <summary>PID of the program's audio stream (-1 when it has none).</summary>
    public int AudioPid { get; private set; } = -1;
    /// <summary>The PMT's stream_type of the audio stream (0x0F: AAC in ADTS); 0 when there is none.</summary>
    public int AudioStreamType { get; private set; }
    /// <summary>Access units seen without a PTS and DTS (a stream without timestamps cannot be cut).</summary>
    public long UntimedUnits { get; private set; }

    /// <summary>Feeds bytes; complete access units are added to <paramref name="output"/> (copied out).</summary>
    public void Push(ReadOnlySpan<byte> data, List<TsAccessUnit> output) => Push(data, u => output.Add(u.ToUnit()));

    /// <summary>Ends the stream: the access unit being collected is complete now (copied out into <paramref name="output"/>).</summary>
    public void Flush(List<TsAccessUnit> output) => Flush(u => output.Add(u.ToUnit()));

    /// <summary>Feeds bytes; complete access units go to <paramref name="output"/> as views valid during the call.</summary>
    public void Push(ReadOnlySpan<byte> data, Action<TsUnitView> output)
    {
        if (_partialLength > 0)
        {
            var take = Math.Min(PacketSize - _partialLength, data.Length);
            data[..take].CopyTo(_partial.AsSpan(_partialLength));
            _partialLength += take;
            data = data[take..];
            if (_partialLength < PacketSize) return;
            _partialLength = 0;
            if (_partial[0] == 0x47) Packet(_partial, output);
            else { Resync(_partial.AsSpan(1).ToArray(), output); }
        }
        while (data.Length > 0)
        {
            if (data[0] != 0x47)
            {
                var next = data.IndexOf((byte)0x47);
                if (next < 0) return;
                data = data[next..];
                continue;
            }
            if (data.Length < PacketSize)
            {
                data.CopyTo(_partial);
                _partialLength = data.Length;
                return;
            }
            Packet(data[..PacketSize], output);
            data = data[PacketSize..];
        }
    }

    /// <summary>Ends the stream: the access unit being collected is complete now.</summary>
    public void Flush(Action<TsUnitView> output)
    {
        FinishAudio(output);
        FinishUnit(output);
        EmitPending(output);
    }

    private void Resync(byte[] rest, Action<TsUnitView> output) => Push(rest, output);

    private void Packet(ReadOnlySpan<byte> p, Action<TsUnitView> output)
    {
        var pusi = (p[1] & 0x40) != 0;
        var pid = ((p[1] & 0x1F) << 8) | p[2];
        var afc = (p[3] >> 4) & 3;
        var offset = 4;
        if ((afc & 2) != 0) offset += 1 + p[4];
        if ((afc & 1) == 0 || offset >= PacketSize) return;
        var payload = p[offset..];

        if (pid == 0) { if (pusi && ParsePat(payload)) _pat = Keep(_pat, p); return; }
        if (pid == _pmtPid) { if (pusi && ParsePmt(payload)) _pmt = Keep(_pmt, p); return; }
        if (pid == AudioPid && AudioPid >= 0) { AudioPacket(pusi, payload, output); return; }
        if (pid != VideoPid || VideoPid < 0) return;
        if (pusi)
        {
            FinishUnit(output);
            _inUnit = true;
        }
        if (!_inUnit) return; // joined in the middle of a PES
        if (_unitPayload.Length + payload.Length > _maxUnitBytes) { _inUnit = false; _unitPayload.SetLength(0); return; }
        _unitPayload.Write(payload);
    }

    /// <summary>The table packet: the old array when unchanged (tables repeat every ~100 ms), else a new one (and a new header).</summary>
    private byte[] Keep(byte[]? old, ReadOnlySpan<byte> packet)
    {
        if (old is not null && packet.SequenceEqual(old)) return old;
        _header = null;
        return packet.ToArray();
    }

    private bool ParsePat(ReadOnlySpan<byte> payload)
    {
        var s = Section(payload);
        if (s.Length < 12 || s[0] != 0x00) return false;
        var sectionLength = ((s[1] & 0x0F) << 8) | s[2];
        var end = Math.Min(s.Length, 3 + sectionLength - 4);
        for (var i = 8; i + 4 <= end; i += 4)
        {
            var program = (s[i] << 8) | s[i + 1];
            if (program == 0) continue; // network PID
            _pmtPid = ((s[i + 2] & 0x1F) << 8) | s[i + 3];
            return true;
        }
        return false;
    }

    private bool ParsePmt(ReadOnlySpan<byte> payload)
    {
        var s = Section(payload);
        if (s.Length < 16 || s[0] != 0x02) return false;
        var sectionLength = ((s[1] & 0x0F) << 8) | s[2];
        var end = Math.Min(s.Length, 3 + sectionLength - 4);
        var infoLength = ((s[10] & 0x0F) << 8) | s[11];
        int videoPid = -1, videoType = 0, audioPid = -1, audioType = 0, firstType = 0;
        var videoCodec = StreamCodec.Other;
        for (var i = 12 + infoLength; i + 5 <= end;)
        {
            var type = s[i];
            var pid = ((s[i + 1] & 0x1F) << 8) | s[i + 2];
            var esInfo = ((s[i + 3] & 0x0F) << 8) | s[i + 4];
            var codec = CodecOf(type);
            if (firstType == 0) firstType = type;
            if (codec is StreamCodec.H264 or StreamCodec.H265 && videoPid < 0) { videoPid = pid; videoType = type; videoCodec = codec; }
            else if (codec == StreamCodec.Unknown && audioPid < 0) { audioPid = pid; audioType = type; }
            i += 5 + esInfo;
        }
        if (videoPid < 0)
        {
            Codec = StreamCodec.Other; // a program without H.264/H.265 video (e.g. MJPEG as private data)
            if (StreamType == 0) StreamType = firstType;
            return true;
        }
        if (videoPid != VideoPid) { _inUnit = false; _hasPending = false; _unitPayload.SetLength(0); }
        if (audioPid != AudioPid) { _inAudio = false; _audioPayload.SetLength(0); }
        VideoPid = videoPid;
        StreamType = videoType;
        Codec = videoCodec;
        AudioPid = audioPid;
        AudioStreamType = audioType;
        return true;
    }

    private void AudioPacket(bool pusi, ReadOnlySpan<byte> payload, Action<TsUnitView> output)
    {
        if (pusi)
        {
            FinishAudio(output);
            _inAudio = true;
        }
        if (!_inAudio) return;
        if (_audioPayload.Length + payload.Length > _maxUnitBytes) { _inAudio = false; _audioPayload.SetLength(0); return; }
        _audioPayload.Write(payload);
    }

    /// <summary>The audio PES collected so far as an audio unit (dropped without a timestamp: it could not be placed).</summary>
    private void FinishAudio(Action<TsUnitView> output)
    {
        var inAudio = _inAudio;
        _inAudio = false;
        var memory = new ReadOnlyMemory<byte>(_audioPayload.GetBuffer(), 0, (int)_audioPayload.Length);
        var pes = memory.Span;
        try
        {
            if (!inAudio || pes.Length < 14 || pes[0] != 0 || pes[1] != 0 || pes[2] != 1 || (pes[7] & 0x80) == 0) return;
            if (9 + pes[8] > pes.Length) return;
            var pts = Timestamp(pes[9..]);
            output(new TsUnitView(memory, pts, pts, false, false, Audio: true));
        }
        finally { _audioPayload.SetLength(0); }
    }

    /// <summary>The codec for a PMT stream_type: H.264, H.265, another video type, or Unknown (not video).</summary>
    public static StreamCodec CodecOf(int streamType) => streamType switch
    {
        0x1B => StreamCodec.H264,
        0x24 => StreamCodec.H265,
        0x01 or 0x02 or 0x10 or 0x20 or 0x42 or 0xD1 or 0xEA => StreamCodec.Other,
        _ => StreamCodec.Unknown,
    };

    private static ReadOnlySpan<byte> Section(ReadOnlySpan<byte> payload)
    {
        if (payload.Length == 0) return ReadOnlySpan<byte>.Empty;
        var pointer = payload[0];
        return 1 + pointer < payload.Length ? payload[(1 + pointer)..] : ReadOnlySpan<byte>.Empty;
    }

    private void FinishUnit(Action<TsUnitView> output)
    {
        var inUnit = _inUnit;
        _inUnit = false;
        if (!inUnit) { _unitPayload.SetLength(0); return; }
        var pes = _unitPayload.GetBuffer().AsSpan(0, (int)_unitPayload.Length);
        try
        {
            if (pes.Length < 9 || pes[0] != 0 || pes[1] != 0 || pes[2] != 1) return;
            var flags = pes[7] >> 6;
            var headerLength = pes[8];
            if (9 + headerLength > pes.Length) return;
            long? pts = null, dts = null;
            if ((flags & 2) != 0 && pes.Length >= 14) pts = Timestamp(pes[9..]);
            if (flags == 3 && pes.Length >= 19) dts = Timestamp(pes[14..]);
            if (pts is null && dts is null) UntimedUnits++;
            dts ??= pts;
            var es = pes[(9 + headerLength)..];
            var (key, parameters) = ScanNals(es, Codec);
            if (_hasPending && (_pendingDts is not null && _pendingDts == dts || ContinuesPicture(es, Codec)))
            {
                Merge(es, Codec);
                _pendingPts ??= pts;
                _pendingKey |= key;
                _pendingParameterSets |= parameters;
                return;
            }
            EmitPending(output);
            (_pendingPes, _unitPayload) = (_unitPayload, _pendingPes); // this unit becomes the pending one, without a copy
            (_hasPending, _pendingPts, _pendingDts, _pendingKey, _pendingParameterSets) = (true, pts, dts, key, parameters);
        }
        finally { _unitPayload.SetLength(0); }
    }

    private void EmitPending(Action<TsUnitView> output)
    {
        if (!_hasPending) return;
        _hasPending = false;
        output(new TsUnitView(new ReadOnlyMemory<byte>(_pendingPes.GetBuffer(), 0, (int)_pendingPes.Length), _pendingPts, _pendingDts,
            _pendingKey, _pendingParameterSets));
    }

    /// <summary>
    /// Merges a PES packet of the pending access unit into it: the first stays whole (its length set to 0: unbounded, as
    /// video may be), of the second only its slices (its access unit delimiter and repeated parameter sets would start a new unit).
    /// </summary>
    private void Merge(ReadOnlySpan<byte> es, StreamCodec codec)
    {
        foreach (var (start, length, type) in Nals(es, codec))
            if (IsVcl(type, codec)) _pendingPes.Write(es.Slice(start, length));
        var buffer = _pendingPes.GetBuffer();
        buffer[4] = 0;
        buffer[5] = 0;
    }

    private static bool IsVcl(int type, StreamCodec codec) => codec == StreamCodec.H265 ? type < 32 : type is >= 1 and <= 5;

    /// <summary>The NAL units of Annex-B data: offset of the start code, length up to the next, and type.</summary>
    private static List<(int Start, int Length, int Type)> Nals(ReadOnlySpan<byte> es, StreamCodec codec)
    {
        var starts = new List<(int At, int Header)>();
        for (var i = 0; i + 3 < es.Length; i++)
        {
            if (es[i] != 0 || es[i + 1] != 0 || es[i + 2] != 1) continue;
            starts.Add((i > 0 && es[i - 1] == 0 ? i - 1 : i, i + 3));
            i += 3;
        }
        var list = new List<(int, int, int)>(starts.Count);
        for (var k = 0; k < starts.Count; k++)
        {
            var end = k + 1 < starts.Count ? starts[k + 1].At : es.Length;
            var h = es[starts[k].Header];
            list.Add((starts[k].At, end - starts[k].At, codec == StreamCodec.H265 ? (h >> 1) & 0x3F : h & 0x1F));
        }
        return list;
    }

    /// <summary>Pure: true when the first slice of the data is not the first of its picture (first_mb_in_slice ≠ 0;
    /// H.265: first_slice_segment_in_pic_flag = 0).</summary>
    /// <remarks>Scans only up to the first slice (no list of the picture's NAL units: this runs for every access unit).</remarks>
    public static bool ContinuesPicture(ReadOnlySpan<byte> es, StreamCodec codec)
    {
        for (var i = 0; i + 3 < es.Length; i++)
        {
            if (es[i] != 0 || es[i + 1] != 0 || es[i + 2] != 1) continue;
            var header = i + 3;
            var h = es[header];
            if (IsVcl(codec == StreamCodec.H265 ? (h >> 1) & 0x3F : h & 0x1F, codec))
            {
                var first = header + (codec == StreamCodec.H265 ? 2 : 1);
                var near = es[header..Math.Min(es.Length, first + 3)];
                var next = near.IndexOf((ReadOnlySpan<byte>)[0, 0, 1]); // a NAL unit too short for the flag ends at a start code this near
                var end = next < 0 ? Math.Min(es.Length, first + 3) : header + next;
                return first < end && (es[first] & 0x80) == 0;
            }
            i += 3;
        }
        return false;
    }

    private static long Timestamp(ReadOnlySpan<byte> b) =>
        ((long)((b[0] >> 1) & 0x07) << 30) | ((long)b[1] << 22) | ((long)(b[2] >> 1) << 15) | ((long)b[3] << 7) | (long)(b[4] >> 1);

    /// <summary>Pure: whether an Annex-B access unit holds a random access picture, and whether it holds parameter sets.</summary>
    public static (bool Key, bool ParameterSets) ScanNals(ReadOnlySpan<byte> es, StreamCodec codec)
    {
        bool key = false, sps = false, pps = false, vps = false;
        for (var i = 0; i + 3 < es.Length; i++)
        {
            if (es[i] != 0 || es[i + 1] != 0 || es[i + 2] != 1) continue;
            var h = es[i + 3];
            if (codec == StreamCodec.H265)
            {
                var t = (h >> 1) & 0x3F;
                if (t is >= 16 and <= 21) key = true;
                else if (t == 32) vps = true;
                else if (t == 33) sps = true;
                else if (t == 34) pps = true;
            }
            else
            {
                var t = h & 0x1F;
                if (t == 5) key = true;
                else if (t == 7) sps = true;
                else if (t == 8) pps = true;
            }
            i += 3;
        }
        var parameters = codec == StreamCodec.H265 ? vps && sps && pps : sps && pps;
        return (key, parameters);
    }
}

/// <summary>
/// Pure: packs PES packets into 188-byte TS packets of one PID (payload_unit_start on the first, the random access
/// indicator on keyframes, stuffing in the adaptation field of the last) with running continuity counters.
/// </summary>
public sealed class TsPacketizer(int pid)
{
    private byte _cc;

    /// <summary>Writes <paramref name="pes"/> as TS packets into <paramref name="output"/>; returns the bytes written.</summary>
    public int Packetize(ReadOnlySpan<byte> pes, bool key, Span<byte> output)
    {
        var written = 0;
        var first = true;
        while (pes.Length > 0)
        {
            var p = output.Slice(written, TsDemuxer.PacketSize);
            p[0] = 0x47;
            p[1] = (byte)((first ? 0x40 : 0) | ((pid >> 8) & 0x1F));
            p[2] = (byte)pid;
            var flags = first && key ? (byte)0x40 : (byte)0; // random_access_indicator
            var room = 184 - (flags != 0 ? 2 : 0);
            var n = Math.Min(room, pes.Length);
            var adaptation = 184 - n; // bytes of adaptation field (length byte included)
            if (adaptation == 0) p[3] = (byte)(0x10 | _cc);
            else
            {
                p[3] = (byte)(0x30 | _cc);
                p[4] = (byte)(adaptation - 1);
                if (adaptation > 1)
                {
                    p[5] = flags;
                    p.Slice(6, adaptation - 2).Fill(0xFF);
                }
            }
            pes[..n].CopyTo(p[(4 + adaptation)..]);
            pes = pes[n..];
            _cc = (byte)((_cc + 1) & 0x0F);
            written += TsDemuxer.PacketSize;
            first = false;
        }
        return written;
    }

    /// <summary>The TS packets needed for a PES of <paramref name="length"/> bytes (an upper bound).</summary>
    public static int MaxBytes(int length) => (length / 182 + 1) * TsDemuxer.PacketSize;
}
