using Lookback.Config;
using Lookback.Sources;
using static Lookback.Tests.Sources.SourceTestKit;

namespace Lookback.Tests.Sources;

public class SourceFactoryTests
{
    [Theory]
    [InlineData(CameraKind.Snapshot, typeof(SnapshotSource))]
    [InlineData(CameraKind.Mjpeg, typeof(MjpegSource))]
    [InlineData(CameraKind.Auto, typeof(AutoSource))]
    public void Picks_the_source_by_kind(CameraKind kind, Type expected) =>
        Assert.IsType(expected, SourceFactory.Create(Cam("http://127.0.0.1:1/x", kind: kind), SharedHttp));

    [Theory]
    [InlineData("/snapshot.jpg", CameraKind.Snapshot)]
    [InlineData("/mjpeg?fps=10", CameraKind.Mjpeg)]
    [InlineData("/digest/mjpeg?fps=10", CameraKind.Mjpeg)]
    public async Task Auto_decides_from_the_first_response(string path, CameraKind detected)
    {
        await using var server = await TestCameraServer.StartAsync();
        var sink = new RecordingSink();
        var source = (AutoSource)SourceFactory.Create(Cam(server.Url(path), 0.1, CameraKind.Auto, user: "admin", password: Secret), SharedHttp);
        await using (Run(source, sink))
            await sink.WaitForFramesAsync(3);
        Assert.Equal(detected, source.Detected);
        Assert.Empty(sink.Errors);
    }

    [Fact]
    public async Task Auto_reports_what_it_cannot_use_and_retries()
    {
        await using var server = await TestCameraServer.StartAsync();
        var sink = new RecordingSink();
        var url = server.FaultUrl(CameraFault.Html);
        await using (Run(SourceFactory.Create(Cam(url, 0.1, CameraKind.Auto), SharedHttp, null, FastBackoff()), sink))
            await sink.WaitUntilAsync(s => s.ErrorCount >= 2, TimeSpan.FromSeconds(20));
        Assert.Equal($"not a JPEG or MJPEG stream (content-type text/html) from {url}", sink.Errors[0]);
    }

    [Fact]
    public void Shared_client_has_no_client_wide_timeout() =>
        Assert.Equal(Timeout.InfiniteTimeSpan, SourceFactory.CreateHttpClient().Timeout);
}
