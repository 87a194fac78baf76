using System.Text;
using System.Text.Json.Serialization;
using Lookback.Cameras;
using Lookback.Config;
using Lookback.Imaging;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Lookback.Http;

/// <summary>GET /api/cameras, the newest frame as JPEG, and the live MJPEG stream.</summary>
public static class CameraEndpoints
{
    public sealed record CameraInfo(
        [property: JsonPropertyName("name")] string Name,
        [property: JsonPropertyName("title")] string Title,
        [property: JsonPropertyName("kind")] string Kind,
        [property: JsonPropertyName("status")] string Status,
        [property: JsonPropertyName("fps")] double Fps,
        [property: JsonPropertyName("last_frame_at")] DateTimeOffset? LastFrameAt,
        [property: JsonPropertyName("buffered_frames")] int BufferedFrames,
        [property: JsonPropertyName("buffered_seconds")] double BufferedSeconds,
        [property: JsonPropertyName("last_error")] string? LastError,
        [property: JsonPropertyName("motion_enabled")] bool MotionEnabled,
        [property: JsonPropertyName("motion_threshold")] int MotionThreshold,
        [property: JsonPropertyName("detected_kind")] string DetectedKind,
        [property: JsonPropertyName("live")] LiveView Live,
        [property: JsonPropertyName("last_error_at")] DateTimeOffset? LastErrorAt = null,
        [property: JsonPropertyName("previous_error")] string? PreviousError = null,
        [property: JsonPropertyName("packets"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] PacketRingInfo? Packets = null);

    /// <summary>Stream cameras: the ring of the stream's own packets; <c>note</c> says why moments use the JPEG frames instead.</summary>
    public sealed record PacketRingInfo(
        [property: JsonPropertyName("codec")] string? Codec,
        [property: JsonPropertyName("packets")] int Packets,
        [property: JsonPropertyName("bytes")] long Bytes,
        [property: JsonPropertyName("max_bytes")] long MaxBytes,
        [property: JsonPropertyName("buffered_seconds")] double BufferedSeconds,
        [property: JsonPropertyName("note"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Note);

    public static PacketRingInfo? DescribePackets(ICamera c)
    {
        if (c is not Sources.Streaming.IPacketSink { Packets: { } p }) return null;
        var packets = p.Snapshot();
        var span = packets.Count > 1 ? Math.Round((packets[^1].Time - packets[0].Time).TotalSeconds, 2) : 0;
        var codec = packets.Count > 0 ? packets[^1].Codec.ToString().ToLowerInvariant() : null;
        return new PacketRingInfo(codec, packets.Count, p.Bytes, p.MaxBytes, span, p.Unusable);
    }


    public static CameraInfo Describe(ICamera c, string? publicUrl = null)
    {
        var ring = c.Ring;
        var span = ring.NewestTime is { } n && ring.OldestTime is { } o ? Math.Round((n - o).TotalSeconds, 2) : 0;
        return new CameraInfo(c.Slug, c.Options.Title, c.Options.Kind.ToString().ToLowerInvariant(),
            c.Status.ToString().ToLowerInvariant(), c.Fps, c.LastFrameAt, ring.Count, span, c.LastError,
            c.MotionEnabled, c.MotionThreshold, c.DetectedKind.ToString().ToLowerInvariant(),
            LiveView.For(c.Options, c.DetectedKind, publicUrl), c.LastErrorAt, c.PreviousError, DescribePackets(c));
    }

    public static IEndpointRouteBuilder MapCameraEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/cameras", (ICameraDirectory cams, LookbackOptions o) =>
            Results.Json(cams.All.Select(c => Describe(c, Media.Storage.MediaStore.PublicBaseOf(o.Http)))));

        app.MapGet("/api/cameras/{cam}", (string cam, ICameraDirectory cams, LookbackOptions o) =>
            cams.Find(cam) is { } c ? Results.Json(Describe(c, Media.Storage.MediaStore.PublicBaseOf(o.Http))) : HttpErrors.UnknownCamera(cam));

        app.MapGet("/api/cameras/{cam}/snapshot.jpg", (string cam, HttpContext ctx, ICameraDirectory cams) =>
        {
            if (cams.Find(cam) is not { } c) return HttpErrors.UnknownCamera(cam);
            var q = new QueryReader(ctx.Request.Query);
            var width = q.Int("width");
            if (q.Error is { } e) return HttpErrors.BadRequest(e);
            if (width is < 16 or > 3840) return HttpErrors.BadRequest("width: must be between 16 and 3840");
            using var latest = c.Ring.Latest();
            if (latest is null) return HttpErrors.Busy(ctx, $"camera '{cam}' has no frame yet", 2, 503);
            var frame = latest[0];
            var bytes = width is { } w ? Jpeg.Resize(frame.Jpeg.Span, w) : frame.Jpeg.ToArray();
            ctx.Response.Headers.CacheControl = "no-store";
            ctx.Response.Headers["X-Frame-Time"] = frame.Time.ToString("O");
            return Results.File(bytes, "image/jpeg");
        });

        app.MapGet("/api/cameras/{cam}/mjpeg", async (string cam, HttpContext ctx, ICameraDirectory cams) =>
        {
            if (cams.Find(cam) is not { } c) { await HttpErrors.UnknownCamera(cam).ExecuteAsync(ctx); return; }
            await StreamMjpegAsync(c, ctx.Response, ctx.RequestAborted);
        });
        return app;
    }

    private const string Boundary = "lookbackframe";

    /// <summary>One JPEG as a part of a multipart/x-mixed-replace stream, flushed so the viewer shows it at once.</summary>
    public static async Task WriteMjpegPartAsync(Stream body, string boundary, ReadOnlyMemory<byte> jpeg, CancellationToken ct)
    {
        var head = Encoding.ASCII.GetBytes($"--{boundary}\r\nContent-Type: image/jpeg\r\nContent-Length: {jpeg.Length}\r\n\r\n");
        await body.WriteAsync(head, ct);
        await body.WriteAsync(jpeg, ct);
        await body.WriteAsync("\r\n"u8.ToArray(), ct);
        await body.FlushAsync(ct);
    }

    /// <summary>Writes every new ring frame as a part of multipart/x-mixed-replace until the client leaves.</summary>
    public static async Task StreamMjpegAsync(ICamera camera, HttpResponse response, CancellationToken ct)
    {
        response.ContentType = $"multipart/x-mixed-replace; boundary={Boundary}";
        response.Headers.CacheControl = "no-store";
        var seq = 0L;
        try
        {
            // headers at once: a folder camera may have no frame until its next upload, and the viewer must not hang
            await response.StartAsync(ct);
            while (!ct.IsCancellationRequested)
            {
                using (var latest = camera.Ring.Latest())
                {
                    if (latest is not null && latest[0].Sequence != seq)
                    {
                        var f = latest[0];
                        seq = f.Sequence;
                        await WriteMjpegPartAsync(response.Body, Boundary, f.Jpeg, ct);
                    }
                }
                await camera.Ring.WaitForFrameAsync(seq, ct);
            }
        }
        catch (OperationCanceledException) { }
        catch (IOException) { } // the viewer went away
    }
}
