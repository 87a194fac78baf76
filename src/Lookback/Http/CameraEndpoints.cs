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
        [property: JsonPropertyName("packets"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] PacketRingInfo? Packets = null,
        // several nodes on one broker: status "standby" while another node serves this slug
        [property: JsonPropertyName("standby_reason"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? StandbyReason = null,
        [property: JsonPropertyName("active_node"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? ActiveNode = null,
        // the camera's configured warnings (warnings: no_frame_minutes, max_events_per_hour, offline); [] when none are set
        [property: JsonPropertyName("warnings")] IReadOnlyList<Warnings.WarningState>? Warnings = null,
        [property: JsonPropertyName("preview"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] PreviewInfo? Preview = null);

    /// <summary>Stream cameras with <c>preview_seconds</c>: the small JPEG frames kept for GIFs.</summary>
    public sealed record PreviewInfo(
        [property: JsonPropertyName("frames")] int Frames,
        [property: JsonPropertyName("bytes")] long Bytes,
        [property: JsonPropertyName("buffered_seconds")] double BufferedSeconds,
        [property: JsonPropertyName("width")] int Width,
        [property: JsonPropertyName("fps")] double Fps);

    public static PreviewInfo? DescribePreview(ICamera c)
    {
        if (c is not Sources.Streaming.IPreviewSink { Previews: { } ring }) return null;
        using var latest = ring.Latest();
        var span = ring.NewestTime is { } n && ring.OldestTime is { } o ? Math.Round((n - o).TotalSeconds, 2) : 0;
        return new PreviewInfo(ring.Count, ring.Bytes, span, latest is { Count: > 0 } l ? l[0].Width : 0,
            Sources.Streaming.StreamArgs.PreviewFps(c.Options));
    }

    /// <summary>Stream cameras: the ring of the stream's own packets; <c>note</c> says why moments use the JPEG frames instead.</summary>
    public sealed record PacketRingInfo(
        [property: JsonPropertyName("codec")] string? Codec,
        [property: JsonPropertyName("packets")] int Packets,
        [property: JsonPropertyName("bytes")] long Bytes,
        [property: JsonPropertyName("max_bytes")] long MaxBytes,
        [property: JsonPropertyName("buffered_seconds")] double BufferedSeconds,
        [property: JsonPropertyName("note"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Note,
        // what the packets occupy in RAM: the ring's slabs (bytes + the unused tail of the newest slab and the evicted head of the oldest)
        [property: JsonPropertyName("memory_bytes")] long MemoryBytes = 0);

    public static PacketRingInfo? DescribePackets(ICamera c)
    {
        if (c is not Sources.Streaming.IPacketSink { Packets: { } p }) return null;
        var packets = p.Snapshot();
        var span = packets.Count > 1 ? Math.Round((packets[^1].Time - packets[0].Time).TotalSeconds, 2) : 0;
        var codec = packets.Count > 0 ? packets[^1].Codec.ToString().ToLowerInvariant() : null;
        return new PacketRingInfo(codec, packets.Count, p.Bytes, p.MaxBytes, span, p.Unusable, p.SlabBytes);
    }


    /// <param name="standby">Set while another node serves the camera's slug: status <c>standby</c> with the reason.</param>
    /// <param name="warnings">The camera's configured warnings now (<see cref="Warnings.WarningService.Of"/>).</param>
    public static CameraInfo Describe(ICamera c, string? publicUrl = null, BusRole.Standby? standby = null, IReadOnlyList<Warnings.WarningState>? warnings = null)
    {
        var ring = c.Ring;
        var span = ring.NewestTime is { } n && ring.OldestTime is { } o ? Math.Round((n - o).TotalSeconds, 2) : 0;
        return new CameraInfo(c.Slug, c.Options.Title, c.Options.Kind.ToString().ToLowerInvariant(),
            standby is null ? c.Status.ToString().ToLowerInvariant() : "standby", c.Fps, c.LastFrameAt, ring.Count, span, c.LastError,
            c.MotionEnabled, c.MotionThreshold, c.DetectedKind.ToString().ToLowerInvariant(),
            LiveView.For(c.Options, c.DetectedKind, publicUrl), c.LastErrorAt, c.PreviousError, DescribePackets(c),
            standby?.Reason, standby?.ActiveNode, warnings ?? [], DescribePreview(c));
    }

    public static IEndpointRouteBuilder MapCameraEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/cameras", (HttpContext ctx, ICameraDirectory cams, LookbackOptions o, BusRole role, Warnings.WarningService warnings) =>
            ctx.Request.Query["scope"].ToString() switch
            {
                "" or "node" => Results.Json(cams.All.Select(c => Describe(c, Media.Storage.MediaStore.PublicBaseOf(o.Http), role.StandbyOf(c.Slug), warnings.Of(c.Slug)))),
                "bus" => BusEndpoints.BusCameras(ctx, cams, o, role),
                var s => HttpErrors.BadRequest($"scope: must be 'node' or 'bus' (got '{(s.Length > 20 ? s[..20] : s)}')"),
            });

        app.MapGet("/api/cameras/{cam}", (string cam, ICameraDirectory cams, LookbackOptions o, BusRole role, Warnings.WarningService warnings) =>
            cams.Find(cam) is { } c ? Results.Json(Describe(c, Media.Storage.MediaStore.PublicBaseOf(o.Http), role.StandbyOf(c.Slug), warnings.Of(c.Slug))) : HttpErrors.UnknownCamera(cam));

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

    /// <summary>
    /// One JPEG as a part of a multipart/x-mixed-replace stream: boundary, headers, the whole JPEG and CRLF copied into
    /// one buffer and written and flushed in one go, so a viewer never holds a part cut short while the camera is quiet
    /// (a folder camera's next frame may be minutes away).
    /// </summary>
    public static async Task WriteMjpegPartAsync(Stream body, string boundary, ReadOnlyMemory<byte> jpeg, CancellationToken ct)
    {
        var part = MjpegPart(boundary, jpeg.Span);
        await body.WriteAsync(part, ct);
        await body.FlushAsync(ct);
    }

    /// <summary>The bytes of one part: <c>--boundary</c>, Content-Type and Content-Length headers, the JPEG, CRLF.</summary>
    public static byte[] MjpegPart(string boundary, ReadOnlySpan<byte> jpeg)
    {
        var head = Encoding.ASCII.GetBytes($"--{boundary}\r\nContent-Type: image/jpeg\r\nContent-Length: {jpeg.Length}\r\n\r\n");
        var part = new byte[head.Length + jpeg.Length + 2];
        head.CopyTo(part, 0);
        jpeg.CopyTo(part.AsSpan(head.Length));
        part[^2] = (byte)'\r';
        part[^1] = (byte)'\n';
        return part;
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
            await response.Body.FlushAsync(ct); // StartAsync only queues the headers: send them now
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
