using System.Text.RegularExpressions;
using Lookback.Config;
using Lookback.Hosting;
using Lookback.Tests.Hosting;
using Lookback.Tests.Mqtt;
using static Microsoft.Playwright.Assertions;

namespace Lookback.Tests.WebUi;

/// <summary>
/// The bus-wide web UI in real chromium: two real Lookback nodes (drawn demo cameras) on a real mosquitto; node_b's
/// grid shows both nodes' cameras grouped by node, and a GIF of node_a's camera asked from node_b's UI over MQTT
/// comes back with node_a's URL.
/// </summary>
[Collection(UiCollection.Name)]
public sealed class BusBrowserTests(UiFixture ui)
{
    private static Task<AppHarness> Node(string node, Uri camBase, string cam, string title, int brokerPort)
    {
        var httpPort = Mosquitto.FreePort();
        return AppHarness.StartAsync(
            [AppHarness.Camera(cam, new Uri(camBase, $"cam/{cam}/mjpeg?fps=5").ToString(), CameraKind.Mjpeg, interval: 0.2) with { Name = title }],
            mqtt: new MqttOptions { Host = "127.0.0.1", Port = brokerPort }, nodeId: node,
            settings: new HostSettings { SnapshotEvery = TimeSpan.FromSeconds(1), RenderWorkers = 1 },
            configure: o => o with { LogLevel = "warning", Http = o.Http with { Port = httpPort, PublicUrl = $"http://127.0.0.1:{httpPort}" } });
    }

    [Fact]
    public async Task The_grid_shows_every_node_of_the_bus_grouped_by_node_and_a_remote_gif_comes_from_its_node()
    {
        using var broker = new Mosquitto();
        await using var cams = new DemoCameraServer([("frontdoor", "Front door", 768, 576), ("garage", "Garage", 640, 360)]);
        var camBase = await cams.StartAsync(CancellationToken.None);
        await using var a = await Node("node_a", camBase, "frontdoor", "Front door", broker.Port);
        await using var b = await Node("node_b", camBase, "garage", "Garage", broker.Port);

        var page = await ui.NewPageAsync();
        await page.GotoAsync(b.App.BaseAddress.ToString());
        var sections = page.Locator("section.node");
        await Expect(sections).ToHaveCountAsync(2);
        await Expect(sections.Nth(0)).ToHaveAttributeAsync("data-node", "node_b");       // this node first
        await Expect(sections.Nth(1)).ToHaveAttributeAsync("data-node", "node_a");
        await Expect(page.Locator("section.node[data-node=node_b] .node-head")).ToContainTextAsync("this node");
        await Expect(page.Locator("section.node[data-node=node_a] .node-head h2")).ToHaveTextAsync("node_a");
        var local = page.Locator("section.node[data-node=node_b] .tile[data-cam=garage]");
        var remote = page.Locator("section.node[data-node=node_a] .tile[data-cam=frontdoor]");
        await Expect(local.Locator(".badge")).ToHaveAttributeAsync("data-status", "online");
        await Expect(remote.Locator(".badge")).ToHaveAttributeAsync("data-status", "online");
        await Expect(remote.Locator(".title")).ToHaveTextAsync("Front door");
        foreach (var tile in new[] { "node_b] .tile[data-cam=garage]", "node_a] .tile[data-cam=frontdoor]" })
            await page.WaitForFunctionAsync("s => { const i = document.querySelector(s); return !!i && i.complete && i.naturalWidth > 0; }",
                $"section.node[data-node={tile} img.live", new() { Timeout = 20_000 });
        await ui.ScreenshotAsync(page, "bus-grid");

        // node_a's camera from node_b's UI: live view from node_a's public_url, a GIF over MQTT with node_a's URL
        await remote.ClickAsync();
        await Expect(page).ToHaveURLAsync(new Regex("#/bus/node_a/frontdoor$"));
        await Expect(page.Locator(".cam-head h1")).ToHaveTextAsync("Front door");
        await Expect(page.Locator("#viewer")).ToHaveAttributeAsync("data-mode", "live");
        await Expect(page.Locator("#viewer img.live")).ToHaveAttributeAsync("src", new Regex("^" + Regex.Escape(a.App.Options.Http.PublicUrl!) + "/api/cameras/frontdoor/mjpeg"));
        await Expect(page.Locator("#open-node")).ToHaveAttributeAsync("href", a.App.Options.Http.PublicUrl + "/#/camera/frontdoor");
        await AppHarness.WaitUntilAsync(() => a.App.Cameras.Find("frontdoor")!.Ring.Count >= 10, TimeSpan.FromSeconds(30), "frontdoor frames");
        await page.Locator("#gif-seconds").SelectOptionAsync("5");
        await page.Locator("#do-gif").ClickAsync();
        var link = page.Locator("#results .result[data-kind=gif] a.result-url");
        await Expect(link).ToHaveAttributeAsync("href", new Regex("^" + Regex.Escape(a.App.Options.Http.PublicUrl!) + "/media/frontdoor/.+\\.gif$"),
            new() { Timeout = 40_000 });
        await page.WaitForFunctionAsync("() => { const i = document.querySelector('#results .result[data-kind=gif] img'); return !!i && i.complete && i.naturalWidth > 0; }",
            null, new() { Timeout = 20_000 });
        await ui.ScreenshotAsync(page, "bus-camera");
        await page.Context.CloseAsync();
    }
}
