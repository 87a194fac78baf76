using System.Runtime.CompilerServices;
using Lookback.Buffer;

namespace Lookback.Tests.Buffer;

/// <summary>Frames backed by page mappings (64-bit Linux). Each test returns early where mappings are unsupported.</summary>
public class NativeFrameTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 22, 17, 35, 0, TimeSpan.Zero);
    private static readonly TimeSpan Long = TimeSpan.FromHours(1);

    private static FramePool Pool(int cap = 64, TimeSpan? quarantine = null, bool prefault = true) => new(new FramePoolOptions
    {
        NativeBuffers = true, QuarantineCap = cap, QuarantineTime = quarantine ?? Long, Prefault = prefault,
    });

    private static byte[] Bytes(int n, byte v) => Enumerable.Repeat(v, n).ToArray();
    private static long Pages(long bytes) => (bytes + Environment.SystemPageSize - 1) / Environment.SystemPageSize;

    [Fact]
    public void Large_frames_are_mapped_small_ones_managed_and_accounted_by_resident_pages()
    {
        if (!FramePool.NativeBuffersSupported) return;
        var pool = Pool();
        using var ring = new FrameRing(new RingLimits(10, null, long.MaxValue), pool);
        ring.Append(Bytes(100_000, 7), T0);
        ring.Append(Bytes(20_000, 8), T0.AddSeconds(1));
        using var all = ring.Window(DateTimeOffset.MinValue, DateTimeOffset.MaxValue);
        Assert.True(all[0].IsNative);
        Assert.False(all[1].IsNative);
        Assert.All(all[0].Jpeg.ToArray(), b => Assert.Equal(7, b));
        Assert.Equal(100_000, all[0].Jpeg.Length);
        var s = pool.GetStats();
        Assert.Equal((2L, 1L, 1L, 120_000L), (s.BuffersInUse, s.NativeInUse, s.Mapped, s.BytesRequested));
        Assert.Equal(Pages(100_000) * Environment.SystemPageSize + pool.CapacityFor(20_000), s.BytesRented);
        Assert.True(s.MappedBytes >= Pages(100_000) * Environment.SystemPageSize);
        Assert.Equal(Pages(100_000), PageMemory.ResidentPages(all[0].Mapping!.Pointer, all[0].Mapping!.Capacity));
    }

    [Fact]
    public unsafe void A_released_frame_drops_its_pages_at_once_and_its_mapping_is_reused()
    {
        if (!FramePool.NativeBuffersSupported) return;
        var pool = Pool();
        using var ring = new FrameRing(new RingLimits(2, null, long.MaxValue), pool);
        ring.Append(Bytes(300_000, 1), T0);
        ring.Append(Bytes(300_000, 2), T0.AddSeconds(1));
        var held = ring.Window(T0, T0);
        var f = held[0];
        var kept = f.Jpeg;                                         // a consumer keeping the Memory past the window (wrong)
        var m = f.Mapping!;
        Assert.Equal(Pages(300_000), PageMemory.ResidentPages(m.Pointer, m.Capacity));
        ring.Append(Bytes(300_000, 3), T0.AddSeconds(2));          // evicts frame 1, but the window still holds it
        Assert.Equal((3L, 0L), (pool.GetStats().NativeInUse, pool.GetStats().QuarantinedMappings));
        Assert.Equal(1, held[0].Jpeg.Span[299_999]);

        held.Dispose();
        var s = pool.GetStats();
        Assert.Equal((2L, 3L, 0L, 1L, 1L), (s.NativeInUse, s.Mapped, s.Unmapped, s.QuarantinedMappings, s.Returns));
        Assert.Equal(0, PageMemory.ResidentPages(m.Pointer, m.Capacity));   // RSS returned now
        Assert.Throws<ObjectDisposedException>(() => f.Jpeg);
        Assert.Throws<ObjectDisposedException>(() => kept.Span.Length);   // a kept Memory cannot reach the pages
        Assert.Throws<ObjectDisposedException>(() => kept.Pin());
        Assert.All(new ReadOnlySpan<byte>((void*)m.Pointer, 300_000).ToArray(), b => Assert.Equal(0, b));   // a stray pointer reads zeros

        ring.Append(Bytes(299_000, 4), T0.AddSeconds(3));          // a fitting size: reuses the quarantined mapping
        s = pool.GetStats();                                       // (and frame 2, evicted, takes its place there)
        Assert.Equal((3L, 1L, 1L), (s.Mapped, s.QuarantinedMappings, s.Hits));
        using var latest = ring.Latest()!;
        Assert.Same(m, latest[0].Mapping);
        Assert.All(latest[0].Jpeg.ToArray(), b => Assert.Equal(4, b));
        Assert.Throws<ObjectDisposedException>(() => kept.Span.Length);   // still not the new frame's bytes
    }

    [Fact]
    public void A_pin_holds_the_frame_until_the_handle_is_disposed()
    {
        if (!FramePool.NativeBuffersSupported) return;
        var pool = Pool();
        var ring = new FrameRing(new RingLimits(1, null, long.MaxValue), pool);
        ring.Append(Bytes(100_000, 5), T0);
        MemoryHandleHolder pin;
        using (var w = ring.Latest()!) pin = new(w[0].Jpeg.Pin());
        ring.Dispose();
        Assert.Equal(1, pool.GetStats().NativeInUse);
        unsafe { Assert.Equal(5, ((byte*)pin.Handle.Pointer)[99_999]); }
        pin.Handle.Dispose();
        Assert.Equal((0L, 1L), (pool.GetStats().NativeInUse, pool.GetStats().QuarantinedMappings));
    }

    private sealed class MemoryHandleHolder(System.Buffers.MemoryHandle handle) { public System.Buffers.MemoryHandle Handle = handle; }

    [Fact]
    public void Idle_quarantined_mappings_are_unmapped_beyond_the_cap()
    {
        if (!FramePool.NativeBuffersSupported) return;
        // No quarantine time, cap 2: every release past two quarantined mappings unmaps the oldest.
        var pool = Pool(cap: 2, quarantine: TimeSpan.Zero);
        var ring = new FrameRing(new RingLimits(100, null, long.MaxValue), pool);
        for (var i = 0; i < 6; i++) ring.Append(Bytes(100_000 + i * 40_000, (byte)i), T0.AddSeconds(i));   // distinct classes
        ring.Dispose();
        var s = pool.GetStats();
        Assert.Equal((0L, 6L, 4L, 2L, 2L), (s.NativeInUse, s.Mapped, s.Unmapped, s.Mappings, s.QuarantinedMappings));
        pool.Trim();                                               // Trim ignores the cap for idle mappings
        s = pool.GetStats();
        Assert.Equal((6L, 0L, 0L, 0L, 0L), (s.Unmapped, s.Mappings, s.QuarantinedMappings, s.QuarantinedBytes, s.MappedBytes));

        // With the quarantine time, recently freed mappings stay mapped whatever the cap.
        var young = Pool(cap: 0, quarantine: Long);
        ring = new FrameRing(new RingLimits(100, null, long.MaxValue), young);
        for (var i = 0; i < 4; i++) ring.Append(Bytes(100_000, (byte)i), T0.AddSeconds(i));
        ring.Dispose();
        young.Trim();
        s = young.GetStats();
        Assert.Equal((4L, 0L, 4L), (s.Mapped, s.Unmapped, s.QuarantinedMappings));
    }

    [Fact]
    public void A_frame_whose_window_was_never_disposed_is_returned_by_its_finalizer()
    {
        if (!FramePool.NativeBuffersSupported) return;
        var pool = Pool();
        var ring = new FrameRing(new RingLimits(1, null, long.MaxValue), pool);
        LeakWindow(ring);
        ring.Dispose();
        Assert.Equal(1, pool.GetStats().NativeInUse);
        for (var i = 0; i < 5 && pool.GetStats().NativeInUse > 0; i++) { GC.Collect(); GC.WaitForPendingFinalizers(); }
        var s = pool.GetStats();
        Assert.Equal((0L, 1L, 0L, 0L, 0L), (s.NativeInUse, s.Forgotten, s.Returns, s.BytesRequested, s.BytesRented));
        Assert.Equal(1, s.QuarantinedMappings);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void LeakWindow(FrameRing ring)
    {
        ring.Append(Bytes(100_000, 9), T0);
        var w = ring.Latest()!;
        Assert.Equal(9, w[0].Jpeg.Span[0]);
    }

    [Fact]
    public void The_managed_fallback_gives_managed_frames_with_the_same_bytes()
    {
        var pool = new FramePool(new FramePoolOptions { NativeBuffers = false });
        using var ring = new FrameRing(new RingLimits(3, null, long.MaxValue), pool);
        for (var i = 0; i < 5; i++) ring.Append(Bytes(200_000, (byte)i), T0.AddSeconds(i));
        using var all = ring.Window(DateTimeOffset.MinValue, DateTimeOffset.MaxValue);
        Assert.All(all, f => Assert.False(f.IsNative));
        Assert.Equal(new byte[] { 2, 3, 4 }, all.Select(f => f.Jpeg.Span[199_999]));
        Assert.True(System.Runtime.InteropServices.MemoryMarshal.TryGetArray(all[0].Jpeg, out _));
        var s = pool.GetStats();
        Assert.Equal((0L, 0L, 3L, 2L), (s.NativeInUse, s.Mapped, s.BuffersInUse, s.Returns));
        Assert.False(pool.UsesNativeFor(1 << 20));
    }

    [Fact]
    public void Small_frames_stay_managed_even_with_native_buffers()
    {
        var pool = Pool();
        Assert.False(pool.UsesNativeFor(64 * 1024 - 1));
        Assert.Equal(FramePool.NativeBuffersSupported && Environment.SystemPageSize <= 4096, pool.UsesNativeFor(64 * 1024));
        using var ring = new FrameRing(new RingLimits(3, null, long.MaxValue), pool);
        ring.Append(Bytes(60_000, 1), T0);
        using var w = ring.Latest()!;
        Assert.False(w[0].IsNative);
    }

    [Fact]
    public async Task Readers_holding_windows_see_stable_bytes_while_the_writer_evicts_native_frames()
    {
        if (!FramePool.NativeBuffersSupported) return;
        // No quarantine time and a cap of 2: a mapping released too early would be reused at once (bytes change),
        // dropped (zeros) or unmapped (a fault). Sizes straddle the 64 KB threshold: managed and native frames mix.
        var pool = Pool(cap: 2, quarantine: TimeSpan.Zero);
        using var ring = new FrameRing(new RingLimits(6, null, long.MaxValue), pool);
        const int frames = 1500;
        var done = 0;
        var rndSizes = new Random(2);
        var sizes = Enumerable.Range(0, frames + 1).Select(_ => 40_000 + rndSizes.Next(120_000)).ToArray();
        var pattern = new byte[256 + 160_000];
        for (var i = 0; i < pattern.Length; i++) pattern[i] = (byte)(i * 7);
        // Frame `seq` holds pattern[(seq % 256)..]: a reused or dropped buffer shows another frame's bytes or zeros.
        static ReadOnlySpan<byte> Expected(byte[] p, long seq, int n) => p.AsSpan((int)(seq % 256), n);

        var checks = new int[3];
        bool Starved() { for (var i = 0; i < checks.Length; i++) if (Volatile.Read(ref checks[i]) < 300) return true; return false; }
        using var start = new Barrier(4);
        var writer = Task.Run(() =>
        {
            start.SignalAndWait();
            long seq = 0;
            while (++seq <= 50_000 && (seq <= frames || Starved()))
                ring.Append(Expected(pattern, seq, sizes[seq % sizes.Length]), T0.AddMilliseconds(seq * 200));
            Volatile.Write(ref done, 1);
            return seq - 1;
        });
        var readers = Enumerable.Range(0, 3).Select(r => Task.Run(() =>
        {
            start.SignalAndWait();
            while (Volatile.Read(ref done) == 0)
            {
                using var w = r == 0 ? ring.Latest() : ring.Window(DateTimeOffset.MinValue, DateTimeOffset.MaxValue);
                if (w is null) continue;
                foreach (var f in w) Assert.True(f.Jpeg.Span.SequenceEqual(Expected(pattern, f.Sequence, f.Length)), $"frame {f.Sequence} changed on first look");
                Thread.Yield();
                foreach (var f in w)
                {
                    Assert.True(f.Jpeg.Span.SequenceEqual(Expected(pattern, f.Sequence, f.Length)), $"frame {f.Sequence} changed while held");
                    Interlocked.Increment(ref checks[r]);
                }
            }
        })).ToArray();
        var written = await writer;
        await Task.WhenAll(readers);
        Assert.All(checks, c => Assert.True(c >= 300, $"a reader checked only {c} frames"));
        ring.Dispose();
        var s = pool.GetStats();
        Assert.Equal((written, written), (s.Rents, s.Returns));
        Assert.Equal((0L, 0L, 0L, 0L), (s.BuffersInUse, s.NativeInUse, s.BytesRequested, s.BytesRented));
        Assert.True(s.Mapped > 0 && s.Hits > 0, s.ToString());
        Assert.True(s.Mappings <= 2, s.ToString());               // everything past the cap was unmapped
    }
}

