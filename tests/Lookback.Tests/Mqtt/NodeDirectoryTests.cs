using System.Text;
using Lookback.Mqtt.Nodes;

namespace Lookback.Tests.Mqtt;

public class NodeAnnouncementTests
{
    [Fact]
    public void Round_trips_every_field()
    {
        var a = new NodeAnnouncement
        {
            Node = "node_a", Version = "0.3.0", Nonce = "abc123", Started = new DateTimeOffset(2026, 12, 3, 7, 40, 1, 250, TimeSpan.Zero),
            PublicUrl = "http://host:8099",
            Cameras = [new AnnouncedCamera("entrance", "Entrance", "mjpeg", 10, false), new AnnouncedCamera("yard", null, null, 100, true)],
        };
        var json = a.ToJson();
        Assert.Contains("\"started\":\"2026-12-03T07:40:01.250Z\"", json);
        Assert.Contains("\"failover_priority\":10", json);
        var b = NodeAnnouncement.Parse("node_a", Encoding.UTF8.GetBytes(json))!;
        Assert.Equal(a with { Cameras = [] }, b with { Cameras = [] });
        Assert.Equal(a.Cameras, b.Cameras);
        Assert.False(b.Legacy);
        Assert.Equal("Entrance", b.Find("entrance")!.Title);
        Assert.Equal("yard", b.Find("yard")!.Title);
        Assert.Null(b.Find("nope"));
    }

    [Fact]
    public void Public_url_is_left_out_when_unknown_and_the_node_comes_from_the_topic()
    {
        var json = new NodeAnnouncement { Node = "n", Nonce = "x", Cameras = [new("c")] }.ToJson();
        Assert.DoesNotContain("public_url", json);
        var p = NodeAnnouncement.Parse("other", Encoding.UTF8.GetBytes(json))!;
        Assert.Equal("other", p.Node);
        Assert.Equal(NodeAnnouncement.DefaultPriority, p.Cameras[0].FailoverPriority);
    }

    [Fact]
    public void A_0_2_node_array_of_slugs_is_accepted()
    {
        var p = NodeAnnouncement.Parse("old", """["a","b","a","Not A Slug",7]"""u8)!;
        Assert.True(p.Legacy);
        Assert.Null(p.Nonce);
        Assert.Equal(["a", "b"], p.Cameras.Select(c => c.Slug));
        Assert.All(p.Cameras, c => Assert.Equal((100, false), (c.FailoverPriority, c.Standby)));
    }

    [Theory]
    [InlineData("")]
    [InlineData("junk")]
    [InlineData("42")]
    [InlineData("\"text\"")]
    [InlineData("""["\ud800"]""")]
    [InlineData("""{"cameras":[{"slug":"\ud800"}]}""")]
    public void Junk_is_null_never_an_exception(string payload) =>
        Assert.Null(NodeAnnouncement.Parse("n", Encoding.UTF8.GetBytes(payload)));

    [Fact]
    public void Wrong_field_types_fall_back_to_defaults()
    {
        var p = NodeAnnouncement.Parse("n", """{"nonce":5,"started":"never","public_url":"javascript:x","cameras":[{"slug":"c","failover_priority":"high","standby":"yes"},{"name":"no slug"}]}"""u8)!;
        Assert.Null(p.Nonce);
        Assert.Null(p.Started);
        Assert.Null(p.PublicUrl);
        Assert.Equal([new AnnouncedCamera("c")], p.Cameras);
    }
}

public class NodeDirectoryTests
{
    private static NodeDirectory Dir(string self = "self", string nonce = "mine") => new("lookback", self, nonce);

    private static void Feed(NodeDirectory d, string topic, string payload) =>
        Assert.True(d.Apply(topic, Encoding.UTF8.GetBytes(payload), out _), topic);

    private static string Ann(string node, string nonce, params (string Slug, int Prio, bool Standby)[] cams) =>
        new NodeAnnouncement { Node = node, Nonce = nonce, Cameras = [.. cams.Select(c => new AnnouncedCamera(c.Slug, null, null, c.Prio, c.Standby))] }.ToJson();

    private static void Node(NodeDirectory d, string node, string liveness, string? announcement)
    {
        Feed(d, $"lookback/nodes/{node}", liveness);
        if (announcement != null) Feed(d, $"lookback/nodes/{node}/cameras", announcement);
    }

