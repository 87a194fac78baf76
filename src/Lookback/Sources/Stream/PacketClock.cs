using Lookback.Buffer;

namespace Lookback.Sources.Streaming;

/// <summary>
/// Pure: maps a stream's 90 kHz timestamps to wall-clock time for one ffmpeg run. The mapping is anchored so that no
/// packet is dated after its arrival (the earliest "arrival − stream time" seen wins: packets that ffmpeg held back while
/// probing arrive late in a burst, real-time packets show the true offset), so the times keep the stream's own
/// spacing without the arrival jitter. Packets keep their offset from the run's shared <see cref="RunAnchor"/>, so a
/// burst stamped before the anchor settled moves back with it. A timestamp step of more than <see cref="JumpLimit"/> either way between two
/// packets (a camera that restarts its clock, lost data), or packets falling more than that behind their arrival,
/// re-anchors and is reported as a discontinuity.
/// </summary>
public sealed class PacketClock
{
    public static readonly TimeSpan JumpLimit = TimeSpan.FromSeconds(3);
    private const long Wrap = 1L << 33;

    private long? _last;
    private long _unwrapped;

    /// <summary>The wall-clock time of the current run's first packet; moves back as earlier-arriving packets show the true offset.</summary>
    public RunAnchor Anchor { get; private set; } = new(DateTimeOffset.MinValue);

    /// <summary>
    /// The offset from <see cref="Anchor"/> of a packet with 90 kHz timestamp <paramref name="ts"/> arriving at
    /// <paramref name="arrival"/>; on a discontinuity a new anchor starts (at that packet).
    /// </summary>
    public (TimeSpan Offset, bool Discontinuity) Map(long ts, DateTimeOffset arrival)
    {
        if (_last is not { } last)
        {
            _last = ts;
            Reanchor(arrival);
            return (TimeSpan.Zero, false);
        }
        var delta = ts - last;
        if (delta < -Wrap / 2) delta += Wrap;
        else if (delta > Wrap / 2) delta -= Wrap;
        _last = ts;
        if (Math.Abs(delta) > JumpLimit.TotalSeconds * 90000) { Reanchor(arrival); return (TimeSpan.Zero, true); }
        _unwrapped += delta;
        var offset = TimeSpan.FromSeconds(_unwrapped / 90000.0);
        var ahead = Anchor.Time + offset - arrival;
        if (ahead > TimeSpan.Zero) Anchor.Time -= ahead; // arrived earlier than the anchor says: the true offset is smaller
        else if (-ahead > JumpLimit) { Reanchor(arrival); return (TimeSpan.Zero, true); }
        return (offset, false);
    }

    /// <summary>
    /// The offset from <see cref="Anchor"/> of another stream's timestamp (audio) on the video's clock, without moving it;
    /// null before the first video packet or when it is further than <see cref="JumpLimit"/> from the last one.
    /// </summary>
    public TimeSpan? OffsetOf(long ts)
    {
        if (_last is not { } last) return null;
        var delta = ts - last;
        if (delta < -Wrap / 2) delta += Wrap;
        else if (delta > Wrap / 2) delta -= Wrap;
        if (Math.Abs(delta) > JumpLimit.TotalSeconds * 90000) return null;
        return TimeSpan.FromSeconds((_unwrapped + delta) / 90000.0);
    }

    private void Reanchor(DateTimeOffset arrival)
    {
        _unwrapped = 0;
        Anchor = new RunAnchor(arrival);
    }
}
