using Lookback.Config;
using Lookback.Events;
using Microsoft.Extensions.Logging;

namespace Lookback.Media.Upload;

/// <summary>A file was copied to a target: <see cref="RemoteUrl"/> is its remote URL (presigned when configured),
/// null when the target gives none.</summary>
public sealed record FileUploaded(string Camera, string RelativePath, string Target, string Key, string? Media, string? RemoteUrl);

/// <summary>Test and tuning knobs of the upload service (not configuration keys).</summary>
public sealed record UploadServiceOptions
{
    public UploadQueueLimits? Limits { get; init; }
    /// <summary>First and largest wait after a failed attempt (default 1 s and 5 min).</summary>
    public TimeSpan? InitialBackoff { get; init; }
    public TimeSpan? MaxBackoff { get; init; }
    /// <summary>The public URL of a file under the media root (a webhook's JSON descriptor carries it).</summary>
    public Func<string, string?>? LocalUrl { get; init; }
}

/// <summary>The upload queue, its worker and its feeder, for the configured <c>upload:</c> targets; the index of what
/// was uploaded where (for <c>remote_url</c>).</summary>
public sealed class UploadService : IAsyncDisposable
{
    private readonly UploadFeeder _feeder;
    private readonly UploadWorker _worker;
    private readonly Dictionary<string, IUploadTarget> _targets;

    public UploadService(LookbackOptions options, string mediaRoot, EventBus bus, TimeProvider time, ILoggerFactory loggers,
        UploadQueueLimits? limits = null) : this(options, mediaRoot, bus, time, loggers, new UploadServiceOptions { Limits = limits }) { }

    public UploadService(LookbackOptions options, string mediaRoot, EventBus bus, TimeProvider time, ILoggerFactory loggers,
        UploadServiceOptions tuning)
    {
        var log = loggers.CreateLogger("Lookback.Media.Upload");
        var state = Path.Combine(mediaRoot, ".state");
        Queue = new UploadQueue(Path.Combine(state, "uploads"), tuning.Limits, log);
        Index = new UploadedIndex(Path.Combine(state, "uploaded.jsonl"), rel => File.Exists(Path.Combine(mediaRoot, rel)), log);
        var targets = options.Upload.Select(UploadTargets.Create).ToList();
        _targets = targets.ToDictionary(t => t.Name);
        _worker = new UploadWorker(Queue, targets, mediaRoot, time, log, tuning.InitialBackoff, tuning.MaxBackoff, tuning.LocalUrl)
        {
            Uploaded = (job, receipt, target) =>
            {
                Index.Record(new UploadedEntry(job.RelativePath, job.Target, receipt.Key, receipt.Url));
                bus.Publish(new FileUploaded(job.Camera, job.RelativePath, job.Target, receipt.Key, job.Media, target.RemoteUrl(receipt)));
            },
        };
        _feeder = new UploadFeeder(options.Upload, Queue, mediaRoot, bus, time, _worker.Wake, log);
        _recordings = new RecordingFeed(options.Cameras, _feeder, mediaRoot, time, log);
    }

    private readonly RecordingFeed _recordings;

    public UploadQueue Queue { get; }
    public UploadedIndex Index { get; }
    public UploadFeeder Feeder => _feeder;
    public int TargetsFailing => _worker.TargetsFailing;
    public UploadProgress? Progress => _worker.Progress;
    public int Targets => _targets.Count;

    /// <summary>The remote URL of an uploaded file (relative to the media root): from the first target that has one,
    /// presigned now when that target is configured so; null when not uploaded (yet) or the target gives none.</summary>
    public string? RemoteUrl(string? relativePath)
    {
        if (string.IsNullOrEmpty(relativePath)) return null;
        foreach (var e in Index.Of(relativePath))
            if (_targets.TryGetValue(e.Target, out var t) && t.RemoteUrl(new UploadReceipt(e.Key, e.Url)) is { } url) return url;
        return null;
    }

    public void Start()
    {
        _worker.Start();
        _recordings.Start();
    }

    /// <summary>A day's timelapse is final (the day is over): queue it for the targets that take timelapses.</summary>
    public int OfferTimelapse(string camera, string relativePath) => _feeder.Offer(camera, UploadMedia.Timelapses, [relativePath]);

    public async ValueTask DisposeAsync()
    {
        _feeder.Dispose();
        await _recordings.DisposeAsync();
        await _worker.DisposeAsync(); // idempotent: the runtime disposes it at stop, the container again
    }
}
