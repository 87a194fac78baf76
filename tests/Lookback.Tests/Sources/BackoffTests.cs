using Lookback.Sources;

namespace Lookback.Tests.Sources;

public class BackoffTests
{
    [Fact]
    public void Grows_from_one_second_to_sixty_without_jitter()
    {
        var b = new Backoff(random: () => 0.5);
        var seconds = Enumerable.Range(0, 9).Select(_ => b.Next().TotalSeconds).ToArray();
        Assert.Equal([1, 2, 4, 8, 16, 32, 60, 60, 60], seconds);
    }

    [Fact]
    public void Jitter_stays_within_twenty_percent_and_under_the_cap()
    {
        var rnd = new Random(3);
        for (var run = 0; run < 200; run++)
        {
            var b = new Backoff(random: rnd.NextDouble);
            for (var n = 1; n <= 12; n++)
            {
                var d = b.Next().TotalSeconds;
                var nominal = Math.Min(60, Math.Pow(2, n - 1));
                Assert.InRange(d, nominal * 0.8 - 1e-9, Math.Min(60, nominal * 1.2) + 1e-9);
            }
        }
    }

    [Theory]
    [InlineData(0.0, 0.8)]
    [InlineData(0.999999, 1.2)]
    public void Jitter_bounds_are_reached(double r, double factor) =>
        Assert.Equal(4 * factor, Backoff.Delay(3, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(60), 0.2, r).TotalSeconds, 3);

    [Fact]
    public void Reset_starts_over()
    {
        var b = new Backoff(random: () => 0.5);
        b.Next(); b.Next(); b.Next();
        Assert.Equal(3, b.Failures);
        b.Reset();
        Assert.Equal(0, b.Failures);
        Assert.Equal(TimeSpan.FromSeconds(1), b.Next());
    }

    [Fact]
    public void Scales_for_tests()
    {
        var b = new Backoff(TimeSpan.FromMilliseconds(10), TimeSpan.FromMilliseconds(50), random: () => 0.5);
        Assert.Equal([10, 20, 40, 50, 50], Enumerable.Range(0, 5).Select(_ => b.Next().TotalMilliseconds));
    }

    [Fact]
    public void Huge_failure_counts_do_not_overflow() =>
        Assert.Equal(60, Backoff.Delay(100_000, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(60), 0.2, 0.5).TotalSeconds);
}
