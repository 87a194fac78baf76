using System.Text.Json;
using Lookback.Config;
using Lookback.Tests.Mqtt;
using Lookback.Tests.Rendering;
using Lookback.Tests.Sources;

namespace Lookback.Tests.Hosting;

/// <summary>Commands and triggers through a real mosquitto to the real renderer and back, and the URL downloads.</summary>
public sealed class MqttEndToEndTests(MosquittoFixture broker) : IClassFixture<MosquittoFixture>
{
    private int Port => broker.Broker.Port;

    [Fact]
    public async Task Gif_command_and_doorbell_trigger_publish_results_whose_url_downloads_a_valid_gif()
    {
        await using var server = await TestCameraServer.StartAsync();
        await using var obs = await Observer.ConnectAsync(Port, "e2e/#", "homeassistant/device/#");
        await using var h = await AppHarness.StartAsync(
            [AppHarness.Camera("front", server.MjpegUrl(10), CameraKind.Mjpeg, interval: 0.1)],
            mqtt: new MqttOptions { Host = "127.0.0.1", Port = Port, TopicPrefix = "e2e" }, nodeId: "e2e",
            triggers: [new TriggerOptions { Topic = "zigbee2mqtt/doorbell", Cameras = ["front"], Action = RenderKind.Gif, Doorbell = true,
                Match = new Dictionary<string, string> { ["action"] = "single" } }]);
        // Discovery, availability and the camera coming online.
        var discovery = obs.WaitFor("homeassistant/device/e2e_front/config").Json;
        Assert.Equal("lookback_e2e_front", discovery.GetProperty("device").GetProperty("identifiers")[0].GetString());
        obs.WaitFor("e2e/front/availability", s => s.Text == "online", TimeSpan.FromSeconds(20));
        await AppHarness.WaitUntilAsync(() => h.App.Cameras.Find("front")!.Ring.Count >= 25, TimeSpan.FromSeconds(20), "frames");

        await obs.PublishAsync("e2e/front/gif/set", """{"request_id": "r-42", "seconds": 2, "fps": 4, "width": 160}""");
        var result = obs.WaitFor("e2e/front/result", s => s.Text.Contains("r-42"), TimeSpan.FromSeconds(30)).Json;
        Assert.Equal("ok", result.GetProperty("status").GetString());
        Assert.Equal(8, result.GetProperty("frames").GetInt32());
        Assert.StartsWith("/media/local/lookback/front/", result.GetProperty("media").GetString());
        var ready = obs.WaitFor("e2e/front/event", s => s.Text.Contains("gif_ready") && s.Text.Contains("r-42")).Json;
        Assert.Equal(result.GetProperty("url").GetString(), ready.GetProperty("url").GetString());
        Assert.Equal(result.GetProperty("url").GetString(), obs.WaitFor("e2e/front/gif/url", s => s.Text.Contains(".gif")).Text);

        // The URL is published with the configured public base; fetch the same path from the running host.
        var path = new Uri(result.GetProperty("url").GetString()!).AbsolutePath;
        var bytes = await h.Http.GetByteArrayAsync(path);
        var file = Path.Combine(h.Storage, "downloaded.gif");
        await File.WriteAllBytesAsync(file, bytes);
        var probe = await Probe.RunAsync(file);
        Assert.Equal((160, 8), (probe.Width, probe.Frames));

        // A bad payload gets an error naming the field, and the process keeps answering.
        await obs.PublishAsync("e2e/front/gif/set", """{"request_id": "bad-1", "fps": "fast"}""");
        var bad = obs.WaitFor("e2e/front/result", s => s.Text.Contains("bad-1")).Json;
        Assert.Equal("error", bad.GetProperty("status").GetString());
        Assert.Contains("fps", bad.GetProperty("error").GetString());

        // Doorbell trigger: `ring` at once, then the GIF's result; a non-matching payload does nothing.
        await obs.PublishAsync("zigbee2mqtt/doorbell", """{"action": "double"}""");
        await obs.PublishAsync("zigbee2mqtt/doorbell", """{"action": "single", "battery": 90}""");
        obs.WaitFor("e2e/front/event", s => s.Text.Contains("\"ring\""));
        var trig = obs.WaitFor("e2e/front/result", s => s.Text.Contains("trigger-"), TimeSpan.FromSeconds(30)).Json;
        Assert.Equal("ok", trig.GetProperty("status").GetString());
        Assert.Single(obs.On("e2e/front/result"), s => s.Text.Contains("trigger-"));
    }
}
