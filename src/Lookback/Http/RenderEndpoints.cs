using Lookback.Cameras;
using Lookback.Config;
using Lookback.Media.Rendering;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Lookback.Http;

/// <summary>GIF and moment renders over HTTP, and the cctv-gif-buffer compatible GET /gif.</summary>
public static class RenderEndpoints
{
    public static IEndpointRouteBuilder MapRenderEndpoints(this IEndpointRouteBuilder app)
    {
        // the render limits the API enforces, for the web UI's inputs (one limit, stated once: RenderLimits)
        app.MapGet("/api/limits", () => Results.Json(new Dictionary<string, double>
        {
            ["render_seconds_max"] = RenderLimits.MaxSeconds,
            ["moment_before_max"] = RenderLimits.MaxBefore,
            ["moment_after_max"] = RenderLimits.MaxAfter,
        }));

        // a snapshot kept as a file (a stored moment), unlike the moving snapshot.jpg
        app.MapGet("/api/cameras/{cam}/snapshot", (string cam, HttpContext ctx, ICameraDirectory cams, IRenderService render) =>
        {
            var q = new QueryReader(ctx.Request.Query);
            var req = new RenderRequest
            {
                Camera = cam, Kind = RenderKind.Snapshot, Origin = RenderOrigin.Http, Width = q.Int("width"), RequestId = q.String("request_id"),
            };
            return RenderAsync(ctx, cams, render, req, q.Error, "image/jpeg");
        });

        app.MapGet("/api/cameras/{cam}/gif", (string cam, HttpContext ctx, ICameraDirectory cams, IRenderService render) =>
        {
            var q = new QueryReader(ctx.Request.Query);
            var req = new RenderRequest
            {
                Camera = cam, Kind = RenderKind.Gif, Origin = RenderOrigin.Http,
                Seconds = q.Double("seconds"), Fps = q.Double("fps"), Width = q.Int("width"), Speed = q.Double("speed"),
                RequestId = q.String("request_id"),
            };
            return RenderAsync(ctx, cams, render, req, q.Error, "image/gif");
        });

        app.MapGet("/api/cameras/{cam}/moment.mp4", (string cam, HttpContext ctx, ICameraDirectory cams, IRenderService render) =>
        {
            var q = new QueryReader(ctx.Request.Query);
            var req = new RenderRequest
            {
                Camera = cam, Kind = RenderKind.Moment, Origin = RenderOrigin.Http,
                Before = q.Double("before"), After = q.Double("after"), RequestId = q.String("request_id"),
            };
            return RenderAsync(ctx, cams, render, req, q.Error, "video/mp4");
        });

        app.MapGet("/api/cameras/{cam}/mp4", (string cam, HttpContext ctx, ICameraDirectory cams, IRenderService render) =>
        {
            var q = new QueryReader(ctx.Request.Query);
            var req = new RenderRequest
            {
                Camera = cam, Kind = RenderKind.Mp4, Origin = RenderOrigin.Http,
                Seconds = q.Double("seconds"), RequestId = q.String("request_id"),
            };
            return RenderAsync(ctx, cams, render, req, q.Error, "video/mp4");
        });

        // cctv-gif-buffer: GET /gif?camera=&duration=&interval= — the frames of the last `duration` s,
        // each shown for `interval` s.
        app.MapGet("/gif", (HttpContext ctx, ICameraDirectory cams, IRenderService render) =>
        {
            var q = new QueryReader(ctx.Request.Query);
            var cam = q.String("camera");
            if (cam is null) return Task.FromResult(HttpErrors.BadRequest("camera: required"));
            var req = new RenderRequest
            {
                Camera = cam, Kind = RenderKind.Gif, Origin = RenderOrigin.Http,
                Seconds = q.Double("duration"), FrameInterval = q.Double("interval"),
            };
            return RenderAsync(ctx, cams, render, req, q.Error, "image/gif");
        });
        return app;
    }

    /// <summary>Submits the request and answers the rendered file itself (its published URL in Content-Location).</summary>
    private static async Task<IResult> RenderAsync(HttpContext ctx, ICameraDirectory cams, IRenderService render,
        RenderRequest req, string? queryError, string contentType)
    {
        if (queryError is not null) return HttpErrors.BadRequest(queryError);
        if (cams.Find(req.Camera) is null) return HttpErrors.UnknownCamera(req.Camera);
        var result = await render.SubmitAsync(req, ctx.RequestAborted);
        if (!result.Ok || result.Path is null) return HttpErrors.FromFailedRender(ctx, result);
        if (result.Url is { } url) ctx.Response.Headers.ContentLocation = url;
        ctx.Response.Headers.CacheControl = "no-store";
        return Results.File(result.Path, contentType, enableRangeProcessing: true);
    }
}
