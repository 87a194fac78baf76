using Lookback.Buffer;

namespace Lookback.Tests;

public class SmokeTests
{
    [Fact]
    public void Ring_evicts_by_frame_count()
    {
        using var ring = new FrameRing(new RingLimits(2, null, long.MaxValue));
        var t = DateTimeOffset.UnixEpoch;
        for (var i = 0; i < 3; i++) ring.Append(new byte[] { 1, 2, 3 }, t.AddSeconds(i));
        Assert.Equal(2, ring.Count);
        Assert.Equal(t.AddSeconds(1), ring.OldestTime);
    }
}
