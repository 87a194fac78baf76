using System.Text.Json;
using Lookback.Config;
using Lookback.Tests.Hosting;
using Lookback.Tests.Mqtt;
using Lookback.Tests.Sources;

namespace Lookback.Tests.Upload;

/// <summary>The upload backlog and remote URLs through the real app, a real mosquitto and a real S3 server: the HA
/// diagnostic sensor "Uploads pending" (node device discovery + node state), <c>P/&lt;cam&gt;/uploaded</c>, and
/// <c>remote_url</c> on the stored result in <c>/api/moments</c>.</summary>
public sealed class UploadMqttTests(MosquittoFixture broker) : IClassFixture<MosquittoFixture>
{
    [Fact]
    public async Task Uploads_pending_is_an_ha_sensor_and_an_uploaded_result_carries_its_remote_url()
    {
        await using var s3 = await S3rver.StartAsync();
        await using var server = await TestCameraServer.StartAsync();
        await using var obs = await Observer.ConnectAsync(broker.Broker.Port, "upl1/#", "homeassistant/device/lookback_upl1/config");
        var target = s3.Target() with { PresignSeconds = 300 };
        await s3.StopAsync(); // the first upload waits: the backlog shows
        await using var h = await AppHarness.StartAsync([AppHarness.Camera("front", server.SnapshotUrl, interval: 0.1)],
            mqtt: new MqttOptions { Host = "127.0.0.1", Port = broker.Broker.Port, TopicPrefix = "upl1" }, nodeId: "upl1", upload: [target]);

        var discovery = obs.WaitFor("homeassistant/device/lookback_upl1/config", s => s.Payload.Length > 0, TimeSpan.FromSeconds(20)).Json;
        var sensor = discovery.GetProperty("components").GetProperty("uploads_pending");
        Assert.Equal(("sensor", "diagnostic", "upl1/nodes/upl1/state"), (sensor.GetProperty("platform").GetString(),
            sensor.GetProperty("entity_category").GetString(), sensor.GetProperty("state_topic").GetString()));
        Assert.Contains("uploads_pending", sensor.GetProperty("value_template").GetString());

        await Wait.UntilAsync(() => h.App.Cameras.Find("front") is { } c && c.Ring.Count >= 5, TimeSpan.FromSeconds(20), "frames");
        var gif = await h.Http.GetAsync("/api/cameras/front/gif?seconds=1&fps=4&width=160");
        gif.EnsureSuccessStatusCode();
        obs.WaitFor("upl1/nodes/upl1/state", s => s.Json.TryGetProperty("uploads_pending", out var p) && p.GetInt32() >= 1,
            TimeSpan.FromSeconds(20));

        await s3.StartAgainAsync();
        var up = obs.WaitFor("upl1/front/uploaded", null, TimeSpan.FromSeconds(60)).Json;
        var key = up.GetProperty("key").GetString()!;
        Assert.Equal(("offsite", "moments"), (up.GetProperty("target").GetString(), up.GetProperty("media").GetString()));
        var remote = up.GetProperty("remote_url").GetString()!;
        Assert.StartsWith($"{s3.Endpoint}/{S3rver.Bucket}/{key}?", remote);
        Assert.Contains("X-Amz-Signature=", remote);
        obs.WaitFor("upl1/nodes/upl1/state", s => s.Json.TryGetProperty("uploads_pending", out var p) && p.GetInt32() == 0,
            TimeSpan.FromSeconds(20));

        // the stored result (a moment) carries it too, for the file and for the result
        using var moments = JsonDocument.Parse(await h.Http.GetStringAsync("/api/moments?camera=front"));
        var m = Assert.Single(moments.RootElement.EnumerateArray(), x => x.GetProperty("kind").GetString() == "gif");
        Assert.StartsWith($"{s3.Endpoint}/{S3rver.Bucket}/{key}?", m.GetProperty("remote_url").GetString());
        Assert.StartsWith($"{s3.Endpoint}/{S3rver.Bucket}/{key}?", m.GetProperty("files").GetProperty("gif").GetProperty("remote_url").GetString());
        Assert.DoesNotContain(target.SecretKey, moments.RootElement.GetRawText() + string.Join("", obs.All.Select(s => s.Text)) + h.LogText);
    }
}

