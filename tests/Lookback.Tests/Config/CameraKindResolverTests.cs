using Lookback.Config;
using Lookback.Sources.Streaming;

namespace Lookback.Tests.Config;

/// <summary>The one place the camera kind is decided: at binding (<see cref="CameraKindResolver.Check"/>), when the
/// source is built (<see cref="CameraKindResolver.Route"/>) and when auto probes HTTP (<see cref="CameraKindResolver.FromContentType"/>).</summary>
public class CameraKindResolverTests
{
    [Theory]
    [InlineData("http://cam/snapshot.jpg", CameraKind.Auto, CameraKind.Auto)]
    [InlineData("rtsp://cam/stream", CameraKind.Auto, CameraKind.Rtsp)]
    [InlineData("rtsps://cam/stream", CameraKind.Auto, CameraKind.Rtsp)]
    [InlineData("/dev/video0", CameraKind.Auto, CameraKind.Usb)]
    [InlineData("/share/ftp/cam", CameraKind.Auto, CameraKind.Folder)]
    [InlineData("http://cam/video.mjpg", CameraKind.Mjpeg, CameraKind.Mjpeg)]
    [InlineData("/srv/cam", CameraKind.Folder, CameraKind.Folder)]
    public void Binding_resolves_what_the_url_decides(string url, CameraKind kind, CameraKind expected)
    {
        Assert.Null(CameraKindResolver.Check(url, kind, out var resolved));
        Assert.Equal(expected, resolved);
    }

    [Theory]
    [InlineData("", CameraKind.Auto, "must not be empty")]
    [InlineData("ftp://cam/x", CameraKind.Auto, "must be an absolute http://")]
    [InlineData("rtsp://cam/s", CameraKind.Snapshot, "for kind snapshot")]
    [InlineData("http://cam/s", CameraKind.Rtsp, "for kind rtsp")]
    [InlineData("/tmp/x", CameraKind.Usb, "for kind usb")]
    [InlineData("http://cam/x", CameraKind.Folder, "for kind folder")]
    [InlineData("relative/path", CameraKind.Auto, "a directory path")]
    public void Binding_names_the_mismatch(string url, CameraKind kind, string fragment) =>
        Assert.Contains(fragment, CameraKindResolver.Check(url, kind, out _));

    [Theory]
    [InlineData(CameraKind.Auto, "http://cam/snapshot.jpg", CameraRoute.HttpProbe)]
    [InlineData(CameraKind.Auto, "https://cam/live/index.m3u8", CameraRoute.HttpVideo)]
    [InlineData(CameraKind.Auto, "http://cam/clip.MP4", CameraRoute.HttpVideo)]
    [InlineData(CameraKind.Auto, "rtsp://cam/s", CameraRoute.Rtsp)]
    [InlineData(CameraKind.Auto, "/dev/video2", CameraRoute.Usb)]
    [InlineData(CameraKind.Auto, "/share/cam", CameraRoute.Folder)]
    [InlineData(CameraKind.Auto, "rtmp://cam/live", CameraRoute.Unsupported)]
    [InlineData(CameraKind.Snapshot, "http://cam/x.m3u8", CameraRoute.Snapshot)]
    [InlineData(CameraKind.Mjpeg, "http://cam/x", CameraRoute.Mjpeg)]
    [InlineData(CameraKind.Rtsp, "rtsp://cam/s", CameraRoute.Rtsp)]
    [InlineData(CameraKind.Usb, "/dev/video0", CameraRoute.Usb)]
    [InlineData(CameraKind.Folder, "/share/cam", CameraRoute.Folder)]
    public void Route_follows_kind_then_url(CameraKind kind, string url, CameraRoute expected) =>
        Assert.Equal(expected, CameraKindResolver.Route(kind, url));

    [Fact]
    public void Only_ffmpeg_routes_are_streams_and_stream_args_agree()
    {
        foreach (var route in Enum.GetValues<CameraRoute>())
            Assert.Equal(route is CameraRoute.Rtsp or CameraRoute.HttpVideo or CameraRoute.Usb, CameraKindResolver.IsStream(route));
        CameraOptions Cam(CameraKind k, string url) => new() { Slug = "c", Url = url, Kind = k };
        Assert.Equal(StreamInputKind.HttpVideo, StreamArgs.InputKindFor(Cam(CameraKind.Auto, "http://cam/a.m3u8")));
        Assert.Equal(StreamInputKind.Rtsp, StreamArgs.InputKindFor(Cam(CameraKind.Auto, "rtsp://cam/a")));
        Assert.Equal(StreamInputKind.Usb, StreamArgs.InputKindFor(Cam(CameraKind.Usb, "/dev/video0")));
        Assert.Null(StreamArgs.InputKindFor(Cam(CameraKind.Snapshot, "http://cam/a.m3u8")));
    }

    [Theory]
    [InlineData("multipart/x-mixed-replace", CameraKind.Mjpeg)]
    [InlineData("image/jpeg", CameraKind.Snapshot)]
    [InlineData(null, CameraKind.Snapshot)]
    [InlineData("application/octet-stream", CameraKind.Snapshot)]
    [InlineData("video/mp2t", CameraKind.Rtsp)]
    [InlineData("application/vnd.apple.mpegurl", CameraKind.Rtsp)]
    [InlineData("text/html", CameraKind.Auto)]
    public void The_auto_probe_decides_from_the_content_type(string? mediaType, CameraKind expected) =>
        Assert.Equal(expected, CameraKindResolver.FromContentType(mediaType));
}
