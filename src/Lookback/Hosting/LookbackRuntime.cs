using Lookback.Cameras;
using Lookback.Config;
using Lookback.Events;
using Lookback.Mqtt;
using Lookback.Media.Rendering;
using Lookback.Media.Storage;
using Lookback.Media.Timelapse;
using Lookback.Media.Upload;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Lookback.Hosting;

/// <summary>Starts cameras, motion analysis, retention and MQTT when the host starts; stops them within the shutdown timeout.</summary>
internal sealed class LookbackRuntime(IServiceProvider sp, ILogger<LookbackRuntime> log) : IHostedService
{
    /// <summary>How often retention runs (also once at start).</summary>
    public static readonly TimeSpan RetentionEvery = TimeSpan.FromMinutes(10);

    private readonly List<MotionMonitor> _monitors = [];
    private HttpClient? _motionHttp; // motion_url feeds
    private readonly List<FileEventRecorder> _fileEvents = [];
    private CancellationTokenSource? _cts;
    private Task? _retention;
    private IDisposable? _moments, _availability;

    public async Task StartAsync(CancellationToken ct)
    {
        var opts = sp.GetRequiredService<LookbackOptions>();
        var cameras = sp.GetRequiredService<CameraRegistry>();
        var time = sp.GetRequiredService<TimeProvider>();
        var loggers = sp.GetRequiredService<ILoggerFactory>();
        var media = sp.GetRequiredService<MediaStore>();
        var events = sp.GetRequiredService<EventStore>();
        var moments = sp.GetRequiredService<MomentStore>();
        // event frames a killed run was still collecting: nothing will complete them
        if (EventFrames.CleanStaging(media.Root) is > 0 and var stale) log.LogInformation("Removed {Count} unfinished event frame file(s)", stale);
        // every render a user, automation or trigger asked for becomes a stored moment
        _moments = new MomentRecorder(moments, media, time).Subscribe(sp.GetRequiredService<EventBus>());
        // online/offline changes, for the timeline's offline periods
        var availability = sp.GetRequiredService<AvailabilityLog>();
        _availability = sp.GetRequiredService<EventBus>().Subscribe<CameraStatusChanged>(e =>
            availability.Record(new AvailabilityChange(e.Camera, time.GetUtcNow(), e.Status == CameraStatus.Online, e.LastError)));
        cameras.StartAll();
        foreach (var cam in cameras.All)
        {
            if (cam.Options.EventsFrom == EventsFrom.Files)
            {
                // a folder camera's new files are its events; no motion analysis of its uploads.
                _fileEvents.Add(new FileEventRecorder(cam.Slug, cam.Options, events, media,
                    sp.GetRequiredService<IRenderService>(), sp.GetRequiredService<EventBus>(), time,
                    loggers.CreateLogger($"Lookback.Files.{cam.Slug}")));
                continue;
            }
            var camLog = loggers.CreateLogger($"Lookback.Motion.{cam.Slug}");
            var recorder = new MotionEventRecorder(cam.Slug, events, media,
                sp.GetRequiredService<IRenderService>(), sp.GetRequiredService<EventBus>(), time, camLog,
                cam.Ring, new EventFrameLimits(cam.Options.Motion.FramesFps));
            // motion_url: a small stream or snapshot for motion only (its own HTTP client, shared by such cameras)
            var feed = cam.Options.MotionUrl is null ? null
                : new MotionFeed(cam.Options, _motionHttp ??= Sources.SourceFactory.CreateHttpClient(), time, camLog);
            var monitor = new MotionMonitor(cam, recorder, time, camLog, feed);
            _monitors.Add(monitor);
            monitor.Start();
        }
        sp.GetRequiredService<TimelapseService>().Start();
        _cts = new CancellationTokenSource();
        var uploads = sp.GetRequiredService<UploadService>();
        uploads.Start();
        var retention = new Retention(opts.Storage, media.Root, events, time, loggers.CreateLogger<Retention>(),
            () => uploads.Queue.PendingFiles(), moments, availability);
        _retention = Task.Run(() => RetentionLoopAsync(retention, time, _cts.Token));
        if (sp.GetService<MqttBridge>() is { } mqtt)
        {
            await sp.GetRequiredService<Mqtt.Nodes.BusView>().StartAsync(ct);
            await sp.GetRequiredService<Mqtt.Nodes.BusCommands>().StartAsync(ct);
            await mqtt.StartAsync(ct);
        }
        log.LogInformation("Lookback {Version} ({Node}): {Count} camera(s), storage {Storage}",
            Program.Version, opts.NodeId, cameras.All.Count, Path.GetFullPath(opts.Storage.Path));
    }

    private async Task RetentionLoopAsync(Retention retention, TimeProvider time, CancellationToken ct)
    {
        using var timer = new PeriodicTimer(RetentionEvery, time);
        do
        {
            try { retention.Sweep(); }
            catch (Exception ex) { log.LogWarning("Retention failed: {Error}", ex.Message); }
        } while (await timer.WaitForNextTickAsync(ct).ConfigureAwait(false));
    }

    public async Task StopAsync(CancellationToken ct)
    {
        _cts?.Cancel();
        var cameras = sp.GetRequiredService<CameraRegistry>();
        await Task.WhenAll(_monitors.Select(m => m.DisposeAsync().AsTask()).Append(cameras.StopAllAsync())
            .Concat(_fileEvents.Select(f => f.DisposeAsync().AsTask()))
            .Append(sp.GetRequiredService<TimelapseService>().DisposeAsync().AsTask()));
        await sp.GetRequiredService<RenderQueue>().StopAsync(TimeSpan.FromSeconds(3));
        _availability?.Dispose();
        _moments?.Dispose(); // after the queue: renders finished while stopping are still recorded
        // Events that ended meanwhile now have their renders (done or abandoned): let them reach the outbox.
        try { await Task.WhenAll(_monitors.Select(m => m.Recorder.Pending)).WaitAsync(TimeSpan.FromSeconds(1)); }
        catch (TimeoutException) { log.LogWarning("Stopping before every motion event was recorded"); }
        _motionHttp?.Dispose();
        if (sp.GetService<MqttBridge>() is { } mqtt) await mqtt.StopAsync();
        if (_retention is not null) { try { await _retention; } catch (OperationCanceledException) { } }
        await sp.GetRequiredService<UploadService>().DisposeAsync(); // pending jobs stay on disk for the next start
    }
}
