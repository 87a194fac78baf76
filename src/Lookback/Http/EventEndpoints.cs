using System.Globalization;
using Lookback.Cameras;
using Lookback.Media.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Lookback.Http;

/// <summary>
/// GET /api/events?camera=&amp;limit=&amp;before=&amp;after=&amp;type=&amp;zone=&amp;q=&amp;from=&amp;to=&amp;date= — stored
/// events, newest first, with the URLs of their files; the search filters by type (kind), zone, time range (or local
/// day) and free text in the metadata (a bad parameter answers 400 naming it);
/// GET /api/events/{id} — one of them; GET /api/events/{id}/frames — the event's stored frames (oldest first, with
/// their times and JPEG comments) and GET /api/events/{id}/frames/{n}.jpg — one of them.
/// </summary>
public static class EventEndpoints
{
    public static IEndpointRouteBuilder MapEventEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/events", (HttpContext ctx, EventStore store, MediaStore media, ICameraDirectory cams) =>
        {
            var q = new QueryReader(ctx.Request.Query);
            var camera = q.String("camera");
            var limit = q.Int("limit") ?? 50;
            // a day: before its start, after its end ("before=today": older than today)
            var before = q.Time("before", HttpErrors.Now(ctx), QueryReader.DayEdge.Start);
            var after = q.Time("after", HttpErrors.Now(ctx), QueryReader.DayEdge.End);
            var (from, to) = q.Range("from", "to", "date", HttpErrors.Now(ctx));
            var type = q.String("type") ?? q.String("kind");
            if (q.Error is { } e) return HttpErrors.BadRequest(e);
            if (limit is < 1 or > 1000) return HttpErrors.BadRequest("limit: must be between 1 and 1000");
            if (type is not null and not ("motion" or "file")) return HttpErrors.BadRequest($"type: must be motion or file (got '{(type.Length > 40 ? type[..40] + "…" : type)}')");
            if (camera is not null && cams.Find(camera) is null) return HttpErrors.UnknownCamera(camera);
            var events = store.Search(new EventQuery
            {
                Camera = camera, Type = type, Zone = q.String("zone"), Text = q.String("q"), From = from, To = to,
                Before = before, After = after, Limit = limit,
            });
            return Results.Json(events.Select(ev => Describe(ev, media)), Snake);
        });

        app.MapGet("/api/events/{id}", (string id, EventStore store, MediaStore media) =>
            store.Get(id) is { } ev ? Results.Json(Describe(ev, media), Snake) : UnknownEvent(id));

        app.MapGet("/api/events/{id}/frames", (string id, HttpContext ctx, EventStore store, MediaStore media) =>
        {
            if (store.Get(id) is not { } ev) return UnknownEvent(id);
            if (EventFrames.Index(media, ev) is not { } frames) return NoFrames(ev);
            ctx.Response.Headers.CacheControl = "private, max-age=60";
            return Results.Json(frames.Select(f => new { n = f.N, time = f.Time, bytes = f.Bytes, comment = f.Comment }));
        });

        app.MapGet("/api/events/{id}/frames/{file}", (string id, string file, HttpContext ctx, EventStore store, MediaStore media) =>
        {
            if (!file.EndsWith(".jpg", StringComparison.Ordinal)
                || !int.TryParse(file.AsSpan(0, file.Length - 4), NumberStyles.None, CultureInfo.InvariantCulture, out var n))
                return HttpErrors.BadRequest($"n: must be a frame number followed by .jpg (got '{(file.Length > 40 ? file[..40] + "…" : file)}')");
            if (store.Get(id) is not { } ev) return UnknownEvent(id);
            if (EventFrames.Index(media, ev) is not { } frames) return NoFrames(ev);
            if (n >= frames.Count) return HttpErrors.NotFound($"event '{id}' has {frames.Count} frame(s): no frame {n}");
            if (EventFrames.Read(media, ev, frames[n]) is not { } jpeg) return HttpErrors.NotFound($"the frames file of event '{id}' is gone");
            ctx.Response.Headers.CacheControl = "private, max-age=3600"; // stored frames never change
            ctx.Response.Headers["X-Frame-Time"] = frames[n].Time.ToString("O", CultureInfo.InvariantCulture);
            return Results.File(jpeg, "image/jpeg");
        });
        return app;
    }

    private static readonly System.Text.Json.JsonSerializerOptions Snake =
        new() { PropertyNamingPolicy = System.Text.Json.JsonNamingPolicy.SnakeCaseLower };

    private static IResult UnknownEvent(string id) => HttpErrors.NotFound($"no event '{(id.Length > 80 ? id[..80] + "…" : id)}'");

    private static IResult NoFrames(StoredEvent ev) => HttpErrors.NotFound(ev.End is null
        ? $"event '{ev.Id}' is still going on: its frames are stored when it ends"
        : $"event '{ev.Id}' has no stored frames (motion.frames_fps 0, or removed by retention)");

    /// <summary>An event as the API shows it: its files with their URL, media path and path relative to the UI.</summary>
    private static object Describe(StoredEvent ev, MediaStore media) => new
    {
        ev.Id, ev.Camera, ev.Type, ev.Start, ev.End, ev.Score, PeakAt = ev.PeakAt, ev.Boxes, ev.Zones, ev.Metadata,
        Files = FileLinks(ev.Files, media),
    };

    /// <summary>Stored files (name → path under the media root) with their URL, media path and path relative to the UI.</summary>
    public static Dictionary<string, FileLink> FileLinks(IReadOnlyDictionary<string, string> files, MediaStore media) =>
        files.ToDictionary(f => f.Key, f => new FileLink(media.Url(f.Value), media.Media(f.Value), "media/" + f.Value));

    public sealed record FileLink(
        [property: System.Text.Json.Serialization.JsonPropertyName("url")] string Url,
        [property: System.Text.Json.Serialization.JsonPropertyName("media")] string? Media,
        [property: System.Text.Json.Serialization.JsonPropertyName("path")] string Path);
}
