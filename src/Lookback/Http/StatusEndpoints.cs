using Lookback.Media.Upload;
using System.Text.Json.Serialization;
using Lookback.Cameras;
using Lookback.Hosting;
using Lookback.Media.Rendering;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Lookback.Http;

/// <summary><c>GET /api/status</c>: what <c>/metrics</c> says, as JSON for the web UI's status page.</summary>
public static class StatusEndpoints
{
    private static readonly DateTimeOffset Started = new(System.Diagnostics.Process.GetCurrentProcess().StartTime.ToUniversalTime());

    public sealed record CameraStatusInfo(
        [property: JsonPropertyName("name")] string Name,
        [property: JsonPropertyName("title")] string Title,
        [property: JsonPropertyName("kind")] string Kind,
        [property: JsonPropertyName("status")] string Status,
        [property: JsonPropertyName("fps")] double Fps,
        [property: JsonPropertyName("last_frame_at")] DateTimeOffset? LastFrameAt,
        [property: JsonPropertyName("frames_total")] long FramesTotal,
        [property: JsonPropertyName("bytes_total")] long BytesTotal,
        [property: JsonPropertyName("errors_total")] long ErrorsTotal,
        [property: JsonPropertyName("ring_frames")] int RingFrames,
        [property: JsonPropertyName("ring_bytes")] long RingBytes,
        [property: JsonPropertyName("buffered_seconds")] double BufferedSeconds,
        [property: JsonPropertyName("last_error")] string? LastError,
        [property: JsonPropertyName("motion_enabled")] bool MotionEnabled);

    public sealed record RenderStatusInfo(
        [property: JsonPropertyName("workers")] int Workers,
        [property: JsonPropertyName("capacity")] int Capacity,
        [property: JsonPropertyName("queued")] int Queued,
        [property: JsonPropertyName("running")] int Running,
        [property: JsonPropertyName("waiting_moments")] int WaitingMoments,
        [property: JsonPropertyName("counters")] IReadOnlyList<RenderCounterInfo> Counters);

    public sealed record RenderCounterInfo(
        [property: JsonPropertyName("camera")] string Camera,
        [property: JsonPropertyName("kind")] string Kind,
        [property: JsonPropertyName("ok")] long Ok,
        [property: JsonPropertyName("error")] long Error,
        [property: JsonPropertyName("busy")] long Busy,
        [property: JsonPropertyName("avg_ms")] double? AvgMs);

    public sealed record StatusInfo(
        [property: JsonPropertyName("version")] string Version,
        [property: JsonPropertyName("started_at")] DateTimeOffset StartedAt,
        [property: JsonPropertyName("now")] DateTimeOffset Now,
        [property: JsonPropertyName("cameras")] IReadOnlyList<CameraStatusInfo> Cameras,
        [property: JsonPropertyName("render")] RenderStatusInfo Render,
        [property: JsonPropertyName("upload")] UploadStatusInfo Upload,
        [property: JsonPropertyName("mqtt")] MqttStatusInfo? Mqtt = null,
        [property: JsonPropertyName("memory")] MemoryStatusInfo? Memory = null);

    /// <summary>
    /// Where the process's memory goes, bytes: its RSS; the GC heap (after the last collection) and what the GC has
    /// committed; the stream cameras' packet slabs (native memory, outside the GC heap); the frames' bytes (JPEG and
    /// preview rings, native or pooled) and the frame pool's free bytes.
    /// </summary>
    public sealed record MemoryStatusInfo(
        [property: JsonPropertyName("rss_bytes")] long RssBytes,
        [property: JsonPropertyName("gc_heap_bytes")] long GcHeapBytes,
        [property: JsonPropertyName("gc_committed_bytes")] long GcCommittedBytes,
        [property: JsonPropertyName("packet_slab_bytes")] long PacketSlabBytes,
        [property: JsonPropertyName("frame_bytes")] long FrameBytes,
        [property: JsonPropertyName("frame_pool_free_bytes")] long FramePoolFreeBytes);

