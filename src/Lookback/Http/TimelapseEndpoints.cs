using System.Text.Json.Serialization;
using Lookback.Cameras;
using Lookback.Media.Storage;
using Lookback.Media.Timelapse;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Lookback.Http;

/// <summary>
/// <c>GET /api/cameras/{cam}/timelapse</c>: the camera's timelapse days, newest first.
/// <c>GET /api/cameras/{cam}/timelapse/{yyyy-MM-dd}.mp4</c>: the day's MP4, encoded first when missing or older than its
/// samples (404 for a day without frames).
/// </summary>
public static class TimelapseEndpoints
{
    public sealed record DayInfo(
        [property: JsonPropertyName("date")] string Date,
        [property: JsonPropertyName("frames")] int Frames,
        [property: JsonPropertyName("seconds")] double Seconds,
        [property: JsonPropertyName("mp4")] bool Mp4,
        [property: JsonPropertyName("bytes")] long Bytes,
        /// <summary>The MP4 under /media (absolute, from http.public_url) when it exists.</summary>
        [property: JsonPropertyName("url"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Url,
        [property: JsonPropertyName("media"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Media,
        /// <summary>Relative API path that serves the MP4, encoding it first when needed (works under ingress).</summary>
        [property: JsonPropertyName("api")] string Api);

    public static IEndpointRouteBuilder MapTimelapseEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/cameras/{cam}/timelapse", (string cam, ICameraDirectory cams, TimelapseService timelapse, MediaStore media) =>
        {
            if (cams.Find(cam) is null) return HttpErrors.UnknownCamera(cam);
            var days = timelapse.Store.Days(cam).Select(d => new DayInfo(
                TimelapseStore.DayText(d.Date), d.Frames, Math.Round(d.Frames / timelapse.Options.Fps, 2), d.Mp4Exists, d.Mp4Bytes,
                d.Mp4Exists ? media.Url(d.Mp4RelativePath) : null, d.Mp4Exists ? media.Media(d.Mp4RelativePath) : null,
                $"api/cameras/{cam}/timelapse/{TimelapseStore.DayText(d.Date)}.mp4"));
            return Results.Json(days);
        });

        app.MapGet("/api/cameras/{cam}/timelapse/{date}.mp4", async (string cam, string date, HttpContext ctx, ICameraDirectory cams,
            TimelapseService timelapse) =>
        {
            if (cams.Find(cam) is null) return HttpErrors.UnknownCamera(cam);
            if (!Days.TryParse(date, Days.Today(HttpErrors.Now(ctx), timelapse.Store.Zone), out var day)) return HttpErrors.BadRequest(Days.Error("date", date));
            try
            {
                var r = await timelapse.GetOrEncodeAsync(cam, day, ctx.RequestAborted);
                ctx.Response.Headers.CacheControl = "no-cache";
                return Results.File(r.FullPath, "video/mp4", enableRangeProcessing: true);
            }
            catch (TimelapseNoFramesException ex) { return HttpErrors.NotFound(ex.Message); }
            catch (OperationCanceledException) when (ctx.RequestAborted.IsCancellationRequested) { return Results.Empty; }
            catch (Exception ex) { return HttpErrors.Failed($"timelapse failed: {ex.Message}"); }
        });
        return app;
    }

}
