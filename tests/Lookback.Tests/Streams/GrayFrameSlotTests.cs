using Lookback.Sources.Streaming;
using Xunit;

namespace Lookback.Tests.Streams;

/// <summary>The gray frame slot wakes motion analysis when a frame arrives (no timer that aliases with ffmpeg's rate).</summary>
public sealed class GrayFrameSlotTests
{
    [Fact]
    public async Task A_wait_ends_when_a_newer_frame_is_written_and_at_once_when_there_is_one()
    {
        var slot = new GrayFrameSlot();
        var wait = slot.WaitForNewerAsync(0, CancellationToken.None);
        Assert.False(wait.IsCompleted);
        slot.Write(new byte[4], 2, 2, DateTimeOffset.UnixEpoch);
        await wait.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(1, slot.Sequence);
        Assert.True(slot.WaitForNewerAsync(0, CancellationToken.None).IsCompleted); // already newer
        var buffer = Array.Empty<byte>();
        Assert.True(slot.TryReadNewer(0, ref buffer, out var w, out var h, out _, out var seen));
        Assert.Equal((2, 2, 1L), (w, h, seen));
        Assert.False(slot.TryReadNewer(seen, ref buffer, out _, out _, out _, out _));
    }

    [Fact]
    public async Task A_wait_for_a_frame_that_never_comes_ends_on_cancel()
    {
        var slot = new GrayFrameSlot();
        slot.Write(new byte[4], 2, 2, DateTimeOffset.UnixEpoch);
        using var cts = new CancellationTokenSource();
        var wait = slot.WaitForNewerAsync(1, cts.Token);
        Assert.False(wait.IsCompleted);
        cts.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => wait.WaitAsync(TimeSpan.FromSeconds(10)));
    }
}
