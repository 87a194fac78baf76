using Lookback.Config;
using Lookback.Sources;
using Lookback.Sources.Folder;
using static Lookback.Tests.Config.ConfigTestHelpers;

namespace Lookback.Tests.Folders;

public class FolderConfigTests
{
    private static ConfigResult Parse(string yaml) => ConfigLoader.Parse(yaml, "test.yaml");

    [Fact]
    public void Folder_camera_keys_and_defaults()
    {
        var o = AssertValid(Parse("""
            cameras:
              ftpcam:
                url: /share/ftp/ftpcam
                time_pattern: "*_{yyyyMMddHHmmss}*.jpg"
              drive:
                url: /share/ftp/drive
                kind: folder
                events_from: motion
                timelapse: false
              front:
                url: http://cam/snap.jpg
            """));
        var ftp = o.Cameras.Single(c => c.Slug == "ftpcam");
        Assert.Equal(CameraKind.Folder, ftp.Kind);
        Assert.Equal("*_{yyyyMMddHHmmss}*.jpg", ftp.TimePattern);
        Assert.Equal(EventsFrom.Files, ftp.EventsFrom); // folder cameras: files by default
        Assert.True(ftp.Timelapse);
        var drive = o.Cameras.Single(c => c.Slug == "drive");
        Assert.Equal(EventsFrom.Motion, drive.EventsFrom);
        Assert.False(drive.Timelapse);
        Assert.Equal(EventsFrom.Motion, o.Cameras.Single(c => c.Slug == "front").EventsFrom);
        Assert.Equal(TimeSpan.FromSeconds(48), o.Timelapse.SamplePeriod);
        Assert.IsType<FolderSource>(SourceFactory.Create(ftp, new HttpClient()));
    }

    [Fact]
    public void Timelapse_section()
    {
        var o = AssertValid(Parse("""
            timelapse:
              seconds: 30
              fps: 25
              width: 640
            cameras:
              front: {url: http://cam/snap.jpg}
            """));
        Assert.Equal(640, o.Timelapse.Width);
        Assert.Equal(TimeSpan.FromSeconds(86400 / 750.0), o.Timelapse.SamplePeriod);
        Assert.Equal(TimeSpan.FromSeconds(2), AssertValid(Parse("timelapse: {interval: 2}\ncameras: {a: {url: http://c/x}}")).Timelapse.SamplePeriod);
    }

    public static TheoryData<string, string, int?, string> Broken => new()
    {
        { """
          cameras:
            ftpcam:
              url: /share/ftp/ftpcam
              time_pattern: yyyyMMdd_hhmmss
          """, "cameras.ftpcam.time_pattern", 4, "did you mean HH (24-hour)?" },
        { """
          cameras:
            front:
              url: http://cam/snap.jpg
              time_pattern: yyyyMMdd_HHmmss
          """, "cameras.front.time_pattern", 4, "only for folder cameras" },
        { """
          cameras:
            front:
              url: http://cam/snap.jpg
              events_from: files
          """, "cameras.front.events_from", 4, "only for folder cameras" },
        { """
          cameras:
            ftpcam:
              url: /share/ftp/ftpcam
              events_from: file
          """, "cameras.ftpcam.events_from", 4, "did you mean 'files'?" },
        { """
          cameras:
            ftpcam:
              url: /share/ftp/ftpcam
              time_patern: yyyyMMdd_HHmmss
          """, "cameras.ftpcam.time_patern", 4, "unknown key, did you mean 'time_pattern'?" },
        { """
          timelapse:
            fsp: 30
          cameras:
            a: {url: http://c/x}
          """, "timelapse.fsp", 2, "unknown key, did you mean 'fps'?" },
        { """
          timelapse:
            interval: 0
          cameras:
            a: {url: http://c/x}
          """, "timelapse.interval", 2, "must be between" },
    };

    [Theory]
    [MemberData(nameof(Broken))]
    public void Errors_name_the_path_and_line(string yaml, string path, int? line, string fragment) =>
        AssertError(Parse(yaml), path, line, fragment);
}