    [Fact]
    public void Only_node_topics_are_taken()
    {
        var d = Dir();
        Assert.False(d.Apply("lookback/nodes/a/state", "{}"u8, out _));
        Assert.False(d.Apply("lookback/entrance/state", "{}"u8, out _));
        Assert.False(d.Apply("other/nodes/a", "online"u8, out _));
        Assert.False(d.Apply("lookback/nodes/a/b/cameras", "[]"u8, out _));
        Assert.True(d.Apply("lookback/nodes/a", "online"u8, out var changed));
        Assert.True(changed);
        Assert.True(d.Apply("lookback/nodes/a", "online"u8, out changed));
        Assert.False(changed);
        Assert.True(d.Apply("lookback/nodes/a", "garbage"u8, out changed));
        Assert.False(changed);
        Assert.Equal(NodeLiveness.Online, d.Find("a")!.Liveness);
    }

    [Fact]
    public void Lowest_priority_among_online_nodes_wins_then_the_node_id()
    {
        var d = Dir();
        Node(d, "node_b", "online", Ann("node_b", "1", ("entrance", 100, false)));
        Node(d, "node_a", "online", Ann("node_a", "2", ("entrance", 100, false)));
        Assert.Equal("node_a", d.ActiveNode("entrance"));     // tie: ordinal node id
        Node(d, "node_c", "online", Ann("node_c", "3", ("entrance", 50, false)));
        Assert.Equal("node_c", d.ActiveNode("entrance"));     // lower priority wins
        Feed(d, "lookback/nodes/node_c", "offline");           // last will
        Assert.Equal("node_a", d.ActiveNode("entrance"));
        Assert.Null(d.ActiveNode("yard"));
    }

    [Fact]
    public void A_standby_camera_wins_only_when_no_online_node_serves_it_for_real()
    {
        var d = Dir();
        Node(d, "spare", "online", Ann("spare", "1", ("entrance", 1, true)));
        Node(d, "main", "online", Ann("main", "2", ("entrance", 900, false)));
        Assert.Equal("main", d.ActiveNode("entrance"));
        Feed(d, "lookback/nodes/main", "offline");
        Assert.Equal("spare", d.ActiveNode("entrance"));
        // main comes back: active once it announced again (it is still starting before that)
        Feed(d, "lookback/nodes/main", "online");
        Assert.Equal("spare", d.ActiveNode("entrance"));
        Feed(d, "lookback/nodes/main/cameras", Ann("main", "3", ("entrance", 900, false)));
        Assert.Equal("main", d.ActiveNode("entrance"));
    }

    [Fact]
    public void The_own_node_counts_only_with_this_runs_nonce_once_it_came_back()
    {
        var d = Dir("node_a", "new");
        Node(d, "node_b", "online", Ann("node_b", "b", ("entrance", 100, false)));
        // this node's previous run (retained, old nonce) and "online" just published: not a candidate yet
        Node(d, "node_a", "online", Ann("node_a", "old", ("entrance", 100, false)));
        Assert.False(d.SelfSynced);
        Assert.Equal("node_b", d.ActiveNode("entrance"));
        var own = d.Ownership("entrance");
        Assert.False(own.Serves);
        Assert.Equal("standby: node_b serves entrance", own.Reason);
        // a camera nobody serves: this node answers at once (alone on the bus)
        Assert.True(d.Ownership("garden").Serves);
        // this run's announcement comes back: node_a wins (same priority, lower id)
        Feed(d, "lookback/nodes/node_a/cameras", Ann("node_a", "new", ("entrance", 100, false)));
        Assert.True(d.SelfSynced);
        Assert.Equal(new SlugOwnership("entrance", true, "node_a"), d.Ownership("entrance"));
        Assert.Null(d.Ownership("entrance").Reason);
        // the connection drops: the others take over (its last will), so does its own view
        Assert.True(d.MarkSelfOffline());
        Assert.Equal("node_b", d.ActiveNode("entrance"));
    }

    [Fact]
    public void Every_node_computes_the_same_owner_from_the_same_stream()
    {
        var stream = new List<(string Topic, string Payload)>
        {
            ("lookback/nodes/node_b", "online"), ("lookback/nodes/node_b/cameras", Ann("node_b", "b", ("entrance", 100, false))),
            ("lookback/nodes/node_a", "online"), ("lookback/nodes/node_a/cameras", Ann("node_a", "a", ("entrance", 100, false))),
            ("lookback/nodes/node_a", "offline"), ("lookback/nodes/node_a", "online"),
            ("lookback/nodes/node_a/cameras", Ann("node_a", "a", ("entrance", 100, false))),
        };
        var a = Dir("node_a", "a"); var b = Dir("node_b", "b");
        var owners = new List<string>();
        foreach (var (t, p) in stream)
        {
            Feed(a, t, p); Feed(b, t, p);
            if (b.Find("node_b")?.Announcement == null) continue; // node_b itself is still starting
            // never both, never neither (both configure entrance)
            Assert.True(a.Ownership("entrance").Serves ^ b.Ownership("entrance").Serves, t + " " + p);
            owners.Add(a.Ownership("entrance").Serves ? "node_a" : "node_b");
        }
        Assert.Equal(["node_b", "node_b", "node_a", "node_b", "node_b", "node_a"], owners);
    }

