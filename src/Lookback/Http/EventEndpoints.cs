using System.Globalization;
using Lookback.Cameras;
using Lookback.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Lookback.Http;

/// <summary>GET /api/events?camera=&amp;limit=&amp;before= — stored events, newest first, with the URLs of their files.</summary>
public static class EventEndpoints
{
    public static IEndpointRouteBuilder MapEventEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/events", (HttpContext ctx, EventStore store, MediaStore media, ICameraDirectory cams) =>
        {
            var q = new QueryReader(ctx.Request.Query);
            var camera = q.String("camera");
            var limit = q.Int("limit") ?? 50;
            DateTimeOffset? before = null;
            if (q.String("before") is { } b)
            {
                if (DateTimeOffset.TryParse(b, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t)) before = t;
                else if (long.TryParse(b, out var ms)) before = DateTimeOffset.FromUnixTimeMilliseconds(ms);
                else return HttpErrors.BadRequest($"before: must be an ISO-8601 time or Unix milliseconds (got '{b}')");
            }
            if (q.Error is { } e) return HttpErrors.BadRequest(e);
            if (limit is < 1 or > 1000) return HttpErrors.BadRequest("limit: must be between 1 and 1000");
            if (camera is not null && cams.Find(camera) is null) return HttpErrors.UnknownCamera(camera);
            var events = store.Query(camera, limit, before);
            return Results.Json(events.Select(ev => new
            {
                ev.Id, ev.Camera, ev.Type, ev.Start, ev.End, ev.Score, PeakAt = ev.PeakAt, ev.Boxes, ev.Zones, ev.Metadata,
                Files = ev.Files.ToDictionary(f => f.Key, f => new { url = media.Url(f.Value), media = media.Media(f.Value), path = "media/" + f.Value }),
            }), new System.Text.Json.JsonSerializerOptions { PropertyNamingPolicy = System.Text.Json.JsonNamingPolicy.SnakeCaseLower });
        });
        return app;
    }
}
