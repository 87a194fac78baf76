using Lookback.Media.Upload;
using System.Globalization;
using System.Text;
using Lookback.Cameras;
using Lookback.Media.Rendering;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Lookback.Http;

/// <summary>GET /metrics in the Prometheus text format: per-camera frames, bytes, errors; renders and their durations.</summary>
public static class MetricsEndpoint
{
    public static IEndpointRouteBuilder MapMetricsEndpoint(this IEndpointRouteBuilder app)
    {
        app.MapGet("/metrics", (CameraRegistry cams, RenderQueue render, UploadService uploads, Warnings.WarningService warnings) =>
            Results.Text(Render(cams, render, uploads.Queue, warnings), "text/plain; version=0.0.4; charset=utf-8"));
        return app;
    }

    public static string Render(CameraRegistry cams, RenderQueue render, UploadQueue? uploads = null, Warnings.WarningService? warnings = null)
    {
        var sb = new StringBuilder();
        void Family(string name, string type, string help) => sb.Append("# HELP ").Append(name).Append(' ').Append(help)
            .Append("\n# TYPE ").Append(name).Append(' ').Append(type).Append('\n');
        void Sample(string name, string labels, double value) => sb.Append(name).Append('{').Append(labels).Append("} ")
            .Append(value.ToString("R", CultureInfo.InvariantCulture)).Append('\n');
        string Cam(Camera c) => $"camera=\"{c.Slug}\"";

        Family("lookback_camera_frames_total", "counter", "Frames accepted into the ring.");
        foreach (var c in cams.All) Sample("lookback_camera_frames_total", Cam(c), c.FramesTotal);
        Family("lookback_camera_bytes_total", "counter", "JPEG bytes accepted into the ring.");
        foreach (var c in cams.All) Sample("lookback_camera_bytes_total", Cam(c), c.BytesTotal);
        Family("lookback_camera_errors_total", "counter", "Source errors (HTTP, timeouts, bad JPEGs).");
        foreach (var c in cams.All) Sample("lookback_camera_errors_total", Cam(c), c.ErrorsTotal);
        Family("lookback_camera_online", "gauge", "1 when the camera delivers frames.");
        foreach (var c in cams.All) Sample("lookback_camera_online", Cam(c), c.Status == CameraStatus.Online ? 1 : 0);
        Family("lookback_camera_fps", "gauge", "Frames per second entering the ring.");
        foreach (var c in cams.All) Sample("lookback_camera_fps", Cam(c), c.Fps);
        Family("lookback_ring_frames", "gauge", "Frames held in the ring.");
        foreach (var c in cams.All) Sample("lookback_ring_frames", Cam(c), c.Ring.Count);
        Family("lookback_ring_bytes", "gauge", "JPEG bytes held in the ring.");
        foreach (var c in cams.All) Sample("lookback_ring_bytes", Cam(c), c.Ring.Bytes);

        if (warnings is not null && warnings.Cameras.Any())
        {
            // one sample per configured warning (warnings: of the camera): 1 while raised
            Family("lookback_camera_warning", "gauge", "1 while the camera's configured warning is raised.");
            foreach (var cam in warnings.Cameras)
                foreach (var x in warnings.Of(cam)) Sample("lookback_camera_warning", $"camera=\"{cam}\",kind=\"{x.Kind}\"", x.Active ? 1 : 0);
        }

        var w = new StringWriter(sb, CultureInfo.InvariantCulture);
        render.Metrics.WritePrometheus(w);
        w.Flush();
        Family("lookback_render_queue", "gauge", "Renders waiting or running.");
        sb.Append("lookback_render_queue ").Append(render.Queued + render.Running + render.WaitingMoments).Append('\n');
        if (uploads is not null)
        {
            void One(string name, string type, string help, double value)
            {
                Family(name, type, help);
                sb.Append(name).Append(' ').Append(value.ToString("R", CultureInfo.InvariantCulture)).Append('\n');
            }
            One("lookback_uploads_pending", "gauge", "Upload jobs waiting for their target to acknowledge them.", uploads.Pending);
            One("lookback_uploads_pending_bytes", "gauge", "Bytes of the files waiting to be uploaded.", uploads.PendingBytes);
            One("lookback_uploads_total", "counter", "Files the targets acknowledged.", uploads.Uploaded);
            One("lookback_uploads_bytes_total", "counter", "Bytes the targets acknowledged.", uploads.UploadedBytes);
            One("lookback_uploads_failed_total", "counter", "Failed upload attempts (each retried later).", uploads.Failures);
            One("lookback_uploads_dropped_total", "counter", "Upload jobs dropped because the queue was full.", uploads.Dropped);
        }
        return sb.ToString();
    }
}
