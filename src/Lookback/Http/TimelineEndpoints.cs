using Lookback.Cameras;
using Lookback.Media.Recording;
using Lookback.Media.Storage;
using Lookback.Media.Timelapse;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Lookback.Http;

/// <summary>
/// GET /api/timeline?camera=&amp;date= and GET /api/cameras/{cam}/timeline?date= — a local day (default today) of
/// events, moments, doorbell rings/triggers and offline periods, with per camera where to replay it: the recorded HLS
/// day (stream cameras with <c>record: true</c>) and the day's timelapse.
/// </summary>
public static class TimelineEndpoints
{
    /// <summary>At most this many events and moments a day are drawn.</summary>
    public const int MaxRows = 5000;

    public static IEndpointRouteBuilder MapTimelineEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/timeline", (HttpContext ctx) => Answer(ctx, new QueryReader(ctx.Request.Query).String("camera")));
        app.MapGet("/api/cameras/{cam}/timeline", (string cam, HttpContext ctx) => Answer(ctx, cam));
        return app;
    }

    private static IResult Answer(HttpContext ctx, string? camera)
    {
        var sp = ctx.RequestServices;
        var cams = sp.GetService(typeof(ICameraDirectory)) as ICameraDirectory;
        var q = new QueryReader(ctx.Request.Query);
        var now = HttpErrors.Now(ctx);
        var day = q.Day("date", now) ?? Days.Today(now);
        if (q.Error is { } e) return HttpErrors.BadRequest(e);
        if (camera is not null && cams?.Find(camera) is null) return HttpErrors.UnknownCamera(camera);
        var (start, end) = Days.Bounds(day);
        var events = (sp.GetService(typeof(EventStore)) as EventStore)?.Query(camera, MaxRows, end, start.AddMilliseconds(-1)) ?? [];
        var moments = (sp.GetService(typeof(MomentStore)) as MomentStore)?.Query(new MomentQuery { Camera = camera, From = start, To = end, Limit = MaxRows }) ?? [];
        var log = sp.GetService(typeof(AvailabilityLog)) as AvailabilityLog;
        var shown = (cams?.All ?? []).Where(c => camera is null || c.Slug == camera).ToList();
        var changes = log?.Between(camera, start, end) ?? [];
        var atStart = shown.ToDictionary(c => c.Slug, c => log?.Last(c.Slug, start));
        var items = Timeline.Build(events, moments, changes, atStart, start, end, now);
        var media = sp.GetService(typeof(MediaStore)) as MediaStore;
        var timelapse = sp.GetService(typeof(TimelapseService)) as TimelapseService;
        var date = Days.Text(day);
        var byId = events.ToDictionary(ev => ev.Id);
        var momentsById = moments.ToDictionary(m => m.Id);
        return Results.Json(new
        {
            date, start, end,
            cameras = shown.Select(c => new
            {
                name = c.Slug, title = c.Options.Title,
                hls = c.Recorder is Lookback.Media.Recording.SegmentRecorder rec && rec.Days().Contains(date) ? $"api/cameras/{c.Slug}/hls/{date}.m3u8" : null,
                hls_start = c.Recorder is Lookback.Media.Recording.SegmentRecorder r2 ? r2.SegmentsBetween(start, end).FirstOrDefault()?.Start : null,
                timelapse = timelapse?.Store.Days(c.Slug).Any(d => d.Date == day && d.Frames > 0) == true ? $"api/cameras/{c.Slug}/timelapse/{date}.mp4" : null,
            }),
            items = items.Select(i => new
            {
                type = i.Type, camera = i.Camera, start = i.Start, end = i.End, id = i.Id, label = i.Label,
                files = media is null ? null
                    : i.Id is { } id && byId.TryGetValue(id, out var ev) ? EventEndpoints.FileLinks(ev.Files, media)
                    : i.Id is { } mid && momentsById.TryGetValue(mid, out var m) ? EventEndpoints.FileLinks(m.Files, media) : null,
            }),
        });
    }
}
