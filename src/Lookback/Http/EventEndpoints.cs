using Lookback.Cameras;
using Lookback.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Lookback.Http;

/// <summary>GET /api/events?camera=&amp;limit=&amp;before=&amp;after= — stored events, newest first, with the URLs of their files.
/// A bad parameter answers 400 naming it.</summary>
public static class EventEndpoints
{
    public static IEndpointRouteBuilder MapEventEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/events", (HttpContext ctx, EventStore store, MediaStore media, ICameraDirectory cams) =>
        {
            var q = new QueryReader(ctx.Request.Query);
            var camera = q.String("camera");
            var limit = q.Int("limit") ?? 50;
            var before = q.Time("before");
            var after = q.Time("after");
            if (q.Error is { } e) return HttpErrors.BadRequest(e);
            if (limit is < 1 or > 1000) return HttpErrors.BadRequest("limit: must be between 1 and 1000");
            if (camera is not null && cams.Find(camera) is null) return HttpErrors.UnknownCamera(camera);
            var events = store.Query(camera, limit, before, after);
            return Results.Json(events.Select(ev => new
            {
                ev.Id, ev.Camera, ev.Type, ev.Start, ev.End, ev.Score, PeakAt = ev.PeakAt, ev.Boxes, ev.Zones, ev.Metadata,
                Files = ev.Files.ToDictionary(f => f.Key, f => new { url = media.Url(f.Value), media = media.Media(f.Value), path = "media/" + f.Value }),
            }), new System.Text.Json.JsonSerializerOptions { PropertyNamingPolicy = System.Text.Json.JsonNamingPolicy.SnakeCaseLower });
        });
        return app;
    }
}
