using System.Text;
using Lookback.Mqtt.Nodes;

namespace Lookback.Tests.Mqtt;

/// <summary>The bus view's pure state: announcements, liveness, camera status, bounds and bad payloads.</summary>
public sealed class BusStateTests
{
    private static readonly byte[] Jpeg = [0xFF, 0xD8, 0xFF, 0xE0, 1, 2, 3, 0xFF, 0xD9];

    private static byte[] U(string s) => Encoding.UTF8.GetBytes(s);
    private static AnnouncedCamera Cam(string slug, bool standby = false) => new(slug, slug.ToUpperInvariant(), "mjpeg", 100, standby);

    /// <summary>A directory of node "self" fed as the bridge feeds it, and the bus state on top.</summary>
    private static (NodeDirectory Nodes, BusState Bus) New(Func<DateTimeOffset>? clock = null)
    {
        var d = new NodeDirectory("lookback", "self", "nonce-self", clock);
        return (d, new BusState(d));
    }

    private static void Announce(NodeDirectory d, string node, params AnnouncedCamera[] cams) =>
        d.Apply($"lookback/nodes/{node}/cameras", U(new NodeAnnouncement
            { Node = node, Version = "0.3.0", Nonce = "n-" + node, PublicUrl = $"http://{node}:8099", Cameras = cams }.ToJson()), out _);

    private static void Status(NodeDirectory d, string node, string status) => d.Apply($"lookback/nodes/{node}", U(status), out _);

    [Fact]
    public void A_camera_is_online_from_its_retained_state_and_offline_with_its_node()
    {
        var (d, s) = New();
        Announce(d, "node_a", Cam("entrance"));
        Status(d, "node_a", "online");
        s.Availability("entrance", "online");
        s.State("entrance", U("""{"status":"online","fps":4.8,"buffered_seconds":59.5,"buffered_frames":300,"last_error":null,"motion":{"enabled":true}}"""));
        var c = Assert.Single(s.Cameras("node_a")!);
        Assert.Equal(("online", 4.8, 300, true, "ENTRANCE"), (c.Status, c.State!.Fps, c.State.BufferedFrames, c.State.MotionEnabled, c.Camera.Title));

        Status(d, "node_a", "offline");                        // the last will
        c = s.Camera("node_a", "entrance")!;
        Assert.Equal("offline", c.Status);
        Assert.Contains("node node_a is offline", c.Reason);

        Status(d, "node_a", "online");
        Assert.Equal("online", s.Camera("node_a", "entrance")!.Status);
        Assert.Null(s.Camera("node_a", "yard"));
        Assert.Null(s.Cameras("node_z"));
    }

    [Fact]
    public void A_spare_shows_standby_naming_the_serving_node_and_takes_over_when_that_node_is_offline()
    {
        var (d, s) = New();
        Status(d, "node_a", "online");                         // a node's announcement counts once it came after its "online"
        Status(d, "node_b", "online");
        Announce(d, "node_a", Cam("entrance"));
        Announce(d, "node_b", Cam("entrance", standby: true));
        s.Availability("entrance", "online");
        var spare = s.Camera("node_b", "entrance")!;
        Assert.Equal("standby", spare.Status);
        Assert.Equal("standby: node_a serves entrance", spare.Reason);
        Assert.Equal("online", s.Camera("node_a", "entrance")!.Status);

        Status(d, "node_a", "offline");
        Assert.Equal("online", s.Camera("node_b", "entrance")!.Status);
        Assert.Equal("offline", s.Camera("node_a", "entrance")!.Status);
    }

    [Fact]
    public void Unknown_status_is_starting_and_bad_state_payloads_are_ignored()
    {
        var (d, s) = New();
        Announce(d, "node_a", Cam("cam1"));
        Status(d, "node_a", "online");
        Assert.Equal("starting", s.Camera("node_a", "cam1")!.Status);
        s.State("cam1", U("""{"status":"offline","fps":"x","buffered_frames":1e300,"last_error":"refused"}"""));
        var st = s.Camera("node_a", "cam1")!;
        Assert.Equal(("offline", 0.0, "refused"), (st.Status, st.State!.Fps, st.State.LastError));
        foreach (var bad in new[] { "nope", "[1]", "{", new string('x', BusState.MaxStateBytes + 1) })
        {
            s.State("cam1", U(bad));
            Assert.Equal("refused", s.Camera("node_a", "cam1")!.State!.LastError);
        }
        s.Availability("cam1", "maybe");                      // not a status: ignored
        s.Availability("cam1", "online");
        Assert.Equal("online", s.Camera("node_a", "cam1")!.Status);
    }

    [Fact]
    public void Memory_is_bounded_camera_states_and_an_lru_of_snapshots()
    {
        var (_, s) = New();
        for (var i = 0; i < BusState.MaxCameraStates + 10; i++) s.Availability($"c{i}", "online");
        Assert.Equal(BusState.MaxCameraStates, s.CameraStateCount);

        for (var i = 0; i < BusState.MaxSnapshots + 5; i++)
        {
            s.Snapshot($"c{i}", Jpeg);
            if (i == BusState.MaxSnapshots - 1) Assert.NotNull(s.GetSnapshot("c0"));   // c0 used recently: survives, c1.. go first
        }
        Assert.Equal(BusState.MaxSnapshots, s.SnapshotCount);
        Assert.NotNull(s.GetSnapshot("c0"));
        Assert.Null(s.GetSnapshot("c1"));
        s.Snapshot("big", new byte[BusState.MaxSnapshotBytes + 1]);
        s.Snapshot("notjpeg", U("hello"));
        Assert.Null(s.GetSnapshot("big"));
        Assert.Null(s.GetSnapshot("notjpeg"));
        s.Snapshot("c0", []);                                  // cleared retained snapshot
        Assert.Null(s.GetSnapshot("c0"));
    }
}
