using System.Net;
using System.Text.Json;
using Lookback.Config;
using Lookback.Hosting;
using Lookback.Tests.Mqtt;
using Lookback.Tests.Rendering;
using Lookback.Tests.Sources;

namespace Lookback.Tests.Hosting;

/// <summary>
/// Two real Lookback nodes and real mosquitto brokers: the bus view (<c>/api/nodes</c>, <c>/api/cameras?scope=bus</c>),
/// another node's retained snapshot, and a GIF asked through one node for the other's camera over MQTT — on one broker,
/// and across mosquitto's own bridge between two brokers.
/// </summary>
public sealed class BusEndToEndTests
{
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(30);

    /// <summary>A node on <paramref name="brokerPort"/> whose public_url is its real address (results carry it).</summary>
    private static Task<AppHarness> NodeAsync(string node, string cam, string cameraUrl, int brokerPort)
    {
        var httpPort = Mosquitto.FreePort();
        return AppHarness.StartAsync([AppHarness.Camera(cam, cameraUrl, CameraKind.Mjpeg, interval: 0.1) with { Name = cam.ToUpperInvariant() }],
            mqtt: new MqttOptions { Host = "127.0.0.1", Port = brokerPort }, nodeId: node,
            settings: new HostSettings { SnapshotEvery = TimeSpan.FromSeconds(1), RenderWorkers = 1 },
            configure: o => o with { Http = o.Http with { Port = httpPort, PublicUrl = $"http://127.0.0.1:{httpPort}" } });
    }

    private static async Task<JsonElement> Json(HttpClient http, string path)
    {
        using var r = await http.GetAsync(path);
        Assert.True(r.IsSuccessStatusCode, $"{path}: {(int)r.StatusCode} {await r.Content.ReadAsStringAsync()}");
        return JsonDocument.Parse(await r.Content.ReadAsStringAsync()).RootElement.Clone();
    }

    private static JsonElement? Group(JsonElement groups, string node) =>
        groups.EnumerateArray().Where(g => g.GetProperty("node").GetString() == node).Select(g => (JsonElement?)g).FirstOrDefault();

