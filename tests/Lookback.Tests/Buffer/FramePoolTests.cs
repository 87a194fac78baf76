using Lookback.Buffer;

namespace Lookback.Tests.Buffer;

public class FramePoolTests
{
    [Fact]
    public void Classes_grow_by_about_two_percent()
    {
        var pool = new FramePool();
        var sizes = pool.ClassSizes.ToArray();
        Assert.Equal(8192, sizes[0]);
        Assert.True(sizes[^1] >= 32 << 20);
        for (var i = 1; i < sizes.Length; i++)
        {
            Assert.True(sizes[i] > sizes[i - 1]);
            Assert.Equal(0, sizes[i] % 64);
            Assert.True(sizes[i] <= sizes[i - 1] * 1.02 + 128, $"{sizes[i - 1]} -> {sizes[i]}");
        }
        var rnd = new Random(3);
        for (var i = 0; i < 10_000; i++)
        {
            var n = rnd.Next(8192, 4 << 20);
            var cap = pool.CapacityFor(n);
            Assert.InRange(cap, n, n * 1.021 + 128);
        }
    }

    [Fact]
    public void Small_and_huge_buffers_are_exact_and_unpooled()
    {
        var pool = new FramePool();
        Assert.Equal(100, pool.Rent(100).Length);
        Assert.Equal((33 << 20) + 1, pool.Rent((33 << 20) + 1).Length);
        Assert.Equal(2, pool.GetStats().Unpooled);
        pool.Return(new byte[100], 100);
        Assert.Equal(0, pool.GetStats().FreeBuffers);
    }

    [Fact]
    public void Returned_buffers_are_reused_and_counted()
    {
        var pool = new FramePool();
        var a = pool.Rent(300_000);
        Assert.True(a.Length >= 300_000);
        pool.Return(a, 300_000);
        var s = pool.GetStats();
        Assert.Equal((1L, 1L, 0L, 1L, 1L, (long)a.Length), (s.Rents, s.Returns, s.Hits, s.Misses, s.FreeBuffers, s.FreeBytes));
        var b = pool.Rent(299_000);                               // same class
        Assert.Same(a, b);
        s = pool.GetStats();
        Assert.Equal((1L, 0L, 299_000L, (long)a.Length), (s.Hits, s.FreeBuffers, s.BytesRequested, s.BytesRented));
        pool.Return(b, 299_000);
        pool.Trim();
        Assert.Equal(0, pool.GetStats().FreeBytes);
        Assert.NotSame(a, pool.Rent(300_000));
    }

    [Fact]
    public void Free_bytes_are_capped()
    {
        var pool = new FramePool(new FramePoolOptions { BaseFreeBytes = 1 << 20, FreeFraction = 0, MaxFreePerClass = 100 });
        var bufs = Enumerable.Range(0, 20).Select(_ => pool.Rent(200_000)).ToList();
        foreach (var b in bufs) pool.Return(b, 200_000);
        var s = pool.GetStats();
        Assert.True(s.FreeBytes <= 1 << 20);
        Assert.Equal(20, s.FreeBuffers + s.Dropped);
        Assert.Equal(0, s.BuffersInUse);
    }

    [Fact]
    public void Overhead_stays_under_five_percent_for_camera_sized_frames()
    {
        // 16 cameras, 60 frames each, JPEGs of 150..450 KB: the pool's own accounting of rounding waste,
        // free lists and per-frame objects against the bytes held.
        var pool = new FramePool();
        var rings = Enumerable.Range(0, 16).Select(_ => new FrameRing(new RingLimits(60, TimeSpan.FromSeconds(60), long.MaxValue), pool)).ToArray();
        var src = new byte[450 * 1024];
        var rnd = new Random(11);
        var t = DateTimeOffset.UnixEpoch;
        var worst = 0.0;
        for (var step = 0; step < 16 * 60 * 5; step++)
        {
            var ring = rings[step % 16];
            ring.Append(src.AsSpan(0, rnd.Next(150 * 1024, 450 * 1024 + 1)), t.AddSeconds(step / 16));
            if (step >= 16 * 60)                                  // rings full: steady state
            {
                var s = pool.GetStats();
                Assert.Equal(rings.Sum(r => r.Bytes), s.BytesRequested);
                worst = Math.Max(worst, s.OverheadRatio);
            }
        }
        var last = pool.GetStats();
        Console.WriteLine($"pool overhead: worst {worst:P2} hits {last.Hits * 100.0 / last.Rents:F0}% round {last.RoundingBytes * 100.0 / last.BytesRequested:F2}% free {last.FreeBytes * 100.0 / last.BytesRequested:F2}%");
        Assert.True(worst <= 0.05, $"worst overhead {worst:P2}; last {last}");
        Assert.True(last.Hits > last.Rents / 4, $"hit rate too low: {last}");
        foreach (var r in rings) r.Dispose();
        Assert.Equal(0, pool.GetStats().BuffersInUse);
    }
}
