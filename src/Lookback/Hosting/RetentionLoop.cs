using Lookback.Config;
using Lookback.Media.Storage;
using Lookback.Media.Upload;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Lookback.Hosting;

/// <summary>Retention: a sweep at start and every <see cref="Every"/> (files still waiting for upload are kept).</summary>
internal sealed class RetentionLoop(LookbackOptions options, MediaStore media, EventStore events, MomentStore moments,
    AvailabilityLog availability, UploadService uploads, TimeProvider time, ILoggerFactory loggers) : BackgroundService
{
    /// <summary>How often retention runs (also once at start).</summary>
    public static readonly TimeSpan Every = TimeSpan.FromMinutes(10);

    private readonly ILogger _log = loggers.CreateLogger<LookbackRuntime>(); // the category its warnings always had

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await Task.Yield(); // the first sweep runs off the host's start path (it may take a while)
        var retention = new Retention(options.Storage, media.Root, events, time, loggers.CreateLogger<Retention>(),
            () => uploads.Queue.PendingFiles(), moments, availability);
        using var timer = new PeriodicTimer(Every, time);
        try
        {
            do
            {
                try { retention.Sweep(); }
                catch (Exception ex) { _log.LogWarning("Retention failed: {Error}", ex.Message); }
            } while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested) { }
    }
}
