using System.Text.RegularExpressions;

namespace Lookback.Config;

/// <summary>How a camera is read: the one decision from its kind, its URL and (auto over HTTP) the first answer.</summary>
public enum CameraRoute
{
    /// <summary>JPEG polls.</summary>
    Snapshot,
    /// <summary>A multipart MJPEG stream.</summary>
    Mjpeg,
    /// <summary>Kind auto over HTTP: the first response's Content-Type decides (<see cref="CameraKindResolver.FromContentType"/>).</summary>
    HttpProbe,
    /// <summary>ffmpeg reads an rtsp:// or rtsps:// stream.</summary>
    Rtsp,
    /// <summary>ffmpeg reads an http(s) video URL (.m3u8, .mp4, …).</summary>
    HttpVideo,
    /// <summary>ffmpeg reads a V4L2 device.</summary>
    Usb,
    /// <summary>A directory of uploaded JPEGs.</summary>
    Folder,
    /// <summary>No source reads it (a scheme such as rtmp://).</summary>
    Unsupported,
}

/// <summary>
/// The camera kind, decided once (pure): <see cref="Check"/> when the configuration is bound (does the URL suit the
/// kind, and what does auto become), <see cref="Route"/> when the source is built, <see cref="FromContentType"/> when
/// kind auto probes an HTTP URL. The binder, <c>StreamArgs.InputKindFor</c>, <c>SourceFactory</c> and the auto probe use it.
/// </summary>
public static partial class CameraKindResolver
{
    [GeneratedRegex(@"^/dev/(video\d+|v4l/.+)$")]
    private static partial Regex DeviceRegex();

    [GeneratedRegex(@"^[A-Za-z][A-Za-z0-9+.\-]*://")]
    private static partial Regex SchemeRegex();

    /// <summary>True when the text starts with <c>scheme://</c>.</summary>
    public static bool HasScheme(string url) => SchemeRegex().IsMatch(url);

    /// <summary>Null when <paramref name="url"/> suits <paramref name="kind"/>, else the problem ("must be …");
    /// <paramref name="resolved"/> is the kind, with auto resolved where the URL alone decides it (rtsp, usb, folder).</summary>
    public static string? Check(string url, CameraKind kind, out CameraKind resolved)
    {
        resolved = kind;
        if (url.Length == 0) return "must not be empty";
        var hasScheme = HasScheme(url);
        var scheme = hasScheme ? url[..url.IndexOf(':')].ToLowerInvariant() : "";
        var wellFormed = hasScheme && Uri.TryCreate(url, UriKind.Absolute, out var uri) && uri.Host.Length > 0;
        var isDevice = DeviceRegex().IsMatch(url);
        const string any = "must be an absolute http://, https://, rtsp:// or rtsps:// URL, a /dev/videoN device or a directory path";

        switch (kind)
        {
            case CameraKind.Snapshot or CameraKind.Mjpeg:
                return wellFormed && scheme is "http" or "https" ? null : $"must be an absolute http:// or https:// URL for kind {kind.ToString().ToLowerInvariant()}";
            case CameraKind.Rtsp:
                return wellFormed && scheme is "rtsp" or "rtsps" ? null : "must be an rtsp:// or rtsps:// URL for kind rtsp";
            case CameraKind.Usb:
                return isDevice ? null : "must be a video device such as /dev/video0 for kind usb";
            case CameraKind.Folder:
                return !hasScheme && url.IndexOfAny(['\0', '?', '*']) < 0 ? null : "must be a directory path for kind folder";
            default:
                if (hasScheme)
                {
                    if (!wellFormed || scheme is not ("http" or "https" or "rtsp" or "rtsps")) return any;
                    if (scheme is "rtsp" or "rtsps") resolved = CameraKind.Rtsp;
                    return null;
                }
                if (isDevice) { resolved = CameraKind.Usb; return null; }
                if (url.StartsWith('/') && !url.StartsWith("/dev/", StringComparison.Ordinal) && url.IndexOfAny(['\0', '?', '*']) < 0)
                {
                    resolved = CameraKind.Folder;
                    return null;
                }
                return any;
        }
    }

