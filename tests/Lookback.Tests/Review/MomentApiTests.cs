using System.Net;
using System.Text.Json;
using Lookback.Config;
using Lookback.Tests.Hosting;
using Lookback.Tests.Mqtt;
using Lookback.Tests.Sources;

namespace Lookback.Tests.Review;

/// <summary>
/// Moments end to end (issue 12): a snapshot asked over HTTP, a moment over MQTT and a doorbell trigger through a
/// real mosquitto are each recorded and listed by GET /api/moments with their stored files and who asked.
/// </summary>
public sealed class MomentApiTests(MosquittoFixture broker) : IClassFixture<MosquittoFixture>
{
    [Fact]
    public async Task Http_mqtt_and_trigger_renders_are_listed_with_their_files_and_filters()
    {
        await using var server = await TestCameraServer.StartAsync();
        await using var obs = await Observer.ConnectAsync(broker.Broker.Port, "h12m/#");
        await using var h = await AppHarness.StartAsync(
            [AppHarness.Camera("front", server.MjpegUrl(10), CameraKind.Mjpeg, interval: 0.1)],
            mqtt: new MqttOptions { Host = "127.0.0.1", Port = broker.Broker.Port, TopicPrefix = "h12m" }, nodeId: "h12m",
            triggers: [new TriggerOptions { Topic = "h12m-zb/doorbell", Cameras = ["front"], Action = RenderKind.Snapshot, Doorbell = true }]);
        obs.WaitFor("h12m/front/availability", s => s.Text == "online", TimeSpan.FromSeconds(20));
        await AppHarness.WaitUntilAsync(() => h.App.Cameras.Find("front")!.Ring.Count >= 10, TimeSpan.FromSeconds(20), "frames");

        // HTTP: a stored snapshot; its published URL is the stored file, not the moving snapshot.jpg
        using var snap = await h.Http.GetAsync("/api/cameras/front/snapshot?request_id=ui-1");
        Assert.Equal(HttpStatusCode.OK, snap.StatusCode);
        Assert.Equal("image/jpeg", snap.Content.Headers.ContentType!.MediaType);
        var stored = snap.Content.Headers.ContentLocation?.ToString() ?? snap.Headers.GetValues("Content-Location").Single();
        Assert.Matches(@"/media/front/\d{4}-\d\d-\d\d/[\d.]+-snapshot\.jpg$", stored);

        // MQTT: a moment
        await obs.PublishAsync("h12m/front/moment/set", """{"request_id": "mq-1", "before": 1, "after": 0}""");
        var result = obs.WaitFor("h12m/front/result", s => s.Text.Contains("mq-1"), TimeSpan.FromSeconds(40)).Json;
        Assert.Equal("ok", result.GetProperty("status").GetString());

        // a doorbell trigger
        await obs.PublishAsync("h12m-zb/doorbell", """{"action": "single"}""");
        obs.WaitFor("h12m/front/result", s => s.Text.Contains("trigger-"), TimeSpan.FromSeconds(30));

        var list = await GetJson(h, "/api/moments");
        Assert.Equal(3, list.GetArrayLength());
        var byOrigin = list.EnumerateArray().ToDictionary(m => m.GetProperty("origin").GetString()!);
        var s1 = byOrigin["http"];
        Assert.Equal(("snapshot", "ui-1", "ok"), (s1.GetProperty("kind").GetString(), s1.GetProperty("request_id").GetString(), s1.GetProperty("status").GetString()));
        Assert.Equal(stored, s1.GetProperty("files").GetProperty("snapshot").GetProperty("url").GetString());
        var m1 = byOrigin["mqtt"];
        Assert.Equal(("moment", "mq-1"), (m1.GetProperty("kind").GetString(), m1.GetProperty("request_id").GetString()));
        Assert.Equal(result.GetProperty("url").GetString(), m1.GetProperty("files").GetProperty("mp4").GetProperty("url").GetString());
        Assert.Equal(result.GetProperty("gif_url").GetString(), m1.GetProperty("files").GetProperty("gif").GetProperty("url").GetString());
        Assert.True(m1.GetProperty("bytes").GetInt64() > result.GetProperty("bytes").GetInt64(), m1.ToString() + " // " + result.ToString()); // mp4 + gif
        Assert.True(m1.GetProperty("end").GetDateTimeOffset() > m1.GetProperty("start").GetDateTimeOffset());
        var t1 = byOrigin["trigger"];
        Assert.Equal(("h12m-zb/doorbell", true), (t1.GetProperty("trigger").GetString(), t1.GetProperty("doorbell").GetBoolean()));

        // the files play: each path (relative to the UI) downloads
        var mp4 = await h.Http.GetByteArrayAsync("/" + m1.GetProperty("files").GetProperty("mp4").GetProperty("path").GetString());
        Assert.Equal("ftyp"u8.ToArray(), mp4[4..8]);

        // filters, one moment, errors naming the parameter
        Assert.Equal(1, (await GetJson(h, "/api/moments?kind=moment&camera=front")).GetArrayLength());
        Assert.Equal(3, (await GetJson(h, "/api/moments?date=today")).GetArrayLength());
        Assert.Equal(0, (await GetJson(h, "/api/moments?date=yesterday")).GetArrayLength());
        Assert.Equal(1, (await GetJson(h, "/api/moments?limit=1")).GetArrayLength());
        var older = await GetJson(h, $"/api/moments?before={Uri.EscapeDataString(list[0].GetProperty("requested_at").GetString()!)}");
        Assert.Equal(2, older.GetArrayLength());
        var one = await GetJson(h, "/api/moments/" + m1.GetProperty("id").GetString());
        Assert.Equal("mq-1", one.GetProperty("request_id").GetString());
        await AssertError(h, "/api/moments?date=someday", 400, "date: must be yyyy-MM-dd, today or yesterday");
        await AssertError(h, "/api/moments?kind=video", 400, "kind: must be one of");
        await AssertError(h, "/api/moments?camera=nope", 404, "unknown camera 'nope'");
        await AssertError(h, "/api/moments/nope", 404, "no moment 'nope'");
    }

    private static async Task<JsonElement> GetJson(AppHarness h, string path) =>
        JsonDocument.Parse(await h.Http.GetStringAsync(path)).RootElement.Clone();

    private static async Task AssertError(AppHarness h, string path, int status, string error)
    {
        using var r = await h.Http.GetAsync(path);
        Assert.Equal(status, (int)r.StatusCode);
        Assert.Contains(error, await r.Content.ReadAsStringAsync());
    }
}
