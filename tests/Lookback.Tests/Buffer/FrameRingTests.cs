using Lookback.Buffer;

namespace Lookback.Tests.Buffer;

public class FrameRingTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 22, 17, 35, 0, TimeSpan.Zero);
    private static readonly RingLimits Unbounded = new(int.MaxValue, null, long.MaxValue);

    private static byte[] Bytes(int n, byte v = 1) => Enumerable.Repeat(v, n).ToArray();

    [Fact]
    public void Evicts_by_frame_count()
    {
        using var ring = new FrameRing(new RingLimits(2, null, long.MaxValue));
        for (var i = 0; i < 3; i++) ring.Append(new byte[] { 1, 2, 3 }, T0.AddSeconds(i));
        Assert.Equal(2, ring.Count);
        Assert.Equal(T0.AddSeconds(1), ring.OldestTime);
        Assert.Equal(T0.AddSeconds(2), ring.NewestTime);
        Assert.Equal(3, ring.NewestSequence);
        Assert.Equal(6, ring.Bytes);
    }

    [Fact]
    public void Evicts_by_age_relative_to_the_newest_frame()
    {
        using var ring = new FrameRing(new RingLimits(int.MaxValue, TimeSpan.FromSeconds(10), long.MaxValue));
        for (var i = 0; i <= 30; i++) ring.Append(Bytes(10), T0.AddSeconds(i));
        Assert.Equal(11, ring.Count);                              // 20..30 inclusive: age exactly 10 s is kept
        Assert.Equal(T0.AddSeconds(20), ring.OldestTime);
        ring.Append(Bytes(10), T0.AddSeconds(100));                // a jump evicts everything older, keeps the newest
        Assert.Equal(1, ring.Count);
    }

    [Fact]
    public void Evicts_by_bytes_but_keeps_the_newest_frame()
    {
        using var ring = new FrameRing(new RingLimits(int.MaxValue, null, 1000));
        for (var i = 0; i < 10; i++) ring.Append(Bytes(300), T0.AddSeconds(i));
        Assert.Equal(3, ring.Count);
        Assert.Equal(900, ring.Bytes);
        ring.Append(Bytes(5000), T0.AddSeconds(10));
        Assert.Equal(1, ring.Count);
        Assert.Equal(5000, ring.Bytes);
    }

    [Fact]
    public void Grows_past_its_initial_capacity_keeping_order()
    {
        using var ring = new FrameRing(Unbounded);
        for (var i = 0; i < 1000; i++) ring.Append(BitConverter.GetBytes(i), T0.AddMilliseconds(i * 100));
        using var all = ring.Window(DateTimeOffset.MinValue, DateTimeOffset.MaxValue);
        Assert.Equal(1000, all.Count);
        for (var i = 0; i < 1000; i++) Assert.Equal(i, BitConverter.ToInt32(all[i].Jpeg.Span));
    }

    [Fact]
    public void Window_edges_are_inclusive()
    {
        using var ring = new FrameRing(new RingLimits(50, null, long.MaxValue));
        for (var i = 0; i < 100; i++) ring.Append(new[] { (byte)i }, T0.AddSeconds(i));   // 50..99 remain
        using var w = ring.Window(T0.AddSeconds(60), T0.AddSeconds(70));
        Assert.Equal(11, w.Count);
        Assert.Equal(60, w[0].Jpeg.Span[0]);
        Assert.Equal(70, w[^1].Jpeg.Span[0]);
        using var between = ring.Window(T0.AddSeconds(60.5), T0.AddSeconds(61.5));
        Assert.Equal(61, Assert.Single(between).Jpeg.Span[0]);
        using var point = ring.Window(T0.AddSeconds(75), T0.AddSeconds(75));
        Assert.Equal(75, Assert.Single(point).Jpeg.Span[0]);
        // Frame sequences are 1-based and in order.
        Assert.Equal(Enumerable.Range(61, 11).Select(i => (long)i), w.Select(f => f.Sequence));
    }

    [Fact]
    public void Window_with_look_behind_adds_the_frame_on_screen_at_its_start_only_when_recent_enough()
    {
        using var ring = new FrameRing(new RingLimits(50, null, long.MaxValue));
        for (var i = 0; i < 10; i++) ring.Append(new[] { (byte)i }, T0.AddSeconds(i));
        using (var w = ring.Window(T0.AddSeconds(4.5), T0.AddSeconds(6), TimeSpan.FromSeconds(1)))
            Assert.Equal([4, 5, 6], w.Select(f => (int)f.Jpeg.Span[0]));
        using (var exact = ring.Window(T0.AddSeconds(4), T0.AddSeconds(6), TimeSpan.FromSeconds(1)))
            Assert.Equal([4, 5, 6], exact.Select(f => (int)f.Jpeg.Span[0]));   // a frame at the start: nothing older
        using (var old = ring.Window(T0.AddSeconds(4.5), T0.AddSeconds(6), TimeSpan.FromSeconds(0.4)))
            Assert.Equal([5, 6], old.Select(f => (int)f.Jpeg.Span[0]));      // the one before is too old
        using (var after = ring.Window(T0.AddSeconds(9.5), T0.AddSeconds(12), TimeSpan.FromSeconds(1)))
            Assert.Equal([9], after.Select(f => (int)f.Jpeg.Span[0]));       // past the newest frame
        using (var before = ring.Window(T0.AddSeconds(-3), T0.AddSeconds(1), TimeSpan.FromSeconds(1)))
            Assert.Equal([0, 1], before.Select(f => (int)f.Jpeg.Span[0]));   // nothing before the oldest
    }

    [Fact]
    public void Window_can_be_empty_or_everything()
    {
        using var ring = new FrameRing(Unbounded);
        using (var none = ring.Window(DateTimeOffset.MinValue, DateTimeOffset.MaxValue)) Assert.Empty(none);
        for (var i = 0; i < 20; i++) ring.Append(new[] { (byte)i }, T0.AddSeconds(i));
        using (var before = ring.Window(T0.AddSeconds(-10), T0.AddSeconds(-1))) Assert.Empty(before);
        using (var after = ring.Window(T0.AddSeconds(20), T0.AddSeconds(30))) Assert.Empty(after);
        using (var reversed = ring.Window(T0.AddSeconds(10), T0.AddSeconds(5))) Assert.Empty(reversed);
        using (var all = ring.Window(DateTimeOffset.MinValue, DateTimeOffset.MaxValue)) Assert.Equal(20, all.Count);
        using (var wide = ring.Window(T0.AddDays(-1), T0.AddDays(1))) Assert.Equal(20, wide.Count);
    }

    [Fact]
    public void Window_compares_instants_across_offsets()
    {
        using var ring = new FrameRing(Unbounded);
        for (var i = 0; i < 10; i++) ring.Append(new[] { (byte)i }, T0.AddSeconds(i));
        var local = T0.ToOffset(TimeSpan.FromHours(2));
        using var w = ring.Window(local.AddSeconds(3), local.AddSeconds(4));
        Assert.Equal(new byte[] { 3, 4 }, w.Select(f => f.Jpeg.Span[0]));
    }

    [Fact]
    public void Latest_is_the_newest_frame_or_null()
    {
        using var ring = new FrameRing(Unbounded);
        Assert.Null(ring.Latest());
        ring.Append(new byte[] { 7 }, T0, 1920, 1080);
        ring.Append(new byte[] { 8, 9 }, T0.AddSeconds(1), 1920, 1080);
        using var latest = ring.Latest()!;
        var f = Assert.Single(latest);
        Assert.Equal(new byte[] { 8, 9 }, f.Jpeg.ToArray());
        Assert.Equal((2L, T0.AddSeconds(1), 1920, 1080, 2), (f.Sequence, f.Time, f.Width, f.Height, f.Length));
    }

    [Fact]
    public void Older_times_are_clamped_to_newest_plus_one_tick()
    {
        using var ring = new FrameRing(Unbounded);
        ring.Append(new byte[] { 1 }, T0.AddSeconds(10));
        ring.Append(new byte[] { 2 }, T0.AddSeconds(5));
        ring.Append(new byte[] { 3 }, T0.AddSeconds(10));   // older than the clamped newest again
        ring.Append(new byte[] { 4 }, T0.AddSeconds(10).AddTicks(2));   // equal to the newest is kept as is
        using var all = ring.Window(DateTimeOffset.MinValue, DateTimeOffset.MaxValue);
        Assert.Equal(T0.AddSeconds(10), all[0].Time);
        Assert.Equal(T0.AddSeconds(10).AddTicks(1), all[1].Time);
        Assert.Equal(T0.AddSeconds(10).AddTicks(2), all[2].Time);
        Assert.Equal(T0.AddSeconds(10).AddTicks(2), all[3].Time);
        using var w = ring.Window(T0.AddSeconds(10).AddTicks(1), T0.AddSeconds(11));
        Assert.Equal(new byte[] { 2, 3, 4 }, w.Select(f => f.Jpeg.Span[0]));
    }

    [Fact]
    public void A_window_keeps_evicted_frames_until_disposed_and_then_returns_them_to_the_pool()
    {
        var pool = new FramePool();
        using var ring = new FrameRing(new RingLimits(4, null, long.MaxValue), pool);
        for (var i = 0; i < 4; i++) ring.Append(Bytes(20_000, (byte)i), T0.AddSeconds(i));
        var held = ring.Window(T0, T0.AddSeconds(1));             // frames 0 and 1
        for (var i = 4; i < 10; i++) ring.Append(Bytes(20_000, (byte)i), T0.AddSeconds(i));
        var s = pool.GetStats();
        Assert.Equal(10, s.Rents);
        Assert.Equal(4, s.Returns);                               // 6 evicted, 2 still held
        Assert.Equal(6, s.BuffersInUse);
        Assert.All(held[0].Jpeg.ToArray(), b => Assert.Equal(0, b));
        Assert.All(held[1].Jpeg.ToArray(), b => Assert.Equal(1, b));
        var f0 = held[0];
        held.Dispose();
        held.Dispose();                                           // idempotent
        Assert.Equal(6, pool.GetStats().Returns);
        Assert.Throws<ObjectDisposedException>(() => f0.Jpeg);
        ring.Dispose();
        s = pool.GetStats();
        Assert.Equal(10, s.Returns);
        Assert.Equal((0L, 0L, 0L), (s.BuffersInUse, s.BytesRequested, s.BytesRented));
        Assert.True(s.Hits > 0, "evicted buffers are reused");
    }

    [Fact]
    public void Appends_after_dispose_are_ignored_and_return_their_buffer()
    {
        var pool = new FramePool();
        var ring = new FrameRing(Unbounded, pool);
        ring.Append(Bytes(10_000), T0);
        ring.Dispose();
        ring.Append(Bytes(10_000), T0.AddSeconds(1));
        Assert.Equal(0, ring.Count);
        Assert.Null(ring.Latest());
        Assert.Equal(0, pool.GetStats().BuffersInUse);
    }

    [Fact]
    public void Public_window_constructor_takes_its_own_references()
    {
        var f = new Frame(new byte[] { 1, 2, 3 }, 1, T0, 0, 0);
        var w = new FrameWindow([f]);
        w.Dispose();
        Assert.Equal(3, f.Jpeg.Length);   // the creator's reference keeps it valid
        using var ring = new FrameRing(Unbounded);
        ring.Append(new byte[] { 4 }, T0);
        using var latest = ring.Latest()!;
        using var again = new FrameWindow([latest[0]]);
        Assert.Equal(3, latest[0].RefCount);
    }

    [Fact]
    public async Task WaitForFrameAsync_completes_on_append()
    {
        using var ring = new FrameRing(Unbounded);
        ring.Append(new byte[] { 1 }, T0);
        await ring.WaitForFrameAsync(0, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10));   // already newer
        var wait = ring.WaitForFrameAsync(ring.NewestSequence, CancellationToken.None);
        Assert.False(wait.IsCompleted);
        ring.Append(new byte[] { 2 }, T0.AddSeconds(1));
        await wait.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.True(wait.IsCompletedSuccessfully);
    }

    [Fact]
    public async Task WaitForFrameAsync_ends_on_cancel()
    {
        using var ring = new FrameRing(Unbounded);
        using var cts = new CancellationTokenSource();
        var wait = ring.WaitForFrameAsync(0, cts.Token);
        Assert.False(wait.IsCompleted);
        cts.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => wait.WaitAsync(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public async Task Readers_holding_windows_see_stable_bytes_while_the_writer_evicts()
    {
        // A tiny pool and ring: evicted buffers are reused at once, so a buffer returned too early would be overwritten.
        var pool = new FramePool(new FramePoolOptions { SmallestClass = 1024, MaxFreePerClass = 2 });
        using var ring = new FrameRing(new RingLimits(6, null, long.MaxValue), pool);
        const int frames = 4000;
        var done = 0;
        var rndSizes = new Random(1);
        var sizes = Enumerable.Range(0, frames + 1).Select(_ => 1500 + rndSizes.Next(2000)).ToArray();

        static void Fill(Span<byte> b, long seq) { for (var i = 0; i < b.Length; i++) b[i] = (byte)(seq * 31 + i * 7); }
        static bool Check(Frame f)
        {
            var s = f.Jpeg.Span;
            for (var i = 0; i < s.Length; i++) if (s[i] != (byte)(f.Sequence * 31 + i * 7)) return false;
            return true;
        }

        var checks = new int[3];
        bool Starved() { for (var i = 0; i < checks.Length; i++) if (Volatile.Read(ref checks[i]) < 500) return true; return false; }
        using var start = new Barrier(4);                          // writer and readers begin together
        var writer = Task.Run(() =>
        {
            start.SignalAndWait();
            var buf = new byte[4096];
            long seq = 0;
            // At least `frames` frames, and on until every reader has verified frames while the writer evicts; the
            // bound is time, not a count, so that readers starved by a loaded machine still get their turn.
            var limit = System.Diagnostics.Stopwatch.StartNew();
            while (++seq <= frames || (Starved() && limit.Elapsed < TimeSpan.FromSeconds(60)))
            {
                var span = buf.AsSpan(0, sizes[seq % sizes.Length]);
                Fill(span, seq);
                ring.Append(span, T0.AddMilliseconds(seq * 200));
            }
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
                foreach (var f in w) Assert.True(Check(f), $"frame {f.Sequence} changed on first look");
                Thread.Yield();                                    // let the writer evict what we hold
                foreach (var f in w) { Assert.True(Check(f), $"frame {f.Sequence} changed while held"); Interlocked.Increment(ref checks[r]); }
            }
            return Volatile.Read(ref checks[r]);
        })).ToArray();
        var written = await writer;
        var counts = await Task.WhenAll(readers);
        Assert.All(counts, c => Assert.True(c >= 500, $"reader checked only {c} frames"));
        ring.Dispose();
        var s = pool.GetStats();
        Assert.Equal(written, s.Rents);
        Assert.Equal(written, s.Returns);
        Assert.True(s.Hits > written / 2, $"hits {s.Hits} of {written}");
    }
}
