using System.Globalization;
using System.Text.Json.Serialization;
using Lookback.Buffer;
using Lookback.Cameras;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Lookback.Http;

/// <summary>
/// The ring's frames one by one, for the web UI's replay: <c>GET /api/cameras/{cam}/frames</c> lists them
/// (oldest first) and <c>GET /api/cameras/{cam}/frames/{seq}.jpg</c> answers one (404 once evicted).
/// </summary>
public static class FrameEndpoints
{
    public sealed record FrameInfo(
        [property: JsonPropertyName("seq")] long Seq,
        [property: JsonPropertyName("time")] DateTimeOffset Time,
        [property: JsonPropertyName("bytes")] int Bytes);

    /// <summary>The frames held in the ring, oldest first.</summary>
    public static IReadOnlyList<FrameInfo> List(FrameRing ring)
    {
        using var all = ring.Window(DateTimeOffset.MinValue, DateTimeOffset.MaxValue);
        var list = new FrameInfo[all.Count];
        for (var i = 0; i < list.Length; i++) list[i] = new FrameInfo(all[i].Sequence, all[i].Time, all[i].Length);
        return list;
    }

    /// <summary>A copy of frame <paramref name="seq"/>'s JPEG and its time, or null when the ring no longer (or never) held it.</summary>
    public static (byte[] Jpeg, DateTimeOffset Time)? Find(FrameRing ring, long seq)
    {
        using var all = ring.Window(DateTimeOffset.MinValue, DateTimeOffset.MaxValue);
        int lo = 0, hi = all.Count - 1;
        while (lo <= hi) // sequences ascend with the ring's order
        {
            var mid = (lo + hi) >>> 1;
            var s = all[mid].Sequence;
            if (s == seq) return (all[mid].Jpeg.ToArray(), all[mid].Time);
            if (s < seq) lo = mid + 1; else hi = mid - 1;
        }
        return null;
    }

    public static IEndpointRouteBuilder MapFrameEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/cameras/{cam}/frames", (string cam, HttpContext ctx, ICameraDirectory cams) =>
        {
            if (cams.Find(cam) is not { } c) return HttpErrors.UnknownCamera(cam);
            ctx.Response.Headers.CacheControl = "no-store";
            return Results.Json(List(c.Ring));
        });

        app.MapGet("/api/cameras/{cam}/frames/{file}", (string cam, string file, HttpContext ctx, ICameraDirectory cams) =>
        {
            if (cams.Find(cam) is not { } c) return HttpErrors.UnknownCamera(cam);
            if (!file.EndsWith(".jpg", StringComparison.Ordinal)
                || !long.TryParse(file.AsSpan(0, file.Length - 4), NumberStyles.None, CultureInfo.InvariantCulture, out var seq))
                return HttpErrors.BadRequest($"seq: must be a frame number followed by .jpg (got '{(file.Length > 40 ? file[..40] + "…" : file)}')");
            if (Find(c.Ring, seq) is not { } f) return HttpErrors.NotFound($"frame {seq} of camera '{cam}' is not in the ring (evicted or not yet taken)");
            // A sequence number names one frame for the life of the process; the UI adds the frame's time to the URL,
            // so a short private cache is safe and makes scrubbing back and forth free.
            ctx.Response.Headers.CacheControl = "private, max-age=300";
            ctx.Response.Headers["X-Frame-Time"] = f.Time.ToString("O", CultureInfo.InvariantCulture);
            return Results.File(f.Jpeg, "image/jpeg");
        });
        return app;
    }
}
