using System.Globalization;

namespace Lookback.Media.Storage;

/// <summary>
/// The one date parser of the API and the CLI: a day is <c>yyyy-MM-dd</c>, <c>today</c> or <c>yesterday</c> (the
/// local day, i.e. the add-on's TZ, the same day the media folders are named by). Pure: "today" comes from the caller.
/// </summary>
public static class Days
{
    public const string Accepted = "yyyy-MM-dd, today or yesterday";

    /// <summary>The local day of <paramref name="now"/>.</summary>
    public static DateOnly Today(DateTimeOffset now, TimeZoneInfo? zone = null) =>
        DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(now, zone ?? TimeZoneInfo.Local).DateTime);

    public static bool TryParse(string? s, DateOnly today, out DateOnly day)
    {
        day = default;
        if (string.IsNullOrWhiteSpace(s)) return false;
        s = s.Trim();
        if (s.Equals("today", StringComparison.OrdinalIgnoreCase)) { day = today; return true; }
        if (s.Equals("yesterday", StringComparison.OrdinalIgnoreCase)) { day = today.AddDays(-1); return true; }
        return DateOnly.TryParseExact(s, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out day);
    }

    /// <summary>The error text for a bad day in <paramref name="field"/>.</summary>
    public static string Error(string field, string? got) =>
        $"{field}: must be {Accepted} (got '{(got is { Length: > 40 } ? got[..40] + "…" : got)}')";

    /// <summary>The instants the local day starts and ends (the next day's start; 23 or 25 hours on DST days).</summary>
    public static (DateTimeOffset Start, DateTimeOffset End) Bounds(DateOnly day, TimeZoneInfo? zone = null)
    {
        zone ??= TimeZoneInfo.Local;
        return (StartOf(day, zone), StartOf(day.AddDays(1), zone));
    }

    public static string Text(DateOnly day) => day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    private static DateTimeOffset StartOf(DateOnly day, TimeZoneInfo zone)
    {
        var local = day.ToDateTime(TimeOnly.MinValue, DateTimeKind.Unspecified);
        // a midnight skipped by DST (some zones): the first valid minute after it
        while (zone.IsInvalidTime(local)) local = local.AddMinutes(30);
        var offset = zone.IsAmbiguousTime(local) ? zone.GetAmbiguousTimeOffsets(local).Max() : zone.GetUtcOffset(local);
        return new DateTimeOffset(local, offset);
    }
}
