using Lookback.Buffer;
using Lookback.Media.Rendering;
using Lookback.Sources.Streaming;

namespace Lookback.Tests.Buffer;

public class PacketRingTests
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 1, 12, 0, 0, TimeSpan.Zero);
    private static readonly byte[] Header = new byte[376];

    /// <summary>10 fps packets of <paramref name="size"/> bytes with a keyframe every <paramref name="gop"/>.</summary>
    private static StreamPacket P(int i, int gop = 10, int size = 1000, int run = 1, double offset = 0) =>
        new(new byte[size], T0.AddSeconds(offset + i / 10.0), i % gop == 0, run, Header, StreamCodec.H264);

    [Fact]
    public void Evicts_whole_gops_by_age_so_the_oldest_packet_is_a_keyframe_and_the_age_is_still_covered()
    {
        var ring = new PacketRing(TimeSpan.FromSeconds(5), long.MaxValue);
        for (var i = 0; i < 123; i++) ring.Append(P(i));
        var all = ring.Snapshot();
        Assert.True(all[0].Key);
        Assert.True(ring.NewestTime - ring.OldestTime >= TimeSpan.FromSeconds(5)); // still spans buffer_seconds
        Assert.True(ring.NewestTime - ring.OldestTime < TimeSpan.FromSeconds(6)); // but not a whole GOP more
        Assert.Equal(all.Sum(p => (long)p.Data.Length), ring.Bytes);
    }

    [Fact]
    public void Evicts_by_bytes_and_never_holds_more_than_max_bytes()
    {
        var ring = new PacketRing(TimeSpan.FromSeconds(60), 25_000);
        for (var i = 0; i < 200; i++)
        {
            ring.Append(P(i));
            Assert.True(ring.Bytes <= 25_000, $"{ring.Bytes} bytes after packet {i}");
            Assert.True(ring.Snapshot()[0].Key);
        }
        Assert.InRange(ring.Count, 10, 25);
    }

    [Fact]
    public void A_gop_larger_than_max_bytes_is_dropped_and_the_ring_waits_for_the_next_keyframe()
    {
        var ring = new PacketRing(TimeSpan.FromSeconds(60), 5_000);
        for (var i = 0; i < 8; i++) ring.Append(P(i)); // one GOP grows past the limit
        Assert.True(ring.Bytes <= 5_000);
        Assert.True(ring.Count == 0 || ring.Snapshot()[0].Key);
        Assert.False(ring.Append(P(8)));
        Assert.True(ring.Append(P(10)));
        Assert.True(ring.Snapshot()[0].Key);
    }

    [Fact]
    public void A_new_run_starts_at_its_first_keyframe()
    {
        var ring = new PacketRing(TimeSpan.FromSeconds(60), long.MaxValue);
        Assert.False(ring.Append(P(3)));
        Assert.True(ring.Append(P(10)));
        Assert.False(ring.Append(P(25, run: 2)));
        Assert.True(ring.Append(P(30, run: 2)));
        Assert.Equal(2, ring.Count);
    }

    [Fact]
    public void A_cut_starts_at_the_keyframe_at_or_before_the_start_and_says_how_much_earlier()
    {
        var packets = Enumerable.Range(0, 100).Select(i => P(i)).ToList();
        var cut = PacketRing.Cut(packets, T0.AddSeconds(2.35), T0.AddSeconds(5.0))!;
        Assert.Equal(T0.AddSeconds(2), cut.Start);
        Assert.Equal(T0.AddSeconds(5), cut.End);
        Assert.Equal(350, Math.Round(cut.Lead.TotalMilliseconds));
        Assert.True(cut.Packets[0].Key);
        Assert.Equal(31, cut.Packets.Count);
        Assert.False(cut.Gap);
    }

    [Fact]
    public void A_window_with_a_restart_gives_the_longest_unbroken_run_and_a_gap()
    {
        // run 1: 0..3.9 s; outage; run 2: 6..9.9 s (a new ffmpeg)
        var packets = Enumerable.Range(0, 40).Select(i => P(i)).Concat(Enumerable.Range(0, 40).Select(i => P(i, run: 2, offset: 6))).ToList();
        var cut = PacketRing.Cut(packets, T0.AddSeconds(3), T0.AddSeconds(9.5))!;
        Assert.True(cut.Gap);
        Assert.Equal(T0.AddSeconds(6), cut.Start);
        Assert.Equal(T0.AddSeconds(9.5), cut.End);
        Assert.All(cut.Packets, p => Assert.Equal(2, p.Run));

        // a break in time within one run is a break too
        var stalled = Enumerable.Range(0, 40).Select(i => P(i)).Concat(Enumerable.Range(0, 40).Select(i => P(i, offset: 10))).ToList();
        Assert.True(PacketRing.Cut(stalled, T0.AddSeconds(1), T0.AddSeconds(12))!.Gap);
        // a window the ring covers has none; one before the ring has nothing
        Assert.False(PacketRing.Cut(packets, T0.AddSeconds(6.5), T0.AddSeconds(9.5))!.Gap);
        Assert.Null(PacketRing.Cut(packets, T0.AddSeconds(-10), T0.AddSeconds(-5)));
    }

    [Fact]
    public async Task WaitFor_completes_when_a_packet_at_or_after_the_time_arrives_and_gives_up_after_the_wait()
    {
        var ring = new PacketRing(TimeSpan.FromSeconds(60), long.MaxValue);
        ring.Append(P(0));
        var wait = ring.WaitForAsync(T0.AddSeconds(0.2), TimeSpan.FromSeconds(20), CancellationToken.None);
        ring.Append(P(1));
        Assert.False(wait.IsCompleted);
        ring.Append(P(2));
        Assert.True(await wait);
        Assert.False(await ring.WaitForAsync(T0.AddSeconds(5), TimeSpan.FromMilliseconds(50), CancellationToken.None));
    }

    [Fact]
    public void The_clock_keeps_the_stream_spacing_anchored_at_the_earliest_arrival_and_reports_jumps()
    {
        var clock = new PacketClock();
        DateTimeOffset At((TimeSpan Offset, bool) m) => clock.Anchor.Time + m.Offset;
        // a burst: packets held back by probing arrive at once, then real time
        var first = clock.Map(90000, T0);
        var second = clock.Map(99000, T0); // ahead of its arrival: the anchor moves back
        var third = clock.Map(108000, T0.AddSeconds(0.05));
        Assert.False(third.Discontinuity);
        Assert.Equal(T0.AddSeconds(0.05), At(third));
        Assert.Equal(T0.AddSeconds(-0.15), At(first)); // the burst moved back with the anchor
        Assert.Equal(T0.AddSeconds(-0.05), At(second));
        Assert.Equal(T0.AddSeconds(0.15), At(clock.Map(117000, T0.AddSeconds(0.19)))); // jitter removed
        // 33-bit wrap
        var wrap = new PacketClock();
        wrap.Map((1L << 33) - 4500, T0);
        Assert.Equal(TimeSpan.FromSeconds(0.1), wrap.Map(4500, T0.AddSeconds(0.1)).Offset);
        // a jump of the camera's clock starts a new anchor
        var anchor = clock.Anchor;
        Assert.True(clock.Map(117000 + 90000 * 100, T0.AddSeconds(0.3)).Discontinuity);
        Assert.NotSame(anchor, clock.Anchor);
        Assert.Equal(T0.AddSeconds(0.3), clock.Anchor.Time);
    }

    [Fact]
    public void The_packetizer_marks_the_start_and_keyframes_counts_continuity_and_stuffs_the_last_packet()
    {
        var pes = Enumerable.Range(0, 400).Select(i => (byte)i).ToArray();
        var packetizer = new TsPacketizer(0x100);
        var buf = new byte[TsPacketizer.MaxBytes(pes.Length)];
        var n = packetizer.Packetize(pes, key: true, buf);
        Assert.Equal(3 * 188, n);
        Assert.Equal([0x47, 0x41, 0x00, 0x30, 1, 0x40], buf[..6]); // start, pid 256, adaptation + payload, cc 0, RAI
        Assert.Equal(pes[..182], buf[6..188]);
        Assert.Equal(0x11, buf[188 + 3]); // payload only, cc 1
        Assert.Equal(0x01, buf[188 + 1]); // no start flag
        Assert.Equal(0x32, buf[376 + 3]); // cc 2, stuffed: 400 - 182 - 184 = 34 bytes of payload
        Assert.Equal(184 - 34 - 1, buf[376 + 4]);
        Assert.Equal(pes[^34..], buf[^34..]);
        n = packetizer.Packetize(pes.AsSpan(0, 184), key: false, buf);
        Assert.Equal(188, n);
        Assert.Equal(0x13, buf[3]); // a full packet: no adaptation field, cc 3
    }
}
