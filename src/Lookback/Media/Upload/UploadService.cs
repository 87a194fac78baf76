using Lookback.Config;
using Lookback.Events;
using Microsoft.Extensions.Logging;

namespace Lookback.Media.Upload;

/// <summary>The upload queue, its worker and its feeder, for the configured <c>upload:</c> targets.</summary>
public sealed class UploadService : IAsyncDisposable
{
    private readonly UploadFeeder _feeder;
    private readonly UploadWorker _worker;

    public UploadService(LookbackOptions options, string mediaRoot, EventBus bus, TimeProvider time, ILoggerFactory loggers,
        UploadQueueLimits? limits = null)
    {
        var log = loggers.CreateLogger("Lookback.Media.Upload");
        Queue = new UploadQueue(Path.Combine(mediaRoot, ".state", "uploads"), limits, log);
        _worker = new UploadWorker(Queue, options.Upload.Select(UploadTargets.Create), mediaRoot, time, log);
        _feeder = new UploadFeeder(options.Upload, Queue, mediaRoot, bus, time, _worker.Wake);
    }

    public UploadQueue Queue { get; }
    public UploadFeeder Feeder => _feeder;
    public int TargetsFailing => _worker.TargetsFailing;

    public void Start() => _worker.Start();

    public async ValueTask DisposeAsync()
    {
        _feeder.Dispose();
        await _worker.DisposeAsync(); // idempotent: the runtime disposes it at stop, the container again

    }
}
