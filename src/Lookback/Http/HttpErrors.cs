using System.Globalization;
using Lookback.Media.Rendering;
using Microsoft.AspNetCore.Http;

namespace Lookback.Http;

/// <summary>The API's error answers: JSON <c>{"error": "..."}</c> with the status README "HTTP API" names.</summary>
public static class HttpErrors
{
    public static IResult BadRequest(string error) => Results.Json(new { error }, statusCode: 400);
    public static IResult NotFound(string error) => Results.Json(new { error }, statusCode: 404);
    public static IResult Failed(string error) => Results.Json(new { error }, statusCode: 500);
    public static IResult Busy(HttpContext ctx, string error, int retryAfterSeconds, int status = 429)
    {
        ctx.Response.Headers.RetryAfter = retryAfterSeconds.ToString(CultureInfo.InvariantCulture);
        return Results.Json(new { error }, statusCode: status);
    }

    public static IResult UnknownCamera(string cam) => NotFound($"unknown camera '{cam}'");

    /// <summary>The host's clock (its TimeProvider; the system clock when none is registered): what "today" is.</summary>
    public static DateTimeOffset Now(HttpContext ctx) =>
        ((ctx.RequestServices.GetService(typeof(TimeProvider)) as TimeProvider) ?? TimeProvider.System).GetUtcNow();

    /// <summary>Maps a render that did not succeed to its HTTP answer.</summary>
    public static IResult FromFailedRender(HttpContext ctx, RenderResult r) => r.Status switch
    {
        RenderStatus.Busy => Busy(ctx, r.Error ?? "busy", r.RetryAfter ?? 2),
        _ when r.ErrorCode == RenderErrorCode.UnknownCamera => NotFound(r.Error ?? "unknown camera"),
        _ when r.ErrorCode == RenderErrorCode.BadParameter => BadRequest(r.Error ?? "bad parameter"),
        _ when r.ErrorCode == RenderErrorCode.NoFrames => Busy(ctx, r.Error ?? "no frames yet", 2, 503),
        _ => Failed(r.Error ?? "render failed"),
    };
}

/// <summary>Reads numeric query parameters, collecting the first error with the parameter's name.</summary>
public sealed class QueryReader(IQueryCollection query)
{
    public string? Error { get; private set; }

    public double? Double(string name)
    {
        var s = query[name].ToString();
        if (string.IsNullOrEmpty(s)) return null;
        if (double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && double.IsFinite(v)) return v;
        Error ??= $"{name}: must be a number (got '{Truncate(s)}')";
        return null;
    }

    public int? Int(string name)
    {
        var s = query[name].ToString();
        if (string.IsNullOrEmpty(s)) return null;
        if (int.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v)) return v;
        Error ??= $"{name}: must be a whole number (got '{Truncate(s)}')";
        return null;
    }

    /// <summary>The earliest and latest Unix milliseconds a time parameter may have (years 1 to 9999).</summary>
    public static readonly long MinUnixMs = DateTimeOffset.MinValue.ToUnixTimeMilliseconds(), MaxUnixMs = DateTimeOffset.MaxValue.ToUnixTimeMilliseconds();

    /// <summary>What a day given for a time parameter stands for: the instant it starts, or the one it ends (the next day's start).</summary>
    public enum DayEdge { Start, End }

    /// <summary>
    /// An ISO-8601 time (UTC when it has no offset), Unix milliseconds within years 1..9999, or a local day
    /// (yyyy-MM-dd, today, yesterday: <see cref="Media.Storage.Days"/>) standing for its start or its end (<paramref name="edge"/>).
    /// </summary>
    public DateTimeOffset? Time(string name, DateTimeOffset now, DayEdge edge = DayEdge.Start)
    {
        var s = query[name].ToString();
        if (string.IsNullOrEmpty(s)) return null;
        if (long.TryParse(s, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var ms))
        {
            if (ms >= MinUnixMs && ms <= MaxUnixMs) return DateTimeOffset.FromUnixTimeMilliseconds(ms);
            Error ??= $"{name}: Unix milliseconds must be between {MinUnixMs} and {MaxUnixMs} (got '{Truncate(s)}')";
            return null;
        }
        if (Media.Storage.Days.TryParse(s, Media.Storage.Days.Today(now), out var day))
        {
            var (start, end) = Media.Storage.Days.Bounds(day);
            return edge == DayEdge.Start ? start : end;
        }
        if (DateTimeOffset.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t)) return t;
        Error ??= $"{name}: must be an ISO-8601 time, Unix milliseconds, or a day ({Media.Storage.Days.Accepted}) (got '{Truncate(s)}')";
        return null;
    }

    public string? String(string name) { var s = query[name].ToString(); return string.IsNullOrEmpty(s) ? null : s; }

    /// <summary>A local day: yyyy-MM-dd, today or yesterday (see <see cref="Media.Storage.Days"/>).</summary>
    public DateOnly? Day(string name, DateTimeOffset now)
    {
        var s = String(name);
        if (s is null) return null;
        if (Media.Storage.Days.TryParse(s, Media.Storage.Days.Today(now), out var day)) return day;
        Error ??= Media.Storage.Days.Error(name, s);
        return null;
    }

    /// <summary>A time range from <paramref name="fromName"/>/<paramref name="toName"/> (times, or days: from a day's start
    /// to a day's end, so <c>from=yesterday&amp;to=today</c> is both days) narrowed to the local day <paramref name="dayName"/> when given.</summary>
    public (DateTimeOffset? From, DateTimeOffset? To) Range(string fromName, string toName, string dayName, DateTimeOffset now)
    {
        var from = Time(fromName, now, DayEdge.Start);
        var to = Time(toName, now, DayEdge.End);
        if (Day(dayName, now) is { } day)
        {
            var (start, end) = Media.Storage.Days.Bounds(day);
            if (from is null || from < start) from = start;
            if (to is null || to > end) to = end;
        }
        return (from, to);
    }

    private static string Truncate(string s) => s.Length > 40 ? s[..40] + "…" : s;
}