/// <summary><c>remote_url</c> on a stored event: a folder camera's file event goes to S3 and <c>/api/events</c> shows where.</summary>
public sealed class UploadEventApiTests : IDisposable
{
    private readonly string _share = Directory.CreateTempSubdirectory("lookback-upshare-").FullName;
    private readonly string _storage = Directory.CreateTempSubdirectory("lookback-upstore-").FullName;

    public void Dispose()
    {
        foreach (var d in new[] { _share, _storage }) try { Directory.Delete(d, true); } catch (IOException) { }
    }

    [Fact]
    public async Task A_file_event_uploaded_to_s3_shows_its_remote_url_in_the_events_api()
    {
        await using var s3 = await S3rver.StartAsync();
        var options = new LookbackOptions
        {
            Http = new HttpOptions { Listen = "127.0.0.1", Port = 0, PublicUrl = "http://ha:8099" },
            Storage = new StorageOptions { Path = _storage },
            Cameras =
            [
                new CameraOptions
                {
                    Slug = "ftpcam", Url = _share, Kind = CameraKind.Folder, EventsFrom = EventsFrom.Files,
                    TimePattern = "*_{yyyyMMdd_HHmmss}.jpg", Motion = new MotionOptions { OffDelay = 0.2 },
                },
            ],
            Upload = [s3.Target(media: UploadMedia.Events)],
        };
        await using var app = Lookback.Hosting.LookbackHost.Build(options, new Lookback.Hosting.HostSettings { RenderWorkers = 1 });
        await app.StartAsync();
        using var http = new HttpClient { BaseAddress = app.BaseAddress };
        await Wait.UntilAsync(() => File.Exists(Path.Combine(_storage, ".state", "folder-ftpcam.json")), TimeSpan.FromSeconds(20), "the folder state");
        var name = $"cam_{DateTime.Now:yyyyMMdd_HHmmss}.jpg";
        var tmp = Path.Combine(_share, ".upload.tmp");
        await File.WriteAllBytesAsync(tmp, Folders.FolderTestKit.Jpeg());
        File.Move(tmp, Path.Combine(_share, name));

        JsonElement ev = default;
        await Wait.UntilAsync(() =>
        {
            using var list = JsonDocument.Parse(http.GetStringAsync("/api/events?camera=ftpcam").Result);
            if (list.RootElement.GetArrayLength() == 0) return false;
            ev = list.RootElement[0].Clone();
            return ev.TryGetProperty("remote_url", out var r) && r.ValueKind == JsonValueKind.String;
        }, TimeSpan.FromSeconds(30), "the event's remote_url");
        var snapshot = ev.GetProperty("files").GetProperty("snapshot");
        var key = $"ftpcam/{DateOnly.FromDateTime(DateTime.Now):yyyy-MM-dd}/{Path.GetFileName(snapshot.GetProperty("path").GetString())}";
        Assert.Equal($"{s3.Endpoint}/{S3rver.Bucket}/{key}", snapshot.GetProperty("remote_url").GetString());
        Assert.Equal(File.ReadAllBytes(Path.Combine(_storage, snapshot.GetProperty("path").GetString()!["media/".Length..])), await s3.GetAsync(key));
        using var one = JsonDocument.Parse(await http.GetStringAsync($"/api/events/{ev.GetProperty("id").GetString()}"));
        Assert.StartsWith($"{s3.Endpoint}/{S3rver.Bucket}/ftpcam/", one.RootElement.GetProperty("remote_url").GetString());
        await app.StopAsync();
    }
}
