using Lookback.Buffer;

namespace Lookback.Sources.Streaming;

/// <summary>
/// Pure (no I/O): turns the stream-copied MPEG-TS of one ffmpeg run into <see cref="PacketRing"/> packets: cuts access
/// units (<see cref="TsDemuxer"/>), dates them (<see cref="PacketClock"/>; each timestamp discontinuity is a new ring
/// run) and appends them. A codec the ring cannot cut or a stream without timestamps sets <see cref="PacketRing.Unusable"/>
/// to a note for the camera's status (its moments and GIFs then come from the JPEG frames) instead of failing the camera;
/// the note is cleared by the next packet the ring takes. AAC audio (ADTS, MPEG-TS stream type 0x0F) goes into the
/// ring beside the video, dated on the video's clock; audio of another codec is left out and
/// <see cref="AudioNeedsTranscode"/> says so (the camera's ffmpeg then restarts encoding it to AAC).
/// </summary>
public sealed class PacketIngest
{
    /// <summary>Access units without timestamps tolerated before the ring is declared unusable.</summary>
    public const int UntimedLimit = 10;

    public const string CannotCutNote = "the packet ring cannot cut this stream's video";
    public const string NoTimestampsNote = "the stream's packets carry no timestamps: moments and GIFs use the JPEG frames";

    private static int s_runs;
    private readonly PacketRing _ring;
    private readonly TsDemuxer _demux;
    private readonly PacketClock _clock = new();
    private readonly Action<TsUnitView> _onUnit;
    private int _run = Interlocked.Increment(ref s_runs);
    private DateTimeOffset _now;
    private int _taken;

    /// <summary>The MPEG-TS stream type of AAC in ADTS.</summary>
    public const int AacStreamType = 0x0F;

    /// <summary>The stream has audio that is not AAC (G.711 comes as private data): it must be transcoded to be kept.</summary>
    public bool AudioNeedsTranscode => _demux.AudioPid >= 0 && _demux.AudioStreamType != AacStreamType;
    /// <summary>The stream has AAC audio that goes into the ring.</summary>
    public bool HasAac => _demux.AudioPid >= 0 && _demux.AudioStreamType == AacStreamType;

    public PacketIngest(PacketRing ring, int maxUnitBytes)
    {
        _ring = ring;
        _demux = new TsDemuxer(maxUnitBytes);
        _onUnit = OnUnit;
    }

    /// <summary>Feeds bytes as they arrive at <paramref name="now"/>; returns how many packets the ring took.</summary>
    /// <remarks>Each access unit is copied once, from the demuxer's reassembly buffer into the ring's slab.</remarks>
    public int Push(ReadOnlySpan<byte> data, DateTimeOffset now)
    {
        _now = now;
        _taken = 0;
        _demux.Push(data, _onUnit);
        if (_demux.Codec == StreamCodec.Other)
        {
            _ring.Unusable = $"{CannotCutNote} (MPEG-TS stream type 0x{_demux.StreamType:x2}; only H.264 and H.265): " +
                             "moments and GIFs use the JPEG frames";
            return 0;
        }
        return _taken;
    }

    private void OnUnit(TsUnitView u)
    {
        if (_demux.Codec == StreamCodec.Other) return;
        if (u.Audio)
        {
            if (HasAac && _demux.Header is { } h && u.Pts is { } pts && _clock.OffsetOf(pts) is { } at
                && _ring.Append(new StreamPacket(u.Pes, _clock.Anchor, at, false, _run, h, _demux.Codec, _demux.AudioPid, Audio: true)))
                _taken++;
            return;
        }
        if (u.Dts is not { } ts || _demux.Header is not { } header)
        {
            if (_demux.UntimedUnits >= UntimedLimit) _ring.Unusable = NoTimestampsNote;
            return;
        }
        var (offset, jump) = _clock.Map(ts, _now);
        if (jump) _run = Interlocked.Increment(ref s_runs);
        if (_ring.Append(new StreamPacket(u.Pes, _clock.Anchor, offset, u.Key, _run, header, _demux.Codec, _demux.VideoPid)))
        {
            _taken++;
            _ring.Unusable = null;
        }
    }
}
