using Lookback.Config;
using Lookback.Events;
using Lookback.Sources;
using Microsoft.Extensions.Logging;
using Lookback.Imaging;

namespace Lookback.Cameras;

/// <summary>The configured cameras, created from the options and started and stopped together.</summary>
public sealed class CameraRegistry : ICameraDirectory, IAsyncDisposable
{
    private readonly Dictionary<string, Camera> _bySlug;
    private readonly HttpClient _http;

    private readonly IDisposable _settingsSubscription;

    public CameraRegistry(LookbackOptions options, EventBus bus, ILoggerFactory loggers, TimeProvider time,
        SnapshotSchedule? snapshots = null, CameraRecorderFactory? recorders = null)
    {
        _http = SourceFactory.CreateHttpClient();
        var store = new CameraSettingsStore(options.Storage.Path);
        var cams = new List<Camera>();
        foreach (var o in options.Cameras)
        {
            // stream cameras with record: true write HLS segments from the same ffmpeg
            var recorder = o.Record && Sources.Streaming.StreamArgs.InputKindFor(o) is not null ? recorders?.Invoke(o) : null;
            var source = SourceFactory.Create(o, _http, time, recorder);
            if (source is Sources.Folder.FolderSource folder) // folder cameras: remember ingested files, announce new ones
            {
                folder.StateDirectory = Path.Combine(options.Storage.Path, ".state");
                folder.Bus = bus;
            }
            var cam = new Camera(o, source, bus, CheckFrame, time,
                loggers.CreateLogger($"Lookback.Camera.{o.Slug}"), snapshots?.Every) { Recorder = recorder };
            if (store.Get(o.Slug) is { } saved)
            {
                if (saved.MotionEnabled is { } en) cam.MotionEnabled = en;
                if (saved.MotionThreshold is { } th && MotionOptions.ThresholdRange.Contains(th)) cam.MotionThreshold = th;
            }
            cams.Add(cam);
        }
        All = cams;
        _bySlug = cams.ToDictionary(c => c.Slug);
        var log = loggers.CreateLogger<CameraRegistry>();
        _settingsSubscription = bus.Subscribe<CameraSettingsChanged>(e =>
        {
            if (Find(e.Camera) is not { } c) return;
            if (!store.Save(c.Slug, new CameraSettings(c.MotionEnabled, c.MotionThreshold)))
                log.LogWarning("Could not save the settings of camera {Camera} under {Path}", c.Slug, options.Storage.Path);
        });
    }

    /// <summary>What a frame must pass to enter a ring: a complete marker structure, and a header libjpeg-turbo decodes.</summary>
    public static string? CheckFrame(ReadOnlySpan<byte> jpeg, out int width, out int height)
    {
        (width, height) = (0, 0);
        return JpegValidator.Validate(jpeg)
               ?? (Imaging.Jpeg.TryReadHeader(jpeg, out width, out height) ? null : "corrupt JPEG (header not decodable)");
    }

    public IReadOnlyList<Camera> All { get; }
    IReadOnlyList<ICamera> ICameraDirectory.All => All;
    public ICamera? Find(string slug) => _bySlug.GetValueOrDefault(slug);

    public void StartAll() { foreach (var c in All) c.Start(); }

    public Task StopAllAsync() => Task.WhenAll(All.Select(c => c.StopAsync()));

    private int _disposed;

    public async ValueTask DisposeAsync()
    {
        // Registered as itself and as ICameraDirectory, the container disposes it twice (hence idempotent).
        if (Interlocked.Exchange(ref _disposed, 1) == 1) return;
        _settingsSubscription.Dispose();
        foreach (var c in All) await c.DisposeAsync();
        foreach (var c in All) if (c.Recorder is IAsyncDisposable r) await r.DisposeAsync();
        _http.Dispose();
    }
}