    [Fact]
    public void Retained_values_read_on_subscribing_describe_one_state_whatever_their_order()
    {
        var d = Dir();
        Assert.True(d.Apply("lookback/nodes/n1/cameras", Encoding.UTF8.GetBytes(Ann("n1", "1", ("cam", 100, false))), out _, retained: true));
        Assert.True(d.Apply("lookback/nodes/n1", "online"u8, out _, retained: true));
        Assert.Equal("n1", d.ActiveNode("cam"));
        // the same order live: n1 came online after announcing, so that announcement was of its previous session
        var live = Dir();
        Feed(live, "lookback/nodes/n1", "offline");
        Feed(live, "lookback/nodes/n1/cameras", Ann("n1", "1", ("cam", 100, false)));
        Feed(live, "lookback/nodes/n1", "online");
        Assert.Null(live.ActiveNode("cam"));
        Assert.False(live.Find("n1")!.Current);
    }

    [Fact]
    public void Clash_is_an_online_own_node_id_with_another_nonce_not_a_crashed_previous_run()
    {
        var d = Dir("node_a", "new");
        Assert.Null(d.Clash());
        Node(d, "node_a", "offline", Ann("node_a", "old", ("entrance", 100, false)));
        Assert.Null(d.Clash());                                 // previous run crashed: its will said offline
        Feed(d, "lookback/nodes/node_a", "online");
        Assert.Equal("old", d.Clash()!.Nonce);                  // another live process
        Feed(d, "lookback/nodes/node_a/cameras", Ann("node_a", "new"));
        Assert.Null(d.Clash());
    }

    [Fact]
    public void Removed_announcements_and_cleared_nodes_are_forgotten_and_junk_cannot_grow_the_table()
    {
        var d = new NodeDirectory("lookback", "self", "n", maxNodes: 3);
        Node(d, "a", "online", Ann("a", "1", ("x", 100, false)));
        Assert.True(d.Apply("lookback/nodes/a/cameras", ReadOnlySpan<byte>.Empty, out var changed));
        Assert.True(changed);
        Assert.Null(d.ActiveNode("x"));
        Assert.True(d.Apply("lookback/nodes/a", ReadOnlySpan<byte>.Empty, out _));
        Assert.Null(d.Find("a"));
        for (var i = 0; i < 10; i++) Feed(d, $"lookback/nodes/junk{i}", "online");
        Assert.Equal(3, d.Nodes.Count);
        Assert.Equal(["junk0", "junk1", "junk2"], d.Nodes.Select(n => n.NodeId));
    }
}

public class SlugOwnershipTrackerTests
{
    [Fact]
    public void Reports_each_change_once_with_what_it_was_before()
    {
        var d = new NodeDirectory("lookback", "me", "n1");
        var t = new SlugOwnershipTracker(d, ["entrance", "yard"]);
        Assert.True(t.Serves("entrance") && t.Serves("yard"));            // alone on the bus: serves at once
        Assert.False(t.Serves("unknown"));
        Assert.Empty(t.Evaluate());
        d.Apply("lookback/nodes/other", "online"u8, out _);
        d.Apply("lookback/nodes/other/cameras", System.Text.Encoding.UTF8.GetBytes(new NodeAnnouncement
            { Node = "other", Nonce = "x", Cameras = [new AnnouncedCamera("entrance", FailoverPriority: 1)] }.ToJson()), out _);
        var change = Assert.Single(t.Evaluate());
        Assert.Equal(("entrance", true, false, "standby: other serves entrance"), (change.Now.Slug, change.Before.Serves, change.Now.Serves, change.Now.Reason));
        Assert.Empty(t.Evaluate());
        Assert.False(t.Serves("entrance"));
        d.Apply("lookback/nodes/other", "offline"u8, out _);
        Assert.Equal("other", Assert.Single(t.Evaluate()).Before.ActiveNode);
        Assert.True(t.Serves("entrance"));
    }
}
