using Lookback.Config;
using static Lookback.Tests.Config.ConfigTestHelpers;

namespace Lookback.Tests.Streams;

public class StreamConfigTests
{
    [Fact]
    public void Stream_camera_keys_are_read()
    {
        var o = AssertValid(ConfigLoader.Parse("""
            cameras:
              garage:
                url: rtsp://admin:s3cret!@192.168.0.20:554/Streaming/Channels/101
                transport: udp
                record: true
                segment_seconds: 4
              yard:
                url: rtsp://192.168.0.21/live
              usb:
                url: /dev/video0
              hls:
                url: https://cams.example/live/index.m3u8
                record: true
            """, "test.yaml"));
        var garage = o.Cameras.Single(c => c.Slug == "garage");
        Assert.Equal(CameraKind.Rtsp, garage.Kind);
        Assert.Equal("udp", garage.Transport);
        Assert.True(garage.Record);
        Assert.Equal(4, garage.SegmentSeconds);
        Assert.Equal("admin", garage.Username);
        Assert.Equal("s3cret!", garage.Password);
        Assert.DoesNotContain("s3cret", garage.Url);
        var yard = o.Cameras.Single(c => c.Slug == "yard");
        Assert.Equal(("tcp", false, 2.0), (yard.Transport, yard.Record, yard.SegmentSeconds)); // defaults: tcp, no recording
        Assert.Equal(CameraKind.Usb, o.Cameras.Single(c => c.Slug == "usb").Kind);
        Assert.True(o.Cameras.Single(c => c.Slug == "hls").Record);
    }

    public static TheoryData<string, string, int?, string> Broken => new()
    {
        { """
          cameras:
            garage:
              url: rtsp://cam/live
              transport: tpc
          """, "cameras.garage.transport", 4, "tcp" },
        { """
          cameras:
            garage:
              url: rtsp://cam/live
              segment_second: 4
          """, "cameras.garage.segment_second", 4, "did you mean 'segment_seconds'?" },
        { """
          cameras:
            garage:
              url: rtsp://cam/live
              segment_seconds: 0
          """, "cameras.garage.segment_seconds", 4, "must be between 1 and 60" },
        { """
          cameras:
            door:
              url: http://cam/snapshot.jpg
              record: true
          """, "cameras.door.record", 4, "needs a stream camera" },
    };

    [Theory, MemberData(nameof(Broken))]
    public void Stream_camera_keys_are_checked_with_path_and_line(string yaml, string path, int? line, string fragment) =>
        AssertError(ConfigLoader.Parse(yaml, "test.yaml"), path, line, fragment);
}
