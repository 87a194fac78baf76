using System.Text.Json.Serialization;
using Lookback.Config;

namespace Lookback.Http;

/// <summary>
/// How to get a camera's live picture into Home Assistant (shown in the camera's diagnostics, GET /api/cameras/{cam}):
/// Lookback's MJPEG re-stream for an <c>mjpeg</c> camera entity (every kind), and for RTSP/video cameras the camera's
/// own stream for HA's go2rtc (password never shown: <c>***</c>).
/// </summary>
public sealed record LiveView(
    [property: JsonPropertyName("mjpeg_url")] string? MjpegUrl,
    [property: JsonPropertyName("snapshot_url")] string? SnapshotUrl,
    [property: JsonPropertyName("stream_url")] string? StreamUrl,
    [property: JsonPropertyName("home_assistant")] string HomeAssistant)
{
    public static LiveView For(CameraOptions cam, CameraKind detected, string? publicUrl)
    {
        var root = Uri.TryCreate(publicUrl, UriKind.Absolute, out var u) && u.Scheme is "http" or "https" ? publicUrl!.TrimEnd('/') : null;
        var mjpeg = root is null ? null : $"{root}/api/cameras/{cam.Slug}/mjpeg";
        var still = root is null ? null : $"{root}/api/cameras/{cam.Slug}/snapshot.jpg";
        string? stream = null;
        if (detected == CameraKind.Rtsp && Uri.TryCreate(Redaction.Redact(cam.Url), UriKind.Absolute, out var s))
        {
            var user = cam.Username.Length > 0 ? Uri.EscapeDataString(cam.Username) + (cam.Password.Length > 0 ? ":***" : "") + "@" : "";
            stream = $"{s.Scheme}://{user}{s.Authority}{s.PathAndQuery}";
        }
        var how = stream is not null
            ? "go2rtc: add the stream_url (with the camera's password) as a stream; or an MJPEG IP camera with mjpeg_url"
            : "MJPEG IP camera integration: MJPEG URL = mjpeg_url, still image URL = snapshot_url";
        return new LiveView(mjpeg, still, stream, how);
    }
}
