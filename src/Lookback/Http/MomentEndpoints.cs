using Lookback.Cameras;
using Lookback.Media.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Lookback.Http;

/// <summary>
/// GET /api/moments?camera=&amp;kind=&amp;from=&amp;to=&amp;date=&amp;before=&amp;limit= — the moments, GIFs, MP4s and snapshots
/// users, automations and triggers asked for, newest first, with their files' URLs (paged like /api/events with
/// <c>before</c>); GET /api/moments/{id} — one of them.
/// </summary>
public static class MomentEndpoints
{
    private static readonly string[] Kinds = ["snapshot", "gif", "mp4", "moment"];

    public static IEndpointRouteBuilder MapMomentEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/moments", (HttpContext ctx, MomentStore store, MediaStore media, ICameraDirectory cams) =>
        {
            var q = new QueryReader(ctx.Request.Query);
            var camera = q.String("camera");
            var kind = q.String("kind");
            var limit = q.Int("limit") ?? 50;
            var (from, to) = q.Range("from", "to", "date", HttpErrors.Now(ctx));
            var before = q.Time("before", HttpErrors.Now(ctx), QueryReader.DayEdge.Start);
            if (q.Error is { } e) return HttpErrors.BadRequest(e);
            if (limit is < 1 or > 1000) return HttpErrors.BadRequest("limit: must be between 1 and 1000");
            if (kind is not null && !Kinds.Contains(kind)) return HttpErrors.BadRequest($"kind: must be one of {string.Join(", ", Kinds)} (got '{Trim(kind)}')");
            if (camera is not null && cams.Find(camera) is null) return HttpErrors.UnknownCamera(camera);
            var list = store.Query(new MomentQuery { Camera = camera, Kind = kind, From = from, To = to, Before = before, Limit = limit });
            return Results.Json(list.Select(m => Describe(m, media)));
        });

        app.MapGet("/api/moments/{id}", (string id, MomentStore store, MediaStore media) =>
            store.Get(id) is { } m ? Results.Json(Describe(m, media)) : HttpErrors.NotFound($"no moment '{Trim(id)}'"));
        return app;
    }

    private static string Trim(string s) => s.Length > 80 ? s[..80] + "…" : s;

    /// <summary>A moment as the API shows it: its files with their URL, media path and path relative to the UI.</summary>
    public static object Describe(StoredMoment m, MediaStore media) => new Dictionary<string, object?>
    {
        ["id"] = m.Id, ["camera"] = m.Camera, ["kind"] = m.Kind, ["status"] = m.Status, ["error"] = m.Error,
        ["requested_at"] = m.RequestedAt, ["start"] = m.Start, ["end"] = m.End, ["bytes"] = m.Bytes,
        ["origin"] = m.Origin, ["request_id"] = m.RequestId, ["trigger"] = m.Trigger, ["doorbell"] = m.Doorbell,
        ["files"] = EventEndpoints.FileLinks(m.Files, media),
    };
}
