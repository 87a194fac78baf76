using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Lookback.Discover;
using Lookback.Hosting;
using Lookback.Tests.Hosting;

namespace Lookback.Tests.Discover;

/// <summary>
/// <c>lookback discover</c> and <c>POST /api/discover</c> against WS-Discovery responders and ONVIF services
/// (onvif_camera.py) in a network namespace of the test's own, probed through its veth (never the real network).
/// </summary>
public sealed class DiscoverNetworkTests
{
    private static async Task<(int Code, string Out, string Err)> DiscoverAsync(params string[] args)
    {
        var o = new StringWriter();
        var e = new StringWriter();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60)); // a hang fails the test instead of blocking it
        var code = await Program.RunAsync(["discover", "--no-usb", .. args], o, e, cts.Token);
        return (code, o.ToString(), e.ToString());
    }

    [Fact]
    public async Task Discover_lists_the_cameras_with_their_stream_and_snapshot_uris_using_a_password_digest()
    {
        await using var net = OnvifTestNetwork.Create();
        await net.StartRespondersAsync(2, user: "admin", password: "Pa55word!");
        var (code, output, err) = await DiscoverAsync("--interface", net.HostIp, "--timeout", "1.5", "--user", "admin", "--password", "Pa55word!", "--json");
        Assert.True(code == 0, err);
        var report = JsonSerializer.Deserialize<DiscoverReport>(output)!;
        Assert.Equal(["Test Camera 0", "Test Camera 1"], report.Cameras.Select(c => c.Name).Order());
        foreach (var c in report.Cameras)
        {
            var i = c.Name[^1];
            Assert.True(c.Error is null, c.Error);
            Assert.Equal(("onvif", net.NsIp, $"LB-{i}"), (c.Kind, c.Address, c.Model));
            Assert.Equal([$"rtsp://{net.NsIp}:554/cam{i}/main_{i}", $"rtsp://{net.NsIp}:554/cam{i}/sub_{i}"], c.Streams.Select(s => s.StreamUrl));
            Assert.Equal([(1920, 1080), (640, 360)], c.Streams.Select(s => (s.Width, s.Height)));
            Assert.Matches($@"^http://{Regex(net.NsIp)}:\d+/snapshot/sub_{i}\.jpg$", c.Streams[1].SnapshotUrl);
            Assert.Contains($"url: \"rtsp://{net.NsIp}:554/cam{i}/main_{i}\"", c.Yaml);
            Assert.Contains($"motion_url: \"{c.Streams[1].SnapshotUrl}\"", c.Yaml);
            Assert.Contains("password: \"<password>\"", c.Yaml);
        }
        Assert.Empty(report.Problems);
        Assert.DoesNotContain("Pa55word!", output + err);

        // the plain listing says the same for people
        (code, output, err) = await DiscoverAsync("--interface", net.HostIp, "--timeout", "1.5", "--user", "admin", "--password", "Pa55word!");
        Assert.Equal(0, code);
        Assert.Contains($"ONVIF {net.NsIp}  Test Camera 1 (LB-1)", output);
        Assert.Contains($"stream:   rtsp://{net.NsIp}:554/cam1/sub_1", output);
        Assert.Contains("probing for ONVIF cameras", err);
        Assert.Contains("2 camera(s) in", err);
    }

    [Fact]
    public async Task A_wrong_password_is_a_clear_line_per_camera()
    {
        await using var net = OnvifTestNetwork.Create();
        await net.StartRespondersAsync(1, user: "admin", password: "right");
        var (code, output, _) = await DiscoverAsync("--interface", net.HostIp, "--timeout", "1", "--user", "admin", "--password", "wrong", "--json");
        Assert.Equal(0, code);
        var cam = Assert.Single(JsonSerializer.Deserialize<DiscoverReport>(output)!.Cameras);
        Assert.Matches(@"^http://[0-9.]+:\d+/onvif/device_service: SOAP fault ter:NotAuthorized: Sender not authorized$", cam.Error);
        Assert.Empty(cam.Streams);
    }

    [Fact]
    public async Task Hostile_and_malformed_replies_give_clear_lines_and_the_good_camera_still_comes_through()
    {
        await using var net = OnvifTestNetwork.Create();
        await net.StartRespondersAsync(8, modes: "normal,wrongns,bomb,huge,garbage,http-hang,http-huge,http-bomb");
        var (code, output, err) = await DiscoverAsync("--interface", net.HostIp, "--timeout", "1", "--json");
        Assert.True(code == 0, err);
        var report = JsonSerializer.Deserialize<DiscoverReport>(output)!;
        var from = $"reply from {net.NsIp}";
        Assert.Contains($"{from}: ProbeMatches in the wrong namespace (http://docs.oasis-open.org/ws-dd/ns/discovery/2009/01, expected http://schemas.xmlsoap.org/ws/2005/04/discovery)", report.Problems);
        Assert.Contains($"{from}: refused: the reply declares a DTD (entities are not expanded)", report.Problems);
        Assert.Contains($"{from}: refused: the reply is larger than 32 KiB", report.Problems);
        Assert.Contains($"{from}: not well-formed XML (line 1, position 1)", report.Problems);
        Assert.Contains("lookback discover: " + $"{from}: refused: the reply declares a DTD (entities are not expanded)", err);

        var byName = report.Cameras.ToDictionary(c => c.Name);
        Assert.Equal(["Test Camera 0", "Test Camera 5", "Test Camera 6", "Test Camera 7"], byName.Keys.Order());
        Assert.True(byName["Test Camera 0"].Error is null, byName["Test Camera 0"].Error);
        Assert.Equal(2, byName["Test Camera 0"].Streams.Count);
        Assert.EndsWith("/onvif/device_service: no answer within 5 s", byName["Test Camera 5"].Error);
        Assert.EndsWith("/onvif/device_service: refused: the reply is larger than 1024 KiB", byName["Test Camera 6"].Error);
        Assert.EndsWith("/onvif/device_service: refused: the reply declares a DTD (entities are not expanded)", byName["Test Camera 7"].Error);
    }

    [Fact]
    public async Task A_directed_probe_asks_one_host_by_unicast()
    {
        await using var net = OnvifTestNetwork.Create();
        await net.StartRespondersAsync(1);
        var (code, output, err) = await DiscoverAsync("--host", net.NsIp, "--timeout", "1", "--json");
        Assert.True(code == 0, err);
        var cam = Assert.Single(JsonSerializer.Deserialize<DiscoverReport>(output)!.Cameras);
        Assert.True(cam.Error is null, cam.Error);
        Assert.Equal($"rtsp://{net.NsIp}:554/cam0/main_0", cam.Streams[0].StreamUrl);
    }

    [Fact]
    public async Task Nothing_answering_means_no_cameras_and_exit_0()
    {
        await using var net = OnvifTestNetwork.Create();
        var (code, output, err) = await DiscoverAsync("--interface", net.HostIp, "--timeout", "0.5");
        Assert.Equal(0, code);
        Assert.Equal("No cameras found.", output.Trim());
        Assert.Contains("0 camera(s) in", err);
    }

    [Theory]
    [InlineData(new[] { "--timeout", "0" }, "lookback discover: --timeout must be 0.2..30 seconds")]
    [InlineData(new[] { "--password", "x" }, "lookback discover: --password needs --user")]
    [InlineData(new[] { "--interface", "h15-no-such-nic" }, "lookback discover: --interface h15-no-such-nic: no such network interface")]
    [InlineData(new[] { "--bogus" }, "lookback discover: unknown argument '--bogus'")]
    public async Task Bad_arguments_exit_2_with_the_reason(string[] args, string line)
    {
        var (code, _, err) = await DiscoverAsync(args);
        Assert.Equal(2, code);
        Assert.StartsWith(line, err);
    }

    [Fact]
    public async Task The_web_api_finds_the_network_and_the_USB_cameras_and_writes_nothing()
    {
        await using var net = OnvifTestNetwork.Create();
        await net.StartRespondersAsync(1);
        var fake = Directory.CreateTempSubdirectory("lookback-usb-").FullName;
        Directory.CreateDirectory(Path.Combine(fake, "sys/class/video4linux/video0"));
        File.WriteAllText(Path.Combine(fake, "sys/class/video4linux/video0/name"), "Fake USB Cam\n");
        Directory.CreateDirectory(Path.Combine(fake, "dev"));
        File.WriteAllText(Path.Combine(fake, "dev/video0"), "");
        await using var app = await AppHarness.StartAsync([], settings: new HostSettings
        {
            Discover = new DiscoverOptions { SysRoot = Path.Combine(fake, "sys"), DevRoot = Path.Combine(fake, "dev") },
        });
        try
        {
            var resp = await app.Http.PostAsJsonAsync("api/discover", new { timeout = 1, @interface = net.HostIp });
            Assert.Equal(HttpStatusCode.OK, resp.StatusCode);
            var report = (await resp.Content.ReadFromJsonAsync<DiscoverReport>())!;
            Assert.Equal(["onvif", "usb"], report.Cameras.Select(c => c.Kind));
            Assert.Equal($"rtsp://{net.NsIp}:554/cam0/main_0", report.Cameras[0].Streams[0].StreamUrl);
            Assert.Equal("Fake USB Cam", report.Cameras[1].Name);
            Assert.Contains("kind: usb", report.Cameras[1].Yaml);
            Assert.StartsWith("cameras:\n  test_camera_0:\n", report.Yaml);
            Assert.Contains("\n  fake_usb_cam:\n", report.Yaml);
            Assert.Empty(app.App.Options.Cameras); // nothing written or added

            // bad bodies are answered 400 with the field
            var bad = await app.Http.PostAsync("api/discover", new StringContent("{\"timeout\": 99}", Encoding.UTF8, "application/json"));
            Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
            Assert.Contains("timeout: must be 0.2..30 seconds", await bad.Content.ReadAsStringAsync());
            var form = await app.Http.PostAsync("api/discover", new StringContent("timeout=1", Encoding.UTF8, "application/x-www-form-urlencoded"));
            Assert.Equal(HttpStatusCode.BadRequest, form.StatusCode);
            var nic = await app.Http.PostAsync("api/discover", new StringContent("{\"interface\": \"h15-none\"}", Encoding.UTF8, "application/json"));
            Assert.Contains("interface h15-none: no such network interface", await nic.Content.ReadAsStringAsync());
        }
        finally { Directory.Delete(fake, true); }
    }

    private static string Regex(string s) => System.Text.RegularExpressions.Regex.Escape(s);
}