    /// <summary>How a camera of <paramref name="kind"/> at <paramref name="url"/> is read.</summary>
    public static CameraRoute Route(CameraKind kind, string url)
    {
        switch (kind)
        {
            case CameraKind.Snapshot: return CameraRoute.Snapshot;
            case CameraKind.Mjpeg: return CameraRoute.Mjpeg;
            case CameraKind.Rtsp: return CameraRoute.Rtsp;
            case CameraKind.Usb: return CameraRoute.Usb;
            case CameraKind.Folder: return CameraRoute.Folder;
        }
        if (url.StartsWith("/dev/", StringComparison.Ordinal)) return CameraRoute.Usb;
        if (!Uri.TryCreate(url, UriKind.Absolute, out var u)) return CameraRoute.Folder;
        return u.Scheme.ToLowerInvariant() switch
        {
            "rtsp" or "rtsps" => CameraRoute.Rtsp,
            "http" or "https" => IsVideoPath(u.AbsolutePath) ? CameraRoute.HttpVideo : CameraRoute.HttpProbe,
            "file" => CameraRoute.Folder,
            "rtmp" => CameraRoute.Unsupported,
            _ => CameraRoute.HttpProbe,
        };
    }

    /// <summary>True for the routes ffmpeg reads (rtsp, http video, usb): these cameras can record.</summary>
    public static bool IsStream(CameraRoute route) => route is CameraRoute.Rtsp or CameraRoute.HttpVideo or CameraRoute.Usb;

    /// <summary>Kind auto over HTTP: the first answer's media type gives MJPEG (multipart), snapshot (JPEG-like), or an
    /// ffmpeg stream (a video type; reported as rtsp); <see cref="CameraKind.Auto"/> when it is none of them.</summary>
    public static CameraKind FromContentType(string? mediaType) =>
        IsMultipart(mediaType) ? CameraKind.Mjpeg
        : IsJpegLike(mediaType) ? CameraKind.Snapshot
        : IsVideoContentType(mediaType) ? CameraKind.Rtsp
        : CameraKind.Auto;

    /// <summary>
    /// The rule for <c>kind: auto</c> with an http(s) URL: a path ending in a video container or playlist extension
    /// (.m3u8, .mp4, .ts, .flv, .mkv, .webm, .mov) is read by ffmpeg; anything else is probed as JPEG/MJPEG.
    /// </summary>
    public static bool IsVideoPath(string path)
    {
        var ext = Path.GetExtension(path).ToLowerInvariant();
        return ext is ".m3u8" or ".mp4" or ".ts" or ".flv" or ".mkv" or ".webm" or ".mov" or ".m4v";
    }

    /// <summary>Content types that mean "a video stream for ffmpeg" (HLS playlists, MPEG-TS, MP4, FLV, …).</summary>
    public static bool IsVideoContentType(string? mediaType) => mediaType is not null &&
        (mediaType.StartsWith("video/", StringComparison.OrdinalIgnoreCase)
         || mediaType.Equals("application/vnd.apple.mpegurl", StringComparison.OrdinalIgnoreCase)
         || mediaType.Equals("application/x-mpegurl", StringComparison.OrdinalIgnoreCase));

    /// <summary>A snapshot answer: JPEG, or no/unspecific type (many cameras send none or octet-stream).</summary>
    public static bool IsJpegLike(string? mediaType) =>
        mediaType is null || mediaType.Length == 0
        || mediaType.Equals("image/jpeg", StringComparison.OrdinalIgnoreCase)
        || mediaType.Equals("image/jpg", StringComparison.OrdinalIgnoreCase)
        || mediaType.Equals("image/pjpeg", StringComparison.OrdinalIgnoreCase)
        || mediaType.Equals("application/octet-stream", StringComparison.OrdinalIgnoreCase)
        || mediaType.Equals("binary/octet-stream", StringComparison.OrdinalIgnoreCase);

    public static bool IsMultipart(string? mediaType) =>
        mediaType is not null && mediaType.StartsWith("multipart/", StringComparison.OrdinalIgnoreCase);
}
