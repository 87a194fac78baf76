using Lookback.Media.Storage;

namespace Lookback.Tests.Review;

/// <summary>The one date parser (issue 12): yyyy-MM-dd, today and yesterday; a local day's bounds across DST.</summary>
public sealed class DaysTests
{
    private static readonly DateOnly Today = new(2026, 3, 29);

    [Theory]
    [InlineData("today", "2026-03-29")]
    [InlineData("Yesterday", "2026-03-28")]
    [InlineData(" 2026-01-02 ", "2026-01-02")]
    public void Words_and_dates_parse(string text, string expected)
    {
        Assert.True(Days.TryParse(text, Today, out var day));
        Assert.Equal(DateOnly.Parse(expected, System.Globalization.CultureInfo.InvariantCulture), day);
    }

    [Theory]
    [InlineData("")]
    [InlineData("tomorrow")]
    [InlineData("2026-13-01")]
    [InlineData("03/29/2026")]
    public void Anything_else_is_refused_with_the_field_named(string text)
    {
        Assert.False(Days.TryParse(text, Today, out _));
        Assert.Equal($"date: must be yyyy-MM-dd, today or yesterday (got '{text}')", Days.Error("date", text));
    }

    [Fact]
    public void A_day_spans_local_midnight_to_midnight_23_hours_on_the_spring_dst_day()
    {
        var paris = TimeZoneInfo.FindSystemTimeZoneById("Europe/Paris");
        var (start, end) = Days.Bounds(Today, paris);
        Assert.Equal(new DateTimeOffset(2026, 3, 29, 0, 0, 0, TimeSpan.FromHours(1)), start);
        Assert.Equal(new DateTimeOffset(2026, 3, 30, 0, 0, 0, TimeSpan.FromHours(2)), end);
        Assert.Equal(TimeSpan.FromHours(23), end - start);
        Assert.Equal(Today, Days.Today(new DateTimeOffset(2026, 3, 28, 23, 30, 0, TimeSpan.Zero), paris));
    }
}
