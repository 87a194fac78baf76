using Lookback.Cameras;
using Lookback.Media.Recording;
using Lookback.Media.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Lookback.Http;

/// <summary>
/// Recordings of stream cameras (<c>record: true</c>) as HLS:
/// <c>GET /api/cameras/{cam}/hls</c> (the days with recordings), <c>…/hls/index.m3u8</c> (live playlist),
/// <c>…/hls/{yyyy-mm-dd}.m3u8</c> (VOD playlist of a day, EXT-X-PROGRAM-DATE-TIME per segment) and
/// <c>…/hls/{yyyy-mm-dd}/{segment}.ts</c>. Segment URIs in the playlists are relative, so they work under ingress.
/// </summary>
public static class HlsEndpoints
{
    public const string PlaylistType = "application/vnd.apple.mpegurl";
    public const string SegmentType = "video/mp2t";

    public static IEndpointRouteBuilder MapHlsEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/cameras/{cam}/hls", (string cam, ICameraDirectory cameras) =>
        {
            if (Recorder(cam, cameras, out var error) is not { } rec) return error!;
            var days = rec.Days();
            return Results.Json(new
            {
                camera = cam,
                live = "hls/index.m3u8",
                days = days.Select(d => new { day = d, playlist = $"hls/{d}.m3u8" }),
            });
        });

        app.MapGet("/api/cameras/{cam}/hls/{name}", (string cam, string name, ICameraDirectory cameras, HttpContext ctx) =>
        {
            if (Recorder(cam, cameras, out var error) is not { } rec) return error!;
            if (!name.EndsWith(".m3u8", StringComparison.Ordinal)) return HttpErrors.NotFound($"no playlist '{name}'");
            var stem = name[..^5];
            // today.m3u8 / yesterday.m3u8: that day's playlist (its segment URIs name the day's folder)
            if (stem != "index" && Days.TryParse(stem, Days.Today(HttpErrors.Now(ctx)), out var day)) stem = Days.Text(day);
            var text = stem == "index" ? rec.LivePlaylistText() : rec.DayPlaylistText(stem);
            if (text is null)
                return stem == "index" ? HttpErrors.Busy(ctx, "no recording yet", 2, 503) : HttpErrors.NotFound($"no recording on '{stem}'");
            ctx.Response.Headers.CacheControl = "no-cache";
            return Results.Text(text, PlaylistType);
        });

        app.MapGet("/api/cameras/{cam}/hls/{day}/{file}", (string cam, string day, string file, ICameraDirectory cameras, HttpContext ctx) =>
        {
            if (Recorder(cam, cameras, out var error) is not { } rec) return error!;
            // a day's folder by its name, or today/yesterday
            if (Days.TryParse(day, Days.Today(HttpErrors.Now(ctx)), out var d)) day = Days.Text(d);
            return rec.SegmentPath(day, file) is { } full
                ? Results.File(full, SegmentType, enableRangeProcessing: true)
                : HttpErrors.NotFound($"no segment '{day}/{file}'");
        });
        return app;
    }

    private static SegmentRecorder? Recorder(string cam, ICameraDirectory cameras, out IResult? error)
    {
        error = null;
        var c = cameras.Find(cam);
        if (c is null) { error = HttpErrors.UnknownCamera(cam); return null; }
        if (c.Recorder is SegmentRecorder rec) return rec;
        error = HttpErrors.NotFound($"camera '{cam}' does not record (set record: true on a stream camera)");
        return null;
    }
}
