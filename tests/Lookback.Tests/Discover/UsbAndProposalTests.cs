using Lookback.Config;
using Lookback.Discover;

namespace Lookback.Tests.Discover;

/// <summary>USB listing against a fake sysfs/dev tree (real ffmpeg), ffmpeg's format list, and the proposed blocks.</summary>
public sealed class UsbAndProposalTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("lookback-usb-").FullName;

    public void Dispose() { try { Directory.Delete(_root, true); } catch (IOException) { } }

    private void Node(string node, string? name, string? index, bool dev = true)
    {
        var dir = Path.Combine(_root, "sys", "class", "video4linux", node);
        Directory.CreateDirectory(dir);
        if (name is not null) File.WriteAllText(Path.Combine(dir, "name"), name + "\n");
        if (index is not null) File.WriteAllText(Path.Combine(dir, "index"), index + "\n");
        Directory.CreateDirectory(Path.Combine(_root, "dev"));
        if (dev) File.WriteAllText(Path.Combine(_root, "dev", node), "");
    }

    [Fact]
    public async Task Capture_nodes_with_a_device_are_listed_by_name_with_why_formats_are_unknown()
    {
        Node("video0", "HD Pro Webcam C920", "0");
        Node("video1", "HD Pro Webcam C920", "1");        // the same camera's metadata node
        Node("video2", "Gone Cam", "0", dev: false);      // sysfs entry without /dev node
        Node("video10", null, null);                      // no name, no index: listed under its node name
        var cams = await new UsbCameras(Path.Combine(_root, "sys"), Path.Combine(_root, "dev")).ListAsync(CancellationToken.None);
        Assert.Equal([Path.Combine(_root, "dev", "video0"), Path.Combine(_root, "dev", "video10")], cams.Select(c => c.Device));
        Assert.Equal(["HD Pro Webcam C920", "video10"], cams.Select(c => c.Name));
        // a plain file is no V4L2 device: real ffmpeg says so, and that is the line shown
        Assert.All(cams, c => Assert.Empty(c.Formats));
        Assert.All(cams, c => Assert.StartsWith("formats unknown: ", c.Error));
        Assert.Contains("Inappropriate ioctl", cams[0].Error);
    }

    [Fact]
    public async Task No_video4linux_class_means_no_USB_cameras()
    {
        Assert.Empty(await new UsbCameras(Path.Combine(_root, "nothing"), Path.Combine(_root, "dev")).ListAsync(CancellationToken.None));
    }

    [Fact]
    public void Ffmpeg_format_list_is_parsed()
    {
        var f = V4l2Formats.Parse("""
            [video4linux2,v4l2 @ 0x5581e1c0a740] Raw       :     yuyv422 :           YUYV 4:2:2 : 640x480 160x90 1280x720
            [video4linux2,v4l2 @ 0x5581e1c0a740] Compressed:       mjpeg :          Motion-JPEG : 1920x1080 1280x720
            /dev/video0: Immediate exit requested
            """);
        Assert.Equal(2, f.Count);
        Assert.Equal(new V4l2Format(false, "yuyv422", "YUYV 4:2:2", ["640x480", "160x90", "1280x720"]) with { Sizes = f[0].Sizes }, f[0]);
        Assert.Equal(["640x480", "160x90", "1280x720"], f[0].Sizes);
        Assert.True(f[1].Compressed);
        Assert.Equal("mjpeg", f[1].Name);
        Assert.Equal(["1920x1080", "1280x720"], f[1].Sizes);
    }

    private static OnvifDevice Device(params OnvifProfile[] profiles) => new("http://192.0.2.7/onvif/device_service", profiles, null);

    [Fact]
    public void Onvif_block_takes_the_main_stream_and_the_sub_profiles_snapshot_for_motion_and_is_a_valid_config()
    {
        var taken = new HashSet<string>();
        var cam = ConfigProposal.Onvif("Front Door", "192.0.2.7", "IPC-1", Device(
            new OnvifProfile("sub", "subStream", "H264", 640, 360) { StreamUri = "rtsp://192.0.2.7/sub", SnapshotUri = "http://192.0.2.7/snap?ch=2" },
            new OnvifProfile("main", "mainStream", "H264", 1920, 1080) { StreamUri = "rtsp://admin:pw@192.0.2.7/main", SnapshotUri = "http://192.0.2.7/snap?ch=1&pwd=secret" }),
            "admin", taken);
        Assert.Equal("front_door", cam.Slug);
        Assert.DoesNotContain("secret", cam.Yaml);
        Assert.DoesNotContain("admin:pw", cam.Yaml);
        Assert.Contains("url: \"rtsp://192.0.2.7/main\"", cam.Yaml);
        Assert.Contains("motion_url: \"http://192.0.2.7/snap?ch=2\"", cam.Yaml);
        Assert.Contains("# sub-stream (640x360): rtsp://192.0.2.7/sub", cam.Yaml);

        // with the password filled in, the block is a configuration Lookback accepts
        var loaded = ConfigLoader.Parse(cam.Yaml.Replace(ConfigProposal.PasswordPlaceholder, "s3cret"), "proposal.yaml");
        Assert.True(loaded.IsValid, string.Join("\n", loaded.Errors));
        var o = Assert.Single(loaded.Options!.Cameras);
        Assert.Equal(("front_door", "Front Door", CameraKind.Rtsp, "admin"), (o.Slug, o.Name, o.Kind, o.Username));
        Assert.Equal("http://192.0.2.7/snap?ch=2", o.MotionUrl);
    }

    [Fact]
    public void A_camera_with_snapshots_only_gets_a_snapshot_block_and_slugs_never_collide()
    {
        var taken = new HashSet<string>();
        var a = ConfigProposal.Onvif("Cam", "192.0.2.8", null, Device(new OnvifProfile("p", "p", "JPEG", 800, 600) { SnapshotUri = "http://192.0.2.8/s.jpg" }), null, taken);
        var b = ConfigProposal.Usb(new UsbCamera("/dev/video0", "Cam", [new V4l2Format(true, "mjpeg", "Motion-JPEG", ["1280x720"])], null), taken);
        Assert.Equal(("cam", "cam_2"), (a.Slug, b.Slug));
        Assert.Contains("kind: snapshot", a.Yaml);
        Assert.DoesNotContain("password", a.Yaml);
        Assert.Contains("# formats: mjpeg 1280x720", b.Yaml);
        var loaded = ConfigLoader.Parse(ConfigProposal.Combined([a, b]), "all.yaml");
        Assert.True(loaded.IsValid, string.Join("\n", loaded.Errors));
        Assert.Equal([("cam", CameraKind.Snapshot), ("cam_2", CameraKind.Usb)], loaded.Options!.Cameras.Select(c => (c.Slug, c.Kind)));
    }

    [Fact]
    public void Names_are_quoted_so_that_odd_ones_stay_data()
    {
        var cam = ConfigProposal.Onvif("x\": y # z\nw", "192.0.2.9", "m\nn", Device(new OnvifProfile("p", "p", null, 1, 1) { StreamUri = "rtsp://192.0.2.9/a#b" }), null, new HashSet<string>());
        var loaded = ConfigLoader.Parse(cam.Yaml, "odd.yaml");
        Assert.True(loaded.IsValid, string.Join("\n", loaded.Errors) + "\n" + cam.Yaml);
        Assert.Equal("x\": y # z\nw", loaded.Options!.Cameras[0].Name);
        Assert.Equal("rtsp://192.0.2.9/a#b", loaded.Options.Cameras[0].Url);
    }
}