    /// <summary>Waits until <paramref name="viewer"/>'s bus view shows <paramref name="node"/>'s camera with <paramref name="status"/>.</summary>
    private static async Task WaitForBusCamera(AppHarness viewer, string node, string cam, string status)
    {
        var last = "";
        var sw = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            var groups = await Json(viewer.Http, "/api/cameras?scope=bus");
            last = groups.GetRawText();
            if (Group(groups, node) is { } g && g.GetProperty("cameras").EnumerateArray()
                    .Any(c => c.GetProperty("name").GetString() == cam && c.GetProperty("status").GetString() == status)) return;
            if (sw.Elapsed > Long) throw new TimeoutException($"{node}/{cam} not {status} in the bus view: {last}");
            await Task.Delay(100);
        }
    }

    /// <summary>Asks <paramref name="via"/> for a GIF of <paramref name="node"/>'s camera; checks the URL is that node's and downloads a real GIF.</summary>
    private static async Task AssertGifThroughBus(AppHarness via, AppHarness owner, string node, string cam)
    {
        using var r = await via.Http.PostAsync($"/api/bus/{node}/{cam}/gif?seconds=2&fps=4&width=160", null);
        var body = await r.Content.ReadAsStringAsync();
        Assert.True(r.StatusCode == HttpStatusCode.OK, body);
        var result = JsonDocument.Parse(body).RootElement;
        Assert.Equal("ok", result.GetProperty("status").GetString());
        Assert.Equal(cam, result.GetProperty("camera").GetString());
        Assert.Equal(node, result.GetProperty("node").GetString());            // answered by the node that serves it
        Assert.StartsWith("bus-", result.GetProperty("request_id").GetString());
        var url = result.GetProperty("url").GetString()!;
        Assert.StartsWith(owner.App.Options.Http.PublicUrl + "/media/", url);   // the owner's URL, not the asking node's
        using var download = new HttpClient();
        var bytes = await download.GetByteArrayAsync(url);
        Assert.Equal("GIF89a"u8.ToArray(), bytes[..6]);
        var file = Path.Combine(via.Storage, "bus.gif");
        await File.WriteAllBytesAsync(file, bytes);
        var probe = await Probe.RunAsync(file);
        Assert.True(probe.Frames > 1, $"GIF has {probe.Frames} frame(s)");
        Assert.Equal(160, probe.Width);
    }

    [Fact]
    public async Task One_broker_every_node_sees_the_other_its_snapshot_and_a_gif_asked_over_mqtt()
    {
        using var broker = new Mosquitto();
        await using var cams = await TestCameraServer.StartAsync();
        var a = await NodeAsync("node_a", "entrance", cams.MjpegUrl(10), broker.Port);
        var aStopped = false;
        try
        {
            await using var b = await NodeAsync("node_b", "garage", cams.MjpegUrl(10), broker.Port);

            await WaitForBusCamera(b, "node_a", "entrance", "online");
            await WaitForBusCamera(a, "node_b", "garage", "online");
            var groups = await Json(b.Http, "/api/cameras?scope=bus");
            Assert.Equal(["node_b", "node_a"], groups.EnumerateArray().Select(g => g.GetProperty("node").GetString()));
            var self = groups[0];
            Assert.True(self.GetProperty("self").GetBoolean());
            Assert.True(self.GetProperty("cameras")[0].GetProperty("local").GetBoolean());
            var remote = Group(groups, "node_a")!.Value.GetProperty("cameras")[0];
            Assert.False(remote.GetProperty("local").GetBoolean());
            Assert.Equal("api/bus/node_a/entrance/snapshot.jpg", remote.GetProperty("snapshot_url").GetString());

            var nodes = await Json(b.Http, "/api/nodes");
            Assert.Equal(["node_b", "node_a"], nodes.EnumerateArray().Select(n => n.GetProperty("node").GetString()));
            var na = nodes[1];
            Assert.True(na.GetProperty("online").GetBoolean());
            Assert.Equal(["entrance"], na.GetProperty("cameras").EnumerateArray().Select(c => c.GetString()));
            Assert.NotEqual(JsonValueKind.Null, na.GetProperty("last_seen").ValueKind);
            Assert.Equal(a.App.Options.Http.PublicUrl, na.GetProperty("public_url").GetString());
            Assert.Equal(a.App.Options.Http.PublicUrl + "/api/cameras/entrance/mjpeg", remote.GetProperty("live_url").GetString());
            Assert.Equal("ENTRANCE", remote.GetProperty("title").GetString());

            // node_a's retained snapshot, served by node_b
            using (var snap = await b.Http.GetAsync("/api/bus/node_a/entrance/snapshot.jpg"))
            {
                Assert.Equal(HttpStatusCode.OK, snap.StatusCode);
                var jpeg = await snap.Content.ReadAsByteArrayAsync();
                Assert.Equal((byte)0xFF, jpeg[0]);
                Assert.Equal((byte)0xD8, jpeg[1]);
            }

            await AppHarness.WaitUntilAsync(() => a.App.Cameras.Find("entrance")!.Ring.Count >= 25, Long, "entrance frames");
            await AssertGifThroughBus(b, a, "node_a", "entrance");

            // bad input: named field, unknown node or camera, unknown scope
            using (var bad = await b.Http.PostAsync("/api/bus/node_a/entrance/gif?fps=fast", null))
            {
                Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
                Assert.Contains("fps", await bad.Content.ReadAsStringAsync());
            }
            using (var r = await b.Http.PostAsync("/api/bus/node_z/entrance/gif", null)) Assert.Equal(HttpStatusCode.NotFound, r.StatusCode);
            using (var r = await b.Http.PostAsync("/api/bus/node_a/entrance/reboot", null)) Assert.Equal(HttpStatusCode.NotFound, r.StatusCode);
            using (var r = await b.Http.GetAsync("/api/cameras?scope=planet")) Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
            using (var r = await b.Http.GetAsync("/api/cameras"))                  // without scope: this node's own list, unchanged
                Assert.Equal(["garage"], JsonDocument.Parse(await r.Content.ReadAsStringAsync()).RootElement.EnumerateArray().Select(c => c.GetProperty("name").GetString()));

            // node_a stops: node_b shows it offline at once (its "offline" on P/nodes/node_a)
            aStopped = true;
            await a.DisposeAsync();
            await WaitForBusCamera(b, "node_a", "entrance", "offline");
            Assert.False((await Json(b.Http, "/api/nodes"))[1].GetProperty("online").GetBoolean());
            using (var r = await b.Http.PostAsync("/api/bus/node_a/entrance/gif", null))
            {
                Assert.Equal(HttpStatusCode.ServiceUnavailable, r.StatusCode);
                Assert.Contains("offline", await r.Content.ReadAsStringAsync());
            }
        }
        finally { if (!aStopped) await a.DisposeAsync(); }
    }

    [Fact]
    public async Task Across_a_mosquitto_bridge_node_b_lists_node_a_and_a_gif_asked_of_node_b_returns_node_a_url()
    {
        using var broker1 = new Mosquitto();
        // mosquitto's own bridge (MQTT 3.1.1: MQTT 5 response topics do not cross it; results come back on P/<cam>/result)
        using var broker2 = new Mosquitto(extraConfig: _ => $"""
            connection bridge_to_1
            address 127.0.0.1:{broker1.Port}
            topic lookback/# both 1
            topic homeassistant/# both 1
            cleansession true
            restart_timeout 1
            """);
        await using var cams = await TestCameraServer.StartAsync();
        await using var a = await NodeAsync("node_a", "entrance", cams.MjpegUrl(10), broker1.Port);
        await using var b = await NodeAsync("node_b", "garage", cams.MjpegUrl(10), broker2.Port);

        await WaitForBusCamera(b, "node_a", "entrance", "online");
        await WaitForBusCamera(a, "node_b", "garage", "online");
        // Home Assistant discovery crosses the bridge too
        await using (var obs = await Observer.ConnectAsync(broker2.Port, "homeassistant/device/node_a_entrance/config"))
            obs.WaitFor("homeassistant/device/node_a_entrance/config");

        await AppHarness.WaitUntilAsync(() => a.App.Cameras.Find("entrance")!.Ring.Count >= 25, Long, "entrance frames");
        await AssertGifThroughBus(b, a, "node_a", "entrance");
    }
}
