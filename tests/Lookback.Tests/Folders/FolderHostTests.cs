using System.Net.Http.Json;
using System.Text.Json;
using Lookback.Config;
using Lookback.Hosting;
using static Lookback.Tests.Folders.FolderTestKit;

namespace Lookback.Tests.Folders;

/// <summary>The whole host: a folder camera's upload becomes a ring frame, a stored "file" event and a timelapse sample.</summary>
public sealed class FolderHostTests : IDisposable
{
    private readonly string _share = Directory.CreateTempSubdirectory("lookback-share-").FullName;
    private readonly string _storage = Directory.CreateTempSubdirectory("lookback-storage-").FullName;

    public void Dispose()
    {
        foreach (var d in new[] { _share, _storage }) try { Directory.Delete(d, true); } catch (IOException) { }
    }

    private static string Describe(LookbackApp app, HttpClient http) =>
        http.GetStringAsync("/api/cameras").GetAwaiter().GetResult() + " " + http.GetStringAsync("/api/events").GetAwaiter().GetResult();

    [Fact]
    public async Task Upload_becomes_frame_event_and_timelapse_sample()
    {
        var options = new LookbackOptions
        {
            Http = new HttpOptions { Listen = "127.0.0.1", Port = 0, PublicUrl = "http://ha:8099" },
            Storage = new StorageOptions { Path = _storage },
            Timelapse = new TimelapseOptions { Interval = 0.1 },
            Cameras =
            [
                new CameraOptions
                {
                    Slug = "ftpcam", Url = _share, Kind = CameraKind.Folder, EventsFrom = EventsFrom.Files,
                    TimePattern = "*_{yyyyMMdd_HHmmss}.jpg", Motion = new MotionOptions { OffDelay = 0.2 },
                },
            ],
        };
        await using var app = LookbackHost.Build(options, new HostSettings { RenderWorkers = 1 });
        await app.StartAsync();
        using var http = new HttpClient { BaseAddress = app.BaseAddress };

        // The first start takes what is already in the share as history: upload once that baseline is written.
        await WaitUntilAsync(() => File.Exists(Path.Combine(_storage, ".state", "folder-ftpcam.json")), "the folder state");
        var now = DateTime.Now;
        var name = $"cam_{now:yyyyMMdd_HHmmss}.jpg";
        var tmp = Path.Combine(_share, ".upload.tmp");
        await File.WriteAllBytesAsync(tmp, WithSegments(Jpeg(), Comment("PIR alarm")));
        File.Move(tmp, Path.Combine(_share, name));

        JsonElement ev = default;
        await WaitUntilAsync(() =>
        {
            var list = http.GetFromJsonAsync<JsonElement>("/api/events?camera=ftpcam").GetAwaiter().GetResult();
            if (list.GetArrayLength() == 0) return false;
            ev = list[0];
            return ev.GetProperty("end").ValueKind != JsonValueKind.Null;
        }, "a completed file event", TimeSpan.FromSeconds(20)).ContinueWith(t =>
        {
            if (t.IsFaulted) throw new TimeoutException(t.Exception!.InnerException!.Message + ": " + Describe(app, http));
        });
        Assert.Equal("file", ev.GetProperty("type").GetString());
        Assert.Equal("PIR alarm", ev.GetProperty("metadata").GetProperty("comment").GetString());
        Assert.Equal(name, ev.GetProperty("metadata").GetProperty("file").GetString());
        Assert.StartsWith("http://ha:8099/media/ftpcam/", ev.GetProperty("files").GetProperty("snapshot").GetProperty("url").GetString());

        var cam = app.Cameras.All.Single();
        Assert.Equal(1, cam.Ring.Count);

        await WaitUntilAsync(() =>
        {
            var days = http.GetFromJsonAsync<JsonElement>("/api/cameras/ftpcam/timelapse").GetAwaiter().GetResult();
            return days.GetArrayLength() == 1 && days[0].GetProperty("frames").GetInt32() == 1;
        }, "one timelapse sample");
        await app.StopAsync();
    }
}