    public static MemoryStatusInfo DescribeMemory(CameraRegistry cams)
    {
        var gc = GC.GetGCMemoryInfo();
        var frames = Buffer.FramePool.Shared.GetStats();
        long slabs = 0;
        foreach (var c in cams.All) slabs += c.Packets?.SlabBytes ?? 0;
        return new MemoryStatusInfo(Environment.WorkingSet, gc.HeapSizeBytes, gc.TotalCommittedBytes, slabs, frames.BytesRented,
            frames.FreeBytes);
    }

    /// <summary>The MQTT side: <c>state</c> off|starting|connected|disconnected|refused, and why it was refused (a node_id clash).</summary>
    public sealed record MqttStatusInfo(
        [property: JsonPropertyName("node_id")] string NodeId,
        [property: JsonPropertyName("state")] string State,
        [property: JsonPropertyName("error")] string? Error);

    /// <summary>The offsite upload backlog (all targets).</summary>
    public sealed record UploadStatusInfo(
        [property: JsonPropertyName("targets")] int Targets,
        [property: JsonPropertyName("pending")] int Pending,
        [property: JsonPropertyName("pending_bytes")] long PendingBytes,
        [property: JsonPropertyName("uploaded")] long Uploaded,
        [property: JsonPropertyName("uploaded_bytes")] long UploadedBytes,
        [property: JsonPropertyName("failed_attempts")] long FailedAttempts,
        [property: JsonPropertyName("dropped")] long Dropped,
        [property: JsonPropertyName("targets_failing")] int TargetsFailing,
        [property: JsonPropertyName("current")] UploadProgressInfo? Current = null);

    /// <summary>The upload under way: its file, size and the bytes the target acknowledged so far (multipart parts).</summary>
    public sealed record UploadProgressInfo(
        [property: JsonPropertyName("target")] string Target,
        [property: JsonPropertyName("file")] string File,
        [property: JsonPropertyName("bytes")] long Bytes,
        [property: JsonPropertyName("sent_bytes")] long SentBytes);

    public static UploadStatusInfo DescribeUploads(int targets, UploadService u) =>
        new(targets, u.Queue.Pending, u.Queue.PendingBytes, u.Queue.Uploaded, u.Queue.UploadedBytes, u.Queue.Failures,
            u.Queue.Dropped, u.TargetsFailing,
            u.Progress is { } p ? new UploadProgressInfo(p.Target, p.File, p.Bytes, p.SentBytes) : null);

    public static StatusInfo Describe(CameraRegistry cams, RenderQueue render, UploadStatusInfo upload, BusRole? role = null, string? nodeId = null)
    {
        var cameras = cams.All.Select(c =>
        {
            var d = CameraEndpoints.Describe(c, standby: role?.StandbyOf(c.Slug));
            return new CameraStatusInfo(d.Name, d.Title, d.Kind, d.Status, d.Fps, d.LastFrameAt, c.FramesTotal, c.BytesTotal,
                c.ErrorsTotal, d.BufferedFrames, c.Ring.Bytes, d.BufferedSeconds, d.LastError, d.MotionEnabled);
        }).ToList();
        var counters = render.Metrics.Snapshot().Select(r => new RenderCounterInfo(r.Camera, r.Kind, r.Ok, r.Error, r.Busy,
            r.Ok + r.Error == 0 ? null : Math.Round((double)r.TotalMs / (r.Ok + r.Error), 1))).ToList();
        return new StatusInfo(BuildInfo.Version, Started, DateTimeOffset.UtcNow, cameras,
            new RenderStatusInfo(render.Workers, render.Capacity, render.Queued, render.Running, render.WaitingMoments, counters),
            upload, role is null ? null : new MqttStatusInfo(nodeId ?? "", role.MqttState, role.MqttError), DescribeMemory(cams));
    }

    public static IEndpointRouteBuilder MapStatusEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/status", (HttpContext ctx, CameraRegistry cams, RenderQueue render, Media.Upload.UploadService uploads,
            Config.LookbackOptions options, BusRole role) =>
        {
            ctx.Response.Headers.CacheControl = "no-store";
            return Results.Json(Describe(cams, render, DescribeUploads(options.Upload.Count, uploads), role, options.NodeId));
        });
        return app;
    }
}
