using System.Globalization;
using Lookback.Cameras;
using Lookback.Config;

namespace Lookback.Media.Rendering;

/// <summary>Limits every door shares: HTTP and triggers (through <see cref="RenderValidation"/>), MQTT commands
/// (<c>CommandParser</c>, which checks the same ranges before queueing), motion events, and <c>GET /api/limits</c>.</summary>
public static class RenderLimits
{
    public const double MaxSeconds = 300;
    public const double MaxFps = 30;
    public const int MinWidth = 16, MaxWidth = 3840;
    public const double MinSpeed = 0.1, MaxSpeed = 20;
    public const double MaxBefore = 300, MaxAfter = 60;
    public const double MaxInterval = 60;

    /// <summary>GIF length (a camera with a shorter buffer lowers the maximum: <see cref="SecondsFor"/>).</summary>
    public static NumberRange Seconds => SecondsFor(MaxSeconds);
    public static NumberRange SecondsFor(double max) => NumberRange.Over(0, max);
    public static readonly NumberRange Fps = NumberRange.Over(0, MaxFps);
    public static readonly NumberRange Width = NumberRange.WholeBetween(MinWidth, MaxWidth);
    public static readonly NumberRange Speed = NumberRange.Between(MinSpeed, MaxSpeed);
    public static readonly NumberRange Before = NumberRange.Between(0, MaxBefore);
    public static readonly NumberRange After = NumberRange.Between(0, MaxAfter);
    /// <summary>Moment defaults when before/after are not given.</summary>
    public const double DefaultBefore = 5, DefaultAfter = 5;
    /// <summary>A moment waits at most after + this for its last frame.</summary>
    public static readonly TimeSpan MomentWaitSlack = TimeSpan.FromSeconds(10);
}

/// <summary>A validated request with every default resolved: what the engine renders.</summary>
public sealed record RenderPlan
{
    public required RenderRequest Request { get; init; }
    public required ICamera Camera { get; init; }
    public RenderKind Kind => Request.Kind;
    public required DateTimeOffset RequestedAt { get; init; }
    /// <summary>The window of frames (inclusive). For a moment, <see cref="To"/> is requestedAt + after.</summary>
    public required DateTimeOffset From { get; init; }
    public required DateTimeOffset To { get; init; }
    /// <summary>GIF output rate (for moments: the GIF beside the MP4). Null for MP4 (natural rate of the window).</summary>
    public double? Fps { get; init; }
    /// <summary>Requested output width (never upscaled); null = source width (MP4, snapshot).</summary>
    public int? Width { get; init; }
    public double Speed { get; init; } = 1;
    /// <summary>Wording for "no frames in …" errors.</summary>
    public required string WindowText { get; init; }

    /// <summary>The GIF rendered beside a moment's MP4 uses the camera's gif options (width, fps).</summary>
    public int MomentGifWidth => Camera.Options.Gif.Width;
}

/// <summary>Checks a request against the limits and resolves the camera's defaults. Errors name the field.</summary>
public static class RenderValidation
{
    private static string N(double v) => v.ToString("0.###", CultureInfo.InvariantCulture);

    /// <summary>"width must be between 16 and 3840 (got 5000)", or null when the value is absent or allowed.</summary>
    private static string? Outside(string field, double? value, NumberRange range) =>
        value is { } v && !range.Contains(v) ? $"{field} must be {range.Describe()} (got {N(v)})" : null;

    public static (RenderPlan? Plan, string? Error) Validate(RenderRequest r, ICameraDirectory cameras, DateTimeOffset now)
    {
        var cam = cameras.Find(r.Camera);
        if (cam is null) return (null, $"unknown camera '{r.Camera}'");
        var opt = cam.Options;
        var at = r.RequestedAt ?? now;

        if (Outside("width", r.Width, RenderLimits.Width) is { } widthError) return (null, widthError);
        if (Outside("speed", r.Speed, RenderLimits.Speed) is { } speedError) return (null, speedError);
        if (Outside("fps", r.Fps, RenderLimits.Fps) is { } fpsError) return (null, fpsError);
        if (r.FrameInterval is { } iv && (double.IsNaN(iv) || iv < 1 / RenderLimits.MaxFps - 1e-9 || iv > RenderLimits.MaxInterval))
            return (null, $"interval must be between {N(1 / RenderLimits.MaxFps)} and {N(RenderLimits.MaxInterval)} seconds (got {N(iv)})");
        var maxSeconds = RenderLimits.MaxSeconds;
        if (cam.Ring.Limits.MaxAge is { } age && age.TotalSeconds > 0) maxSeconds = Math.Min(maxSeconds, Math.Ceiling(age.TotalSeconds));
        if (Outside("seconds", r.Seconds, RenderLimits.SecondsFor(maxSeconds)) is { } secondsError) return (null, secondsError);
        if (Outside("before", r.Before, RenderLimits.Before) is { } beforeError) return (null, beforeError);
        if (Outside("after", r.After, RenderLimits.After) is { } afterError) return (null, afterError);

        DateTimeOffset from, to;
        string windowText;
        if (r.From is { } f0 && r.To is { } t0)
        {
            if (t0 <= f0) return (null, "to must be after from");
            if ((t0 - f0).TotalSeconds > RenderLimits.MaxBefore + RenderLimits.MaxAfter)
                return (null, $"from..to must span at most {N(RenderLimits.MaxBefore + RenderLimits.MaxAfter)} seconds");
            (from, to) = (f0, t0);
            windowText = $"no frames between {RenderJson.Format(f0)} and {RenderJson.Format(t0)}";
        }
        else if (r.Kind == RenderKind.Moment)
        {
            var before = r.Before ?? RenderLimits.DefaultBefore;
            var after = r.After ?? RenderLimits.DefaultAfter;
            if (before + after <= 0) return (null, "before and after must not both be 0");
            (from, to) = (at.AddSeconds(-before), at.AddSeconds(after));
            windowText = $"no frames from {N(before)} s before to {N(after)} s after the request";
        }
        else if (r.Kind == RenderKind.Snapshot)
        {
            (from, to) = (at, at);
            windowText = "no frames yet";
        }
        else
        {
            var seconds = r.Seconds ?? Math.Min(opt.Gif.Seconds, maxSeconds);
            (from, to) = (at.AddSeconds(-seconds), at);
            windowText = $"no frames in the last {N(seconds)} s";
        }

        double? fps = r.Kind switch
        {
            RenderKind.Gif => r.FrameInterval is { } i ? 1 / i : r.Fps ?? opt.Gif.Fps,
            RenderKind.Moment => Math.Clamp(opt.Gif.Fps, 0.1, RenderLimits.MaxFps),
            _ => null,
        };
        int? width = r.Kind == RenderKind.Gif ? r.Width ?? opt.Gif.Width : r.Width;
        var speed = r.Kind == RenderKind.Gif && r.FrameInterval is null ? r.Speed ?? 1 : 1;

        return (new RenderPlan
        {
            Request = r, Camera = cam, RequestedAt = at, From = from, To = to,
            Fps = fps, Width = width, Speed = speed, WindowText = windowText,
        }, null);
    }
}
