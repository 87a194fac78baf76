using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using Lookback.Config;
using Lookback.Tests.Hosting;
using Lookback.Tests.Mqtt;
using Lookback.Tests.Sources;

namespace Lookback.Tests.Addon;

/// <summary>
/// The Node-RED example's function nodes, run by node (node_red_functions.js) as Node-RED runs them, against a real
/// mosquitto and a running Lookback. The test plays the mqtt in/out and http request nodes (Node-RED itself is not
/// installed: Node-RED 5 needs Node.js 22.9, the test machine has the distribution's Node.js).
/// </summary>
public sealed class NodeRedFlowTests(MosquittoFixture broker) : IClassFixture<MosquittoFixture>
{
    private sealed class FunctionNodes : IDisposable
    {
        private readonly Process _p;
        public FunctionNodes()
        {
            var psi = new ProcessStartInfo("node")
            {
                RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
            };
            psi.ArgumentList.Add(AddonFiles.PathOf("tests", "Lookback.Tests", "Addon", "node_red_functions.js"));
            psi.ArgumentList.Add(AddonFiles.PathOf("addon", "examples", "node-red-doorbell.json"));
            _p = Process.Start(psi)!;
        }

        public JsonObject Call(string node, JsonObject msg)
        {
            _p.StandardInput.WriteLine(new JsonObject { ["node"] = node, ["msg"] = msg.DeepClone() }.ToJsonString());
            _p.StandardInput.Flush();
            var line = _p.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(10)).GetAwaiter().GetResult()
                ?? throw new InvalidOperationException("node exited: " + _p.StandardError.ReadToEnd());
            var answer = JsonNode.Parse(line)!.AsObject();
            Assert.False(answer.ContainsKey("exception"), (string?)answer["exception"]);
            return answer;
        }

        public void Dispose()
        {
            try { _p.StandardInput.Close(); if (!_p.WaitForExit(5000)) _p.Kill(); } catch (InvalidOperationException) { }
            _p.Dispose();
        }
    }

    private static JsonObject Msg(string topic, string payloadJson) =>
        new() { ["topic"] = topic, ["payload"] = JsonNode.Parse(payloadJson) };

    [Fact]
    public async Task Two_presses_fetch_two_gifs_and_a_battery_report_asks_for_nothing()
    {
        await using var server = await TestCameraServer.StartAsync();
        await using var obs = await Observer.ConnectAsync(broker.Broker.Port, "lookback/frontdoor/#");
        await using var h = await AppHarness.StartAsync(
            [AppHarness.Camera("frontdoor", server.MjpegUrl(10), CameraKind.Mjpeg, interval: 0.1)],
            mqtt: new MqttOptions { Host = "127.0.0.1", Port = broker.Broker.Port });
        await AppHarness.WaitUntilAsync(() => h.App.Cameras.Find("frontdoor")!.Ring.Count >= 25, TimeSpan.FromSeconds(20), "frames");
        using var fn = new FunctionNodes();

        // What the "Doorbell pressed" mqtt in node delivers (datatype auto-detect: JSON objects).
        var ids = new List<string>();
        foreach (var press in new[] { """{"action":"single","battery":90,"linkquality":118}""", """{"action":"single"}""" })
        {
            var req = fn.Call("Make GIF request", Msg("zigbee2mqtt/front_doorbell", press))["out"]!;
            Assert.Equal("lookback/frontdoor/gif/set", (string?)req["topic"]);
            ids.Add((string)req["payload"]!["request_id"]!);
            await obs.PublishAsync((string)req["topic"]!, req["payload"]!.ToJsonString());
            if (ids.Count == 1) await Task.Delay(500); // the second press comes half a second later (test input, not a wait)
        }
        Assert.NotEqual(ids[0], ids[1]);
        foreach (var report in new[] { """{"battery":90,"linkquality":118}""", """{"action":"double"}""", "\"single\"" })
        {
            var none = fn.Call("Make GIF request", new JsonObject { ["topic"] = "zigbee2mqtt/front_doorbell", ["payload"] = JsonNode.Parse(report) });
            Assert.Null(none["out"]);
            Assert.Equal(2, none["pending"]!.AsArray().Count);
        }

        // Both results arrive on lookback/frontdoor/result; each is matched and its GIF fetched.
        var results = obs.WaitForCount(s => s.Topic == "lookback/frontdoor/result" && ids.Any(s.Text.Contains), 2, TimeSpan.FromSeconds(60));
        var fetched = new List<JsonObject>();
        foreach (var r in results)
        {
            var get = fn.Call("Match pending request", Msg("lookback/frontdoor/result", r.Text))["out"]!.AsObject();
            Assert.Equal("GET", (string?)get["method"]);
            var url = (string)get["url"]!;
            using var resp = await h.Http.GetAsync(new Uri(url).AbsolutePath);
            var bytes = await resp.Content.ReadAsByteArrayAsync();
            // What the http request node (ret: bin) delivers.
            get["statusCode"] = (int)resp.StatusCode;
            get["headers"] = new JsonObject { ["content-type"] = resp.Content.Headers.ContentType?.ToString() };
            get["payloadBase64"] = Convert.ToBase64String(bytes);
            get.Remove("payload");
            var done = fn.Call("Check the download", get);
            var summary = done["out"]!["summary"]!;
            Assert.Equal(bytes.Length, (int)summary["bytes"]!);
            Assert.Equal("GIF8", System.Text.Encoding.ASCII.GetString(bytes, 0, 4));
            fetched.Add(summary.AsObject());
        }
        Assert.Equal(ids.Order(), fetched.Select(f => (string)f["request_id"]!).Order());
        Assert.All(fetched, f => Assert.StartsWith("/media/local/lookback/frontdoor/", (string)f["media"]!));

        // Answered ids are forgotten: a repeated result, or another client's, is not fetched again.
        var again = fn.Call("Match pending request", Msg("lookback/frontdoor/result", results[0].Text));
        Assert.Null(again["out"]);
        Assert.Empty(again["pending"]!.AsArray());

        // A real error result ends its request with a warning; a failed download (404) stops at the check.
        var third = fn.Call("Make GIF request", Msg("zigbee2mqtt/front_doorbell", """{"action":"single"}"""))["out"]!;
        var badId = (string)third["payload"]!["request_id"]!;
        await obs.PublishAsync((string)third["topic"]!, $$"""{"request_id":"{{badId}}","seconds":9999}""");
        var error = obs.WaitFor("lookback/frontdoor/result", s => s.Text.Contains(badId));
        var failed = fn.Call("Match pending request", Msg("lookback/frontdoor/result", error.Text));
        Assert.Null(failed["out"]);
        Assert.Contains("seconds", (string)failed["warnings"]![0]!);
        using var missing = await h.Http.GetAsync("/media/frontdoor/nope.gif");
        var notFound = fn.Call("Check the download", new JsonObject
        {
            ["requestId"] = "nr-x", ["url"] = "http://x/media/frontdoor/nope.gif", ["statusCode"] = (int)missing.StatusCode,
            ["headers"] = new JsonObject { ["content-type"] = missing.Content.Headers.ContentType?.ToString() },
            ["payloadBase64"] = Convert.ToBase64String(await missing.Content.ReadAsByteArrayAsync()),
        });
        Assert.Null(notFound["out"]);
        Assert.Contains("404", (string)notFound["warnings"]![0]!);
    }
}
