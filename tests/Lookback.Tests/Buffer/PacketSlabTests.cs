using Lookback.Buffer;

namespace Lookback.Tests.Buffer;

/// <summary>The packet ring's slab storage: whole-GOP eviction over slabs, slab reuse, and readers' windows held while eviction runs.</summary>
public class PacketSlabTests
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 1, 12, 0, 0, TimeSpan.Zero);
    private static readonly byte[] Header = new byte[376];

    /// <summary>Packet <paramref name="i"/> (10 fps, keyframe every <paramref name="gop"/>): its index in the first 4 bytes, then a fill derived from it.</summary>
    private static StreamPacket P(int i, int size = 1000, int gop = 10)
    {
        var data = new byte[size];
        BitConverter.TryWriteBytes(data, i);
        for (var k = 4; k < size; k++) data[k] = (byte)(i * 31 + k);
        return new StreamPacket(data, T0.AddSeconds(i / 10.0), i % gop == 0, 1, Header, StreamCodec.H264);
    }

    private static bool Intact(StreamPacket p)
    {
        var s = p.Data.Span;
        var i = BitConverter.ToInt32(s);
        for (var k = 4; k < s.Length; k++) if (s[k] != (byte)(i * 31 + k)) return false;
        return P(i).Time == p.Time;
    }

    [Fact]
    public void Packets_are_copied_into_shared_slabs_and_eviction_drops_whole_gops_and_reuses_the_slabs()
    {
        var pool = new PacketSlabPool(slabBytes: 8 * 1024, maxFree: 4);
        var ring = new PacketRing(TimeSpan.FromSeconds(60), 30_000, pool);
        var source = P(0);
        ring.Append(source);
        Assert.NotNull(ring.Snapshot()[0].Slab);
        Assert.False(ring.Snapshot()[0].Data.Span.Overlaps(source.Data.Span)); // a copy, not the caller's array
        for (var i = 1; i < 500; i++)
        {
            ring.Append(P(i));
            var all = ring.Snapshot();
            Assert.True(all[0].Key, $"oldest packet after {i} is not a keyframe");
            Assert.True(ring.Bytes <= 30_000);
            Assert.Equal(all.Sum(p => (long)p.Data.Length), ring.Bytes);
            // the ring holds only the slabs under its packets (plus the part of the oldest already evicted)
            Assert.Equal(all.Select(p => p.Slab).Distinct().Count(), ring.Slabs);
            Assert.InRange(ring.SlabBytes, ring.Bytes, ring.Bytes + 2 * pool.SlabBytes);
        }
        Assert.All(ring.Snapshot(), p => Assert.True(Intact(p)));
        // 8 KB slabs hold 8 packets each; 500 packets filled ~62, but at most the ring's ~5 + the free ones were ever made
        Assert.InRange(pool.Allocated, 4, 10);
        Assert.True(pool.Reused > 40, $"{pool.Reused} slabs reused");
    }

    [Fact]
    public void A_readers_cut_stays_valid_while_eviction_passes_it_and_its_slabs_return_to_the_pool_once_disposed()
    {
        var pool = new PacketSlabPool(slabBytes: 8 * 1024, maxFree: 16);
        var ring = new PacketRing(TimeSpan.FromSeconds(3), long.MaxValue, pool);
        for (var i = 0; i < 40; i++) ring.Append(P(i));
        var cut = ring.Cut(T0.AddSeconds(1.2), T0.AddSeconds(2.5))!;
        Assert.True(cut.Packets[0].Key);
        Assert.Equal(T0.AddSeconds(1), cut.Start);
        var held = cut.Packets.Select(p => p.Slab!).Distinct().ToList();
        Assert.Equal(held.Count, cut.Lease!.Slabs);

        // the ring moves on far past the cut: all its packets are evicted, and the freed slabs are reused meanwhile
        var reusedBefore = pool.Reused;
        for (var i = 40; i < 400; i++) ring.Append(P(i));
        Assert.True(ring.OldestTime > cut.End);
        Assert.True(pool.Reused > reusedBefore);
        Assert.All(held, s => Assert.Equal(1, s.References)); // only the cut's reference is left: not in the pool
        Assert.All(cut.Packets, p => Assert.True(Intact(p), "a held packet was overwritten"));

        var freeBefore = pool.FreeCount;
        cut.Dispose();
        cut.Dispose(); // once only
        Assert.All(held, s => Assert.Equal(0, s.References));
        Assert.Equal(freeBefore + held.Count, pool.FreeCount);
    }

    [Fact]
    public async Task Readers_copying_out_their_cuts_while_the_ring_fills_and_evicts_always_see_their_packets_intact()
    {
        var pool = new PacketSlabPool(slabBytes: 16 * 1024, maxFree: 4);
        var ring = new PacketRing(TimeSpan.FromSeconds(2), long.MaxValue, pool);
        for (var i = 0; i < 30; i++) ring.Append(P(i, size: 1500));
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var reads = 0;
        var writer = Task.Run(() =>
        {
            for (var i = 30; (i < 6000 || Volatile.Read(ref reads) < 200) && !stop.IsCancellationRequested; i++) ring.Append(P(i, size: 1500));
        });
        var readers = Enumerable.Range(0, 2).Select(_ => Task.Run(() =>
        {
            while (!writer.IsCompleted && !stop.IsCancellationRequested)
            {
                var newest = ring.NewestTime!.Value;
                using var cut = ring.Cut(newest.AddSeconds(-1.5), newest);
                if (cut is null) continue;
                foreach (var p in cut.Packets) Assert.True(Intact(p), "a packet changed under its reader");
                Interlocked.Increment(ref reads);
            }
        })).ToArray();
        await writer.WaitAsync(stop.Token);
        await Task.WhenAll(readers).WaitAsync(stop.Token);
        Assert.True(reads > 0);
        Assert.True(pool.Reused > 100, $"{pool.Reused} reused");
    }

    [Fact]
    public void A_packet_larger_than_a_slab_gets_a_slab_of_its_own_that_is_not_pooled()
    {
        var pool = new PacketSlabPool(slabBytes: 4096, maxFree: 4);
        var ring = new PacketRing(TimeSpan.FromSeconds(1), long.MaxValue, pool);
        ring.Append(P(0, size: 10_000));
        var big = ring.Snapshot()[0];
        Assert.Equal(10_000, big.Slab!.Capacity);
        Assert.True(Intact(big));
        for (var i = 1; i < 40; i++) ring.Append(P(i, size: 500));
        Assert.True(ring.OldestTime > big.Time);
        Assert.Equal(0, big.Slab.References);
        Assert.Equal(pool.Allocated, pool.FreeCount + ring.Slabs); // every pooled slab is free or in the ring; the big one in neither
    }
}