/// <summary>Tests that flip the process-wide switch run alone.</summary>
[CollectionDefinition(nameof(NativeSwitchCollection), DisableParallelization = true)]
public sealed class NativeSwitchCollection;

[Collection(nameof(NativeSwitchCollection))]
public class NativeSwitchTests
{
    [Fact]
    public void The_static_switch_turns_native_buffers_off_for_pools_that_follow_it()
    {
        var pool = new FramePool();
        var followed = new FramePool(new FramePoolOptions { NativeBuffers = true });
        var was = FramePool.NativeBuffersEnabled;
        try
        {
            FramePool.NativeBuffersEnabled = false;
            using var ring = new FrameRing(new RingLimits(2, null, long.MaxValue), pool);
            ring.Append(new byte[300_000], DateTimeOffset.UnixEpoch);
            using (var w = ring.Latest()!) Assert.False(w[0].IsNative);
            Assert.False(pool.UsesNativeFor(300_000));
            Assert.Equal(FramePool.NativeBuffersSupported, followed.UsesNativeFor(300_000));   // an explicit option wins
            FramePool.NativeBuffersEnabled = true;
            ring.Append(new byte[300_000], DateTimeOffset.UnixEpoch.AddSeconds(1));
            using (var w = ring.Latest()!) Assert.Equal(FramePool.NativeBuffersSupported, w[0].IsNative);
        }
        finally { FramePool.NativeBuffersEnabled = was; }
    }
}
