using System.Globalization;
using System.Net;
using System.Text.Json;
using Lookback.Cameras;
using Lookback.Config;
using Lookback.Hosting;
using Lookback.Media.Recording;
using Microsoft.Extensions.DependencyInjection;
using static Lookback.Tests.Streams.StreamTestKit;
using Lookback.Media.Rendering;

namespace Lookback.Tests.Streams;

[Collection("streams")]
public class RecordingTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(40);

    private static async Task<(LookbackApp App, HttpClient Http, string Root)> StartHostAsync(string rtspUrl, double? bufferSeconds = null)
    {
        var root = Path.Combine(Path.GetTempPath(), "lookback-rec-" + Guid.NewGuid().ToString("N")[..8]);
        var options = new LookbackOptions
        {
            Http = new HttpOptions { Listen = "127.0.0.1", Port = 0 },
            Storage = new StorageOptions { Path = root },
            Cameras = [RtspCam(rtspUrl, interval: 0.5, record: true, slug: "gate") with { Gif = new GifOptions { Width = 160, Fps = 2 }, BufferSeconds = bufferSeconds }],
        };
        var app = LookbackHost.Build(options, new HostSettings { RenderWorkers = 1 });
        await app.StartAsync();
        var http = new HttpClient { BaseAddress = app.BaseAddress, Timeout = TimeSpan.FromSeconds(60) };
        return (app, http, root);
    }

    private static async Task<string> WaitForLivePlaylistAsync(HttpClient http, int segments)
    {
        string text = "";
        await WaitUntilAsync(() =>
        {
            var r = http.GetAsync("/api/cameras/gate/hls/index.m3u8").GetAwaiter().GetResult();
            if (r.StatusCode != HttpStatusCode.OK) return false;
            Assert.Equal("application/vnd.apple.mpegurl", r.Content.Headers.ContentType?.MediaType);
            text = r.Content.ReadAsStringAsync().GetAwaiter().GetResult();
            return text.Split('\n').Count(l => l.StartsWith("#EXTINF")) >= segments;
        }, Wait, $"{segments} segments in the live playlist");
        return text;
    }

    [Fact]
    public async Task Records_hls_with_a_live_playlist_day_playlists_and_moments_cut_from_segments()
    {
        await using var server = await RtspTestServer.StartAsync();
        // RAM keeps 1 s (the packet ring spans 1-2 s): an older moment comes from the segments
        var (app, http, root) = await StartHostAsync(server.Url, bufferSeconds: 1);
        try
        {
            string live;
            try { live = await WaitForLivePlaylistAsync(http, 3); }
            catch (TimeoutException ex)
            {
                var cam0 = app.Cameras.Find("gate")!;
                var files = Directory.Exists(root) ? string.Join(", ", Directory.EnumerateFileSystemEntries(root, "*", SearchOption.AllDirectories)) : "(no root)";
                throw new TimeoutException($"{ex.Message}; camera {cam0.Status}: {cam0.LastError}; files: {files}");
            }
            // segment URIs are relative: day/file.ts, served with the MPEG-TS type
            var uri = live.Split('\n').First(l => l.EndsWith(".ts"));
            Assert.Matches(@"^\d{4}-\d{2}-\d{2}/\d{6}-\d+\.ts$", uri);
            var seg = await http.GetAsync("/api/cameras/gate/hls/" + uri);
            Assert.Equal(HttpStatusCode.OK, seg.StatusCode);
            Assert.Equal("video/mp2t", seg.Content.Headers.ContentType?.MediaType);

            // ffprobe reads the live playlist over HTTP from the running host
            var baseUrl = app.BaseAddress.ToString().TrimEnd('/');
            var stream = await FfprobeAsync("-v", "error", "-select_streams", "v:0", "-show_entries", "stream=codec_name,width,height",
                "-of", "csv=p=0", baseUrl + "/api/cameras/gate/hls/index.m3u8");
            Assert.Equal("h264,320,240", stream.Split('\n')[0].Trim());

            // the days list and the day playlist (VOD, a date per segment)
            var days = JsonDocument.Parse(await http.GetStringAsync("/api/cameras/gate/hls")).RootElement.GetProperty("days");
            var day = days[0].GetProperty("day").GetString()!;
            Assert.Equal(uri[..10], day);
            var dayText = "";
            await WaitUntilAsync(() => (dayText = http.GetStringAsync($"/api/cameras/gate/hls/{day}.m3u8").GetAwaiter().GetResult())
                .Split('\n').Count(l => l.EndsWith(".ts")) >= 3, Wait, "3 segments in the day playlist"); // the index follows the live playlist
            var entries = dayText.Split('\n').Where(l => l.EndsWith(".ts")).ToList();
            Assert.True(entries.Count >= 3, dayText);
            Assert.Equal(entries.Count, dayText.Split('\n').Count(l => l.StartsWith("#EXT-X-PROGRAM-DATE-TIME:")));
            Assert.Contains("#EXT-X-PLAYLIST-TYPE:VOD", dayText);
            Assert.EndsWith("#EXT-X-ENDLIST\n", dayText);
            var listed = dayText.Split('\n').Where(l => l.StartsWith("#EXTINF:")).Sum(l => double.Parse(l[8..].TrimEnd(','), CultureInfo.InvariantCulture));
            var probed = double.Parse(await FfprobeAsync("-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0",
                $"{baseUrl}/api/cameras/gate/hls/{day}.m3u8"), CultureInfo.InvariantCulture);
            Assert.InRange(probed, listed - 0.5, listed + 0.5);

            // the segment start times agree with the wall clock (ffmpeg's date corrected for its probing delay)
            var cam = (Camera)app.Cameras.Find("gate")!;
            var newest = ((SegmentRecorder)cam.Recorder!).RecentSegments[^1];
            Assert.InRange((DateTimeOffset.UtcNow - newest.End).TotalSeconds, -0.5, 2 * cam.Options.SegmentSeconds + 1);

            // a recent moment comes from the packet ring
            var recent = await app.Services.GetRequiredService<Lookback.Media.Rendering.IRenderService>().SubmitAsync(new Lookback.Media.Rendering.RenderRequest
            { Camera = "gate", Kind = RenderKind.Moment, Before = 0.5, After = 0 }, CancellationToken.None);
            Assert.True(recent.Ok, recent.Error);
            Assert.Equal(Lookback.Media.Rendering.RenderResult.SourcePackets, recent.Source);

            // an older moment, across a segment boundary (segments are 2 s), from the segments: requested duration ± 0.5 s
            var moment = await http.GetAsync("/api/cameras/gate/moment.mp4?before=4&after=1.5");
            Assert.Equal(HttpStatusCode.OK, moment.StatusCode);
            var file = Path.Combine(Path.GetTempPath(), "moment-" + Guid.NewGuid().ToString("N") + ".mp4");
            await File.WriteAllBytesAsync(file, await moment.Content.ReadAsByteArrayAsync());
            try
            {
                var duration = double.Parse(await FfprobeAsync("-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", file), CultureInfo.InvariantCulture);
                // the asked 5.5 s, starting at the keyframe at or before the asked start: up to one GOP (1 s here) more
                Assert.InRange(duration, 5.5 - 0.5, 5.5 + 1.0 + 0.2);
                var size = await FfprobeAsync("-v", "error", "-select_streams", "v:0", "-show_entries", "stream=width,height", "-of", "csv=p=0", file);
                Assert.Equal("320,240", size.Trim());
            }
            finally { File.Delete(file); }

            // a removed segment (retention) drops out of the day playlist, with a discontinuity in its place
            var victim = entries[1];
            File.Delete(Path.Combine(root, "gate", victim[..10], "rec", victim[11..]));
            var after = await http.GetStringAsync($"/api/cameras/gate/hls/{day}.m3u8");
            Assert.DoesNotContain(victim, after);
            Assert.Contains("#EXT-X-DISCONTINUITY", after);
            Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync("/api/cameras/gate/hls/" + victim)).StatusCode);
        }
        finally
        {
            await app.StopAsync();
            await app.DisposeAsync();
            http.Dispose();
            try { Directory.Delete(root, true); } catch (IOException) { }
        }
    }

    [Theory]
    [InlineData(2)] // B-frames: the first keyframe of a run comes without a pts ("first pts and dts value must be set")
    [InlineData(0)]
    public async Task Records_streams_with_and_without_b_frames(int bframes)
    {
        await using var server = await RtspTestServer.StartAsync(bframes: bframes);
        var root = Path.Combine(Path.GetTempPath(), "lookback-recb-" + Guid.NewGuid().ToString("N")[..8]);
        var options = RtspCam(server.Url, interval: 1, record: true, slug: "bf") with { SegmentSeconds = 1 };
        var recorder = new SegmentRecorder(options, root);
        var source = new Lookback.Sources.Streaming.StreamSource(options, StreamInputKind.Rtsp, recorder, backoff: FastBackoff());
        var sink = new StreamSink();
        try
        {
            await using (new RunningStream(source, sink))
            {
                await WaitUntilAsync(() => recorder.RecentSegments.Count >= 2 || sink.Errors.Any(), Wait,
                    "2 recorded segments");
                Assert.Empty(sink.Errors);
                Assert.Equal(1, source.Runs);
            }
            var first = recorder.RecentSegments[0].FullPath;
            var types = await FfprobeAsync("-v", "error", "-select_streams", "v:0", "-show_entries", "frame=pict_type", "-of", "csv=p=0", first);
            var pictTypes = types.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            Assert.StartsWith("I", pictTypes[0]);
            Assert.Equal(bframes > 0, pictTypes.Any(t => t.StartsWith('B')));
            var next = await FfprobeAsync("-v", "error", "-count_frames", "-select_streams", "v:0", "-show_entries", "stream=nb_read_frames",
                "-of", "csv=p=0", recorder.RecentSegments[1].FullPath);
            var count = int.Parse(next.Split('\n')[0].Trim(), CultureInfo.InvariantCulture); // MPEG-TS: listed per program too
            Assert.True(count >= 10, $"{count} frames in the second segment");
        }
        finally
        {
            await recorder.DisposeAsync();
            try { Directory.Delete(root, true); } catch (IOException) { }
        }
    }

    [Fact]
    public void Moment_cut_copies_from_a_nearby_keyframe_and_re_encodes_otherwise()
    {
        var t0 = DateTimeOffset.Parse("2026-11-22T10:00:00Z", CultureInfo.InvariantCulture);
        Segment S(double at, double d) => new("2026-11-22", "x.ts", t0.AddSeconds(at), d, "/x.ts");
        var segs = new[] { S(0, 2), S(2, 2), S(4, 2) };
        var keys = new[] { t0, t0.AddSeconds(1), t0.AddSeconds(2) };

        var copy = StreamMoment.Plan(segs, keys, t0.AddSeconds(1.3), t0.AddSeconds(5));
        Assert.True(copy.Copy);
        Assert.Equal(t0.AddSeconds(1), copy.Start);
        Assert.Equal(t0.AddSeconds(5), copy.End);

        var exact = StreamMoment.Plan(segs, [t0, t0.AddSeconds(2)], t0.AddSeconds(0.9), t0.AddSeconds(5));
        Assert.False(exact.Copy); // nearest keyframe 0.9 s away: re-encode from the exact start
        Assert.Equal(t0.AddSeconds(0.9), exact.Start);

        var clipped = StreamMoment.Plan(segs, keys, t0.AddSeconds(-5), t0.AddSeconds(9));
        Assert.Equal((t0, t0.AddSeconds(6)), (clipped.Start, clipped.End));

        var gap = StreamMoment.Contiguous([S(0, 2), S(2, 2), S(10, 2)]);
        Assert.Equal(2, gap.Count);
    }
}
