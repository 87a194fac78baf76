namespace Lookback.Config;

/// <summary>Which cameras are read by ffmpeg as a stream, and as what input (decided from the options alone).</summary>
public static class StreamInputs
{
    /// <summary>The input kind for a camera's options and URL, or null when it is not an ffmpeg stream.</summary>
    public static StreamInputKind? InputKindFor(CameraOptions o)
    {
        var url = o.Url;
        switch (o.Kind)
        {
            case CameraKind.Rtsp: return StreamInputKind.Rtsp;
            case CameraKind.Usb: return StreamInputKind.Usb;
            case CameraKind.Auto:
                if (url.StartsWith("/dev/", StringComparison.Ordinal)) return StreamInputKind.Usb;
                if (!Uri.TryCreate(url, UriKind.Absolute, out var u)) return null;
                var scheme = u.Scheme.ToLowerInvariant();
                if (scheme is "rtsp" or "rtsps") return StreamInputKind.Rtsp;
                if (scheme is "http" or "https" && IsVideoPath(u.AbsolutePath)) return StreamInputKind.HttpVideo;
                return null;
            default: return null;
        }
    }

    /// <summary>
    /// The rule for <c>kind: auto</c> with an http(s) URL: a path ending in a video container or playlist extension
    /// (.m3u8, .mp4, .ts, .flv, .mkv, .webm, .mov) is read by ffmpeg; anything else is probed as JPEG/MJPEG.
    /// A response with a video Content-Type found by that probe is also handed to ffmpeg.
    /// </summary>
    public static bool IsVideoPath(string path)
    {
        var ext = Path.GetExtension(path).ToLowerInvariant();
        return ext is ".m3u8" or ".mp4" or ".ts" or ".flv" or ".mkv" or ".webm" or ".mov" or ".m4v";
    }
}
