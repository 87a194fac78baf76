using System.Text;
using Lookback.Mqtt.Nodes;
using Lookback.Tests.Sources;

namespace Lookback.Tests.Mqtt;

/// <summary>The bus view's pure state: announcements, liveness, camera status, bounds and bad payloads.</summary>
public sealed class BusStateTests
{
    private static readonly byte[] Jpeg = [0xFF, 0xD8, 0xFF, 0xE0, 1, 2, 3, 0xFF, 0xD9];

    private static BusNodeInfo Info(string node, params BusCamera[] cams) => new(node, "0.3.0", $"http://{node}:8099", null, cams);
    private static BusCamera Cam(string slug, bool standby = false) => new(slug, slug.ToUpperInvariant(), "mjpeg", 100, standby);
    private static byte[] U(string s) => Encoding.UTF8.GetBytes(s);

    [Fact]
    public void Announcement_format_and_the_old_slug_list_are_read_and_junk_is_null()
    {
        var a = BusAnnouncements.Parse("node_a", U("""
            {"node":"node_a","version":"0.3.0","nonce":"x","started":"2026-12-03T08:00:00Z","public_url":"http://a:8099",
             "cameras":[{"slug":"entrance","name":"Entrance","kind":"mjpeg","failover_priority":100,"standby":false},
                        {"slug":"yard","failover_priority":"high","standby":true},{"name":"no slug"},7]}
            """))!;
        Assert.Equal(("0.3.0", "http://a:8099", "2026-12-03T08:00:00Z"), (a.Version, a.PublicUrl, a.Started));
        Assert.Equal([new BusCamera("entrance", "Entrance", "mjpeg", 100, false), new BusCamera("yard", "yard", "", 0, true)], a.Cameras);

        var old = BusAnnouncements.Parse("node_b", U("""["garden", 3, "drive"]"""))!;
        Assert.Equal(["garden", "drive"], old.Cameras.Select(c => c.Slug));
        Assert.Null(old.PublicUrl);

        foreach (var junk in new[] { "", "{", "\"text\"", "42", """{"cameras":"x"}""" })
            Assert.True(BusAnnouncements.Parse("n", U(junk)) is null or { Cameras.Count: 0 }, junk);
        Assert.Null(BusAnnouncements.Parse("n", U("""{"cameras":[{"slug":"\uD800"}]}""")));   // a lone surrogate: unreadable, no throw
    }

    [Fact]
    public void Node_online_offline_and_last_seen_follow_its_messages()
    {
        var time = new ManualTimeProvider();
        var s = new BusState("self", time);
        s.Announcement("node_a", Info("node_a", Cam("entrance")));
        s.NodeStatus("node_a", "online");
        s.Availability("entrance", "online");
        s.State("entrance", U("""{"status":"online","fps":4.8,"buffered_seconds":59.5,"buffered_frames":300,"last_error":null,"motion":{"enabled":true}}"""));

        var n = Assert.Single(s.Nodes());
        Assert.Equal(("node_a", true, "http://node_a:8099", time.GetUtcNow()), (n.Node, n.Online, n.PublicUrl, n.LastSeen));
        var c = Assert.Single(s.Cameras("node_a")!);
        Assert.Equal(("online", 4.8, 300, true), (c.Status, c.State!.Fps, c.State.BufferedFrames, c.State.MotionEnabled));

        time.Advance(TimeSpan.FromSeconds(7));
        s.Seen("node_a");
        Assert.Equal(time.GetUtcNow(), s.FindNode("node_a")!.LastSeen);

        s.NodeStatus("node_a", "offline");                     // the last will
        c = s.Camera("node_a", "entrance")!;
        Assert.Equal("offline", c.Status);
        Assert.Contains("node node_a is offline", c.Reason);
        Assert.False(s.FindNode("node_a")!.Online);

        s.NodeStatus("node_a", "online");
        Assert.Equal("online", s.Camera("node_a", "entrance")!.Status);
        s.Announcement("node_a", null);                        // cleared announcement while online: kept without cameras
        Assert.Empty(s.Cameras("node_a")!);
        s.NodeStatus("node_a", "");                            // and its node topic cleared: forgotten
        Assert.Empty(s.Nodes());
        Assert.Null(s.Camera("node_a", "entrance"));
    }

    [Fact]
    public void A_spare_shows_standby_naming_the_serving_node_and_takes_over_when_that_node_is_offline()
    {
        var s = new BusState("self");
        s.Announcement("node_a", Info("node_a", Cam("entrance")));
        s.Announcement("node_b", Info("node_b", Cam("entrance", standby: true)));
        s.NodeStatus("node_a", "online");
        s.NodeStatus("node_b", "online");
        s.Availability("entrance", "online");
        var spare = s.Camera("node_b", "entrance")!;
        Assert.Equal("standby", spare.Status);
        Assert.Equal("standby: node node_a serves 'entrance'", spare.Reason);
        Assert.Equal("online", s.Camera("node_a", "entrance")!.Status);

        s.NodeStatus("node_a", "offline");
        Assert.Equal("online", s.Camera("node_b", "entrance")!.Status);
        Assert.Equal("offline", s.Camera("node_a", "entrance")!.Status);
    }

    [Fact]
    public void Unknown_status_is_starting_and_bad_state_payloads_are_ignored()
    {
        var s = new BusState("self");
        s.Announcement("node_a", Info("node_a", Cam("cam1")));
        s.NodeStatus("node_a", "online");
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
    public void Memory_is_bounded_nodes_cameras_states_and_an_lru_of_snapshots()
    {
        var s = new BusState("self");
        for (var i = 0; i < BusState.MaxNodes + 50; i++) s.NodeStatus($"n{i}", "online");
        Assert.Equal(BusState.MaxNodes, s.NodeCount);
        s.Announcement("n0", Info("n0", [.. Enumerable.Range(0, BusState.MaxCamerasPerNode + 10).Select(i => Cam($"c{i}"))]));
        Assert.Equal(BusState.MaxCamerasPerNode, s.Cameras("n0")!.Count);
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
