using Lookback.Config;
using Lookback.Sources;

namespace Lookback.Tests.Sources;

/// <summary>Helpers for tests that run sources against <see cref="TestCameraServer"/>.</summary>
public static class SourceTestKit
{
    public const string Secret = "Sup3rS3cret!";
    public static readonly HttpClient SharedHttp = SourceFactory.CreateHttpClient(TimeSpan.FromSeconds(5));

    /// <summary>Retry quickly so that tests see repeated errors within a second.</summary>
    public static Backoff FastBackoff() => new(TimeSpan.FromMilliseconds(50), TimeSpan.FromMilliseconds(200));

    public static CameraOptions Cam(string url, double interval = 0.2, CameraKind kind = CameraKind.Snapshot,
        AuthKind auth = AuthKind.None, string user = "", string password = "", double timeout = 5, int maxFrameBytes = 8 * 1024 * 1024) =>
        new()
        {
            Slug = "cam", Url = url, Kind = kind, Interval = interval, Auth = auth, Username = user, Password = password,
            Timeout = timeout, MaxFrameBytes = maxFrameBytes,
        };

    public static RunningSource Run(IFrameSource source, RecordingSink sink) => new(source, sink);
}

/// <summary>A source running in its own task; disposing cancels it and checks it ended with cancellation only.</summary>
public sealed class RunningSource : IAsyncDisposable
{
    private readonly CancellationTokenSource _cts = new();

    public RunningSource(IFrameSource source, RecordingSink sink)
    {
        Sink = sink;
        Task = System.Threading.Tasks.Task.Run(() => source.RunAsync(sink, _cts.Token));
    }

    public RecordingSink Sink { get; }
    public Task Task { get; }

    public async ValueTask DisposeAsync()
    {
        Assert.False(Task.IsCompleted, $"source ended on its own: {Task.Exception?.GetBaseException()}");
        _cts.Cancel();
        var ended = await System.Threading.Tasks.Task.WhenAny(Task, System.Threading.Tasks.Task.Delay(TimeSpan.FromSeconds(10)));
        Assert.Same(Task, ended); // stops promptly on cancel
        var ex = await Record.ExceptionAsync(() => Task);
        Assert.IsAssignableFrom<OperationCanceledException>(ex);
        _cts.Dispose();
    }
}
