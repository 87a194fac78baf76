using System.Net;
using System.Text.Json;
using Lookback.Cameras;
using Lookback.Config;
using Lookback.Hosting;
using Lookback.Http;
using Lookback.Media.Storage;
using Lookback.Tests.Rendering;
using Lookback.Media.Timelapse;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Lookback.Tests.Timelapse;

public sealed class TimelapseApiAndCliTests : IDisposable
{
    private readonly TempDir _dir = new();
    public void Dispose() => _dir.Dispose();

    private static readonly DateTimeOffset Noon = new(2026, 3, 10, 12, 0, 0, TimeSpan.Zero);
    private static readonly DateOnly D = new(2026, 3, 10);

    private TimelapseStore Store() => new(_dir.Path, TimeZoneInfo.Local);

    private void Samples(string cam, DateOnly day, int n)
    {
        var path = Store().SamplesPath(cam, day);
        for (var i = 0; i < n; i++) TimelapseSamples.Append(path, Noon.AddSeconds(48 * i), TestJpegs.All[i % TestJpegs.All.Count]);
    }

    [Fact]
    public async Task Lists_days_and_serves_the_mp4_encoding_it_on_demand()
    {
        Samples("cam", D, 30);
        Samples("cam", D.AddDays(-1), 10);
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
        var cams = new TestCameras(new TestCamera("cam"), new TestCamera("empty"));
        var options = new TimelapseOptions();
        builder.Services.AddSingleton<ICameraDirectory>(cams);
        builder.Services.AddSingleton(new MediaStore(new StorageOptions { Path = _dir.Path }, new HttpOptions { PublicUrl = "http://ha:8099" }));
        builder.Services.AddSingleton(new TimelapseService(cams, new TimelapseEncoder(Store(), options), options));
        await using var app = builder.Build();
        app.MapTimelapseEndpoints();
        await app.StartAsync();
        var baseUrl = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        using var http = new HttpClient { BaseAddress = new Uri(baseUrl) };

        using (var list = JsonDocument.Parse(await http.GetStringAsync("/api/cameras/cam/timelapse")))
        {
            var days = list.RootElement.EnumerateArray().ToList();
            Assert.Equal(["2026-03-10", "2026-03-09"], days.Select(d => d.GetProperty("date").GetString()));
            Assert.Equal(30, days[0].GetProperty("frames").GetInt32());
            Assert.Equal(1.0, days[0].GetProperty("seconds").GetDouble());
            Assert.False(days[0].GetProperty("mp4").GetBoolean());
            Assert.False(days[0].TryGetProperty("url", out _));
            Assert.Equal("api/cameras/cam/timelapse/2026-03-10.mp4", days[0].GetProperty("api").GetString());
        }

        var mp4 = await http.GetAsync("/api/cameras/cam/timelapse/2026-03-10.mp4");
        Assert.Equal(HttpStatusCode.OK, mp4.StatusCode);
        Assert.Equal("video/mp4", mp4.Content.Headers.ContentType!.MediaType);
        var bytes = await mp4.Content.ReadAsByteArrayAsync();
        Assert.Equal("ftyp", System.Text.Encoding.ASCII.GetString(bytes, 4, 4));
        var probe = await Probe.RunAsync(Store().Mp4Path("cam", D));
        Assert.Equal(30, probe.Frames);

        using (var list = JsonDocument.Parse(await http.GetStringAsync("/api/cameras/cam/timelapse")))
        {
            var today = list.RootElement[0];
            Assert.True(today.GetProperty("mp4").GetBoolean());
            Assert.Equal("http://ha:8099/media/cam/2026-03-10/timelapse.mp4", today.GetProperty("url").GetString());
            Assert.Equal(bytes.Length, today.GetProperty("bytes").GetInt64());
        }

        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync("/api/cameras/cam/timelapse/2026-03-01.mp4")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync("/api/cameras/nope/timelapse")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync("/api/cameras/nope/timelapse/2026-03-10.mp4")).StatusCode);
        Assert.Equal("[]", await http.GetStringAsync("/api/cameras/empty/timelapse"));
        var bad = await http.GetAsync("/api/cameras/cam/timelapse/10-03-2026.mp4");
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Contains("date: must be yyyy-MM-dd", await bad.Content.ReadAsStringAsync());
        await app.StopAsync();
    }

    private string Config()
    {
        var path = Path.Combine(_dir.Path, "lookback.yaml");
        File.WriteAllText(path, $"""
            storage:
              path: {_dir.Path}
            timelapse:
              fps: 10
              width: 320
            cameras:
              cam:
                name: Front door
                url: http://127.0.0.1:1/snap.jpg
            """);
        return path;
    }

    private static async Task<(int Code, string Out, string Err)> Cli(params string[] args)
    {
        var o = new StringWriter(); var e = new StringWriter();
        var code = await Program.RunAsync(args, o, e, CancellationToken.None);
        return (code, o.ToString(), e.ToString());
    }

    [Fact]
    public async Task Cli_encodes_with_a_progress_bar_and_prints_the_path()
    {
        Samples("cam", D, 20);
        var config = Config();
        var (code, stdout, stderr) = await Cli("timelapse", "--camera", "cam", "--date", "2026-03-10", "--config", config);
        Assert.True(code == 0, stderr);
        var path = Store().Mp4Path("cam", D);
        Assert.Equal(path + Environment.NewLine, stdout);
        Assert.Contains("\r[##############################] 100%  20/20 frames", stderr);
        Assert.Contains("20 frames, 2 s, 320x180", stderr);
        var probe = await Probe.RunAsync(path);
        Assert.Equal((20, 320), (probe.Frames, probe.Width));
        Assert.InRange(probe.Duration, 1.9, 2.1);

        // by display name, too
        Assert.Equal(0, (await Cli("timelapse", "--camera", "Front door", "--date", "2026-03-10", "--config", config)).Code);
    }

    [Theory]
    [InlineData("--camera", "nope", "--date", "2026-03-10", "unknown camera 'nope'")]
    [InlineData("--camera", "cam", "--date", "2026-03-11", "no timelapse frames for 2026-03-11")]
    [InlineData("--camera", "cam", "--date", "10.03.2026", "--date must be yyyy-MM-dd")]
    [InlineData("--camera", "cam", "--dat", "2026-03-10", "unknown or repeated argument '--dat'")]
    [InlineData("--date", "2026-03-10", "", "", "--camera C is required")]
    public async Task Cli_exit_2_for_bad_arguments_unknown_cameras_and_days_without_frames(string a1, string a2, string a3, string a4, string error)
    {
        Samples("cam", D, 3);
        var args = new List<string> { "timelapse", a1, a2 };
        if (a3.Length > 0) args.AddRange([a3, a4]);
        args.AddRange(["--config", Config()]);
        var (code, stdout, stderr) = await Cli([.. args]);
        Assert.Equal(2, code);
        Assert.Equal("", stdout);
        Assert.Contains(error, stderr);
    }

    [Fact]
    public async Task Cli_exit_1_when_the_mp4_cannot_be_written_and_2_for_an_invalid_config_or_unreadable_samples()
    {
        Samples("cam", D, 3);
        var config = Config();
        Directory.CreateDirectory(Store().Mp4Path("cam", D)); // a folder where the MP4 should go
        var (code, stdout, stderr) = await Cli("timelapse", "--camera", "cam", "--date", "2026-03-10", "--config", config);
        Assert.Equal(1, code);
        Assert.Equal("", stdout);
        Assert.Contains("lookback timelapse:", stderr);
        Assert.Empty(Directory.GetFiles(Path.GetDirectoryName(Store().Mp4Path("cam", D))!, "*.tmp-*"));

        var broken = Path.Combine(_dir.Path, "broken.yaml");
        File.WriteAllText(broken, "cameras:\n  cam:\n    url: http://c/x\n    intervall: 2\n");
        (code, _, stderr) = await Cli("timelapse", "--camera", "cam", "--date", "2026-03-10", "--config", broken);
        Assert.Equal(2, code);
        Assert.Contains("intervall", stderr);

        TimelapseSamples.Append(Store().SamplesPath("cam", D.AddDays(1)), Noon.AddDays(1), FolderTestKit_NotAJpeg());
        (code, _, stderr) = await Cli("timelapse", "--camera", "cam", "--date", "2026-03-11", "--config", config);
        Assert.Equal(2, code); // nothing encodable
        Assert.Contains("unreadable", stderr);
    }

    private static byte[] FolderTestKit_NotAJpeg() => "definitely not a jpeg"u8.ToArray();
}
