using System.Diagnostics;
using Lookback.Config;
using Lookback.Sources;
using static Lookback.Tests.Sources.SourceTestKit;

namespace Lookback.Tests.Sources;

/// <summary>A faulty camera reports its fault; a healthy camera running at the same time keeps its rate.</summary>
public class FaultIsolationTests
{
    public static TheoryData<CameraFault, string> SnapshotFaults() => new()
    {
        { CameraFault.Status500, "HTTP 500 Internal Server Error from {url}" },
        { CameraFault.Hang, "timeout after 1 s from {url}" },
        { CameraFault.Html, "not a JPEG (content-type text/html) from {url}" },
        { CameraFault.Truncated, "truncated JPEG (no EOI marker) from {url}" },
        { CameraFault.Corrupt, "corrupt JPEG (segment length past end) from {url}" },
        // Kestrel's abort may reach the client as a reset before or after the half body is read
        { CameraFault.CloseMidFrame, "connection closed mid-response from {url} OR connection reset by camera from {url}" },
        { CameraFault.ConnectionRefused, "connection refused from {url}" },
    };

    [Theory]
    [MemberData(nameof(SnapshotFaults))]
    public async Task Snapshot_fault_is_reported_and_the_healthy_camera_keeps_its_rate(CameraFault fault, string expected)
    {
        await using var server = await TestCameraServer.StartAsync();
        var url = server.FaultUrl(fault);
        var healthy = new RecordingSink();
        var faulty = new RecordingSink();
        await using var h = Run(new SnapshotSource(Cam(server.SnapshotUrl, interval: 0.1), SharedHttp), healthy);
        await using var f = Run(new SnapshotSource(Cam(url, interval: 0.1, timeout: 1), SharedHttp, backoff: FastBackoff()), faulty);
        await AssertHealthyRateAsync(healthy, perSecond: 10);
        await faulty.WaitUntilAsync(s => s.ErrorCount >= 2, TimeSpan.FromSeconds(20), "the fault twice (retried)");
        var accepted = expected.Split(" OR ").Select(e => e.Replace("{url}", url)).ToArray();
        Assert.Contains(faulty.Errors[0], accepted);
        Assert.Equal(0, faulty.FrameCount);
        Assert.Empty(healthy.Errors);
    }

    public static TheoryData<string, string> StreamFaults() => new()
    {
        { "/fault/500", "HTTP 500 Internal Server Error from {url}" },
        { "/fault/hang", "timeout after 1 s from {url}" },
        { "/fault/html", "not an MJPEG stream (content-type text/html) from {url}" },
        { "/mjpeg/stall?frames=1", "stream stalled (no data for 1 s) from {url}" },
        { "/mjpeg/close-mid-frame?fps=20&frames=1", "connection closed mid-frame from {url}" },
    };

    [Theory]
    [MemberData(nameof(StreamFaults))]
    public async Task Stream_fault_is_reported_and_the_healthy_stream_keeps_its_rate(string path, string expected)
    {
        await using var server = await TestCameraServer.StartAsync();
        var url = server.Url(path);
        var healthy = new RecordingSink();
        var faulty = new RecordingSink();
        await using var h = Run(new MjpegSource(Cam(server.MjpegUrl(fps: 10), interval: 0.1, kind: CameraKind.Mjpeg), SharedHttp), healthy);
        await using var f = Run(new MjpegSource(Cam(url, interval: 0.1, kind: CameraKind.Mjpeg, timeout: 1), SharedHttp, backoff: FastBackoff()), faulty);
        await AssertHealthyRateAsync(healthy, perSecond: 10);
        await faulty.WaitUntilAsync(s => s.ErrorCount >= 2, TimeSpan.FromSeconds(20), "the fault twice (retried)");
        Assert.Equal(expected.Replace("{url}", url), faulty.Errors[0]);
        Assert.Empty(healthy.Errors);
    }

    /// <summary>Over a window of 15 frames the healthy camera stays near its nominal rate.</summary>
    private static async Task AssertHealthyRateAsync(RecordingSink healthy, double perSecond)
    {
        await healthy.WaitForFramesAsync(2);
        var start = healthy.FrameCount;
        var sw = Stopwatch.StartNew();
        await healthy.WaitForFramesAsync(start + 15);
        var rate = 15 / sw.Elapsed.TotalSeconds;
        Assert.True(rate > perSecond * 0.4, $"healthy camera at {rate:0.0}/s, nominal {perSecond}/s");
        Assert.True(rate < perSecond * 1.6, $"healthy camera at {rate:0.0}/s, nominal {perSecond}/s");
    }
}
