using System.Net;
using Lookback.Addon;
using Lookback.Cameras;
using Lookback.Config;
using Lookback.Events;
using Lookback.Motion;
using Lookback.Http;
using Lookback.Mqtt;
using Lookback.Media.Rendering;
using Lookback.Media.Recording;
using Lookback.Media.Storage;
using Lookback.Media.Timelapse;
using Lookback.Media.Upload;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Serilog;
using Serilog.Events;

namespace Lookback.Hosting;

/// <summary>How the host is run (tests and the demo set these; `lookback run` uses the defaults).</summary>
public sealed record HostSettings
{
    /// <summary>Extra log sink (tests capture logs to check that no secret is written).</summary>
    public TextWriter? LogWriter { get; init; }
    /// <summary>Seconds between MQTT snapshot publications per camera.</summary>
    public TimeSpan SnapshotEvery { get; init; } = TimeSpan.FromSeconds(10);
    public int? RenderWorkers { get; init; }
    public int? RenderQueueCapacity { get; init; }
    /// <summary>Running as a Home Assistant add-on: an ingress listener (guarded) and a separate API listener.</summary>
    public bool Addon { get; init; }
    /// <summary>The add-on's listeners (default 8099 ingress, 8098 API; tests take free ports).</summary>
    public (int Ingress, int Api) AddonPorts { get; init; } = (AddonMode.IngressPort, AddonMode.ApiPort);
    /// <summary>HTTP render requests per client address (default <see cref="RenderRateLimit.Default"/>).</summary>
    public RenderRateLimit? RenderRateLimit { get; init; }
    /// <summary>Defaults of <c>POST /api/discover</c> (tests point the sysfs/dev roots at a fake tree).</summary>
    public Lookback.Discover.DiscoverOptions Discover { get; init; } = new();
}

/// <summary>A built, startable Lookback: cameras, renders, MQTT and HTTP wired together.</summary>
public sealed class LookbackApp : IAsyncDisposable
{
    private readonly WebApplication _web;
    internal LookbackApp(WebApplication web, LookbackOptions options) { _web = web; Options = options; }

    public LookbackOptions Options { get; }
    public IServiceProvider Services => _web.Services;
    public CameraRegistry Cameras => _web.Services.GetRequiredService<CameraRegistry>();
    public EventBus Bus => _web.Services.GetRequiredService<EventBus>();

    /// <summary>The address the HTTP listener is bound to (with the real port when 0 was asked).</summary>
    public Uri BaseAddress
    {
        get
        {
            var a = _web.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
            return new Uri(a.Replace("0.0.0.0", "127.0.0.1").Replace("[::]", "127.0.0.1"));
        }
    }

    public Task StartAsync(CancellationToken ct = default) => _web.StartAsync(ct);
    public Task StopAsync(CancellationToken ct = default) => _web.StopAsync(ct);
    public Task WaitForShutdownAsync(CancellationToken ct = default) => _web.WaitForShutdownAsync(ct);
    public async ValueTask DisposeAsync() => await _web.DisposeAsync();
}

public static class LookbackHost
{
    /// <summary>Runs until <paramref name="ct"/> or a stop signal: 0 after a clean stop, 1 when it cannot start (the reason
    /// on <paramref name="stderr"/>, default the console's, without a stack trace).</summary>
    public static async Task<int> RunAsync(LookbackOptions options, HostSettings settings, CancellationToken ct, TextWriter? stderr = null)
    {
        stderr ??= Console.Error;
        await using var app = Build(options, settings);
        try
        {
            await app.StartAsync(ct);
        }
        catch (IOException ex) when (IsBindFailure(ex))
        {
            stderr.WriteLine($"lookback: cannot listen on http {options.Http.Listen}:{options.Http.Port}: {ex.Message}");
            return 1;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or Microsoft.Data.Sqlite.SqliteException)
        {
            // storage.path went bad after the check (or its state files are damaged): say so, without a stack trace
            stderr.WriteLine($"lookback: cannot start with storage.path '{Path.GetFullPath(options.Storage.Path)}': {ex.Message}");
            return 1;
        }
        await app.WaitForShutdownAsync(ct);
        return 0;
    }

    /// <summary>Kestrel could not bind the listener (address in use, not an address of this machine).</summary>
    private static bool IsBindFailure(IOException ex) =>
        ex.InnerException is System.Net.Sockets.SocketException or Microsoft.AspNetCore.Connections.AddressInUseException
        || ex.Message.StartsWith("Failed to bind", StringComparison.Ordinal);

    public static LookbackApp Build(LookbackOptions options, HostSettings settings)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [] });
        var serilog = CreateLogger(options.LogLevel, settings.LogWriter);
        builder.Logging.ClearProviders();
        builder.Logging.AddSerilog(serilog, dispose: true);
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(5));
        builder.WebHost.ConfigureKestrel(k =>
        {
            if (settings.Addon) { k.ListenForAddon(settings.AddonPorts.Ingress, settings.AddonPorts.Api); return; }
            if (options.Http.Listen is "0.0.0.0" or "*" or "") k.ListenAnyIP(options.Http.Port);
            else k.Listen(IPAddress.Parse(options.Http.Listen), options.Http.Port);
        });

        var services = builder.Services;
        services.AddSingleton(options);
        services.AddSingleton(settings);
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton<EventBus>();
        services.AddSingleton(sp => new MediaStore(options.Storage, options.Http));
        services.AddSingleton(sp => new EventStore(Path.Combine(options.Storage.Path, ".state", "events.db")));
        services.AddSingleton(sp => new MomentStore(Path.Combine(options.Storage.Path, ".state", "events.db")));
        services.AddSingleton(sp => new AvailabilityLog(Path.Combine(options.Storage.Path, ".state", "events.db")));
        services.AddSingleton<CameraRegistry>();
        services.AddSingleton(new SnapshotSchedule(settings.SnapshotEvery));
        // stream cameras with record: true write HLS segments from the same ffmpeg
        services.AddSingleton<CameraRecorderFactory>(sp => o => new SegmentRecorder(o, options.Storage.Path,
            sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILoggerFactory>().CreateLogger($"Lookback.Media.Recording.{o.Slug}")));
        services.AddSingleton<ICameraDirectory>(sp => sp.GetRequiredService<CameraRegistry>());
        services.AddSingleton<BusRole>(); // standby cameras and the MQTT side's state, for the HTTP API
        services.AddSingleton(sp =>
        {
            var workers = settings.RenderWorkers ?? Environment.ProcessorCount;
            return RenderQueue.Create(sp.GetRequiredService<ICameraDirectory>(), sp.GetRequiredService<MediaStore>(),
                sp.GetRequiredService<EventBus>(),
                new RenderQueueOptions { Workers = workers, Capacity = settings.RenderQueueCapacity ?? 2 * workers },
                sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<RenderQueue>>());
        });
        services.AddSingleton<IRenderService>(sp => sp.GetRequiredService<RenderQueue>());
        if (options.Mqtt is not null)
        {
            services.AddSingleton(sp => new MqttBridge(options, sp.GetRequiredService<ICameraDirectory>(),
                sp.GetRequiredService<IRenderService>(), sp.GetRequiredService<EventBus>(),
                sp.GetRequiredService<ILoggerFactory>(), Program.Version, SnapshotFitter)
            {
                Role = sp.GetRequiredService<BusRole>(),
                UploadsPending = options.Upload.Count == 0 ? null : () => sp.GetRequiredService<Media.Upload.UploadService>().Queue.Pending,
            });
            // the other nodes on the broker (web UI and /api/nodes) and renders asked of them over MQTT
            services.AddSingleton(sp => new Mqtt.Nodes.BusView(sp.GetRequiredService<MqttBridge>().Connection,
                sp.GetRequiredService<MqttBridge>().Topics, sp.GetRequiredService<MqttBridge>().Nodes, sp.GetRequiredService<TimeProvider>()));
            services.AddSingleton(sp => new Mqtt.Nodes.BusCommands(sp.GetRequiredService<MqttBridge>().Connection,
                sp.GetRequiredService<MqttBridge>().Topics, sp.GetRequiredService<ILoggerFactory>().CreateLogger("Lookback.Bus")));
        }
        // the daily timelapse (sampler, midnight encodes, on-demand encodes)
        services.AddSingleton(sp => new TimelapseService(sp.GetRequiredService<ICameraDirectory>(),
            new TimelapseEncoder(new TimelapseStore(options.Storage.Path), options.Timelapse),
            options.Timelapse, sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<TimelapseService>>()));
        // offsite copies (upload: targets) through the durable queue under storage/.state/uploads
        services.AddSingleton(sp => new UploadService(options, sp.GetRequiredService<MediaStore>().Root,
            sp.GetRequiredService<EventBus>(), sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILoggerFactory>(),
            new UploadServiceOptions { LocalUrl = sp.GetRequiredService<MediaStore>().Url }));
        services.AddSingleton(_ => new Http.DiscoverService(settings.Discover)); // camera discovery for the web UI
        services.AddHostedService<LookbackRuntime>();

        var web = builder.Build();
        if (settings.Addon) web.UseIngressGuard(settings.AddonPorts.Ingress);
        // the API token and the render rate limit; the add-on's ingress listener is exempt (Home Assistant signed the user in)
        web.UseApiGuard(options.Http.ApiToken,
            new RenderRateLimiter(settings.RenderRateLimit ?? RenderRateLimit.Default, web.Services.GetRequiredService<TimeProvider>()),
            ctx => settings.Addon && ctx.Connection.LocalPort == settings.AddonPorts.Ingress);
        web.MapHealthEndpoints();
        web.MapCameraEndpoints();
        web.MapBusEndpoints();
        web.MapRenderEndpoints();
        web.MapMediaEndpoints();
        web.MapHlsEndpoints(); // recordings of stream cameras
        web.MapEventEndpoints();
        web.MapMomentEndpoints();
        web.MapTimelineEndpoints();
        web.MapTimelapseEndpoints();
        web.MapMetricsEndpoint();
        web.MapFrameEndpoints();
        web.MapStatusEndpoints();
        web.MapDiscoverEndpoints();
        web.MapWebUi();
        return new LookbackApp(web, options);
    }

    private static byte[] SnapshotFitter(ReadOnlyMemory<byte> jpeg) => Imaging.Jpeg.FitForMqtt(jpeg.Span, 640, 256 * 1024);

    private static Serilog.ILogger CreateLogger(string level, TextWriter? extra)
    {
        var min = level switch
        {
            "trace" => LogEventLevel.Verbose, "debug" => LogEventLevel.Debug, "warning" => LogEventLevel.Warning,
            "error" => LogEventLevel.Error, _ => LogEventLevel.Information,
        };
        const string template = "{Timestamp:HH:mm:ss.fff} {Level:u3} {Message:lj}{NewLine}{Exception}";
        var cfg = new LoggerConfiguration().MinimumLevel.Is(min)
            .MinimumLevel.Override("Microsoft", LogEventLevel.Warning)
            .MinimumLevel.Override("Microsoft.Hosting.Lifetime", LogEventLevel.Information)
            // RunAsync (or Main) says in one line why the start failed; the host's own report is a stack trace
            .Filter.ByExcluding(e => e.MessageTemplate.Text == "Hosting failed to start")
            .WriteTo.Console(outputTemplate: template, standardErrorFromLevel: LogEventLevel.Verbose);
        if (extra is not null) cfg = cfg.WriteTo.Sink(new TextWriterSink(extra, template));
        return cfg.CreateLogger();
    }
}

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
        var uploads = sp.GetRequiredService<UploadService>();
        var timelapse = sp.GetRequiredService<TimelapseService>();
        timelapse.Finished = r => uploads.OfferTimelapse(r.Camera, r.RelativePath); // a finished day's MP4 goes offsite
        timelapse.Start();
        _cts = new CancellationTokenSource();
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

/// <summary>Writes log events to a TextWriter (tests capture the log this way).</summary>
internal sealed class TextWriterSink(TextWriter writer, string template) : Serilog.Core.ILogEventSink
{
    private readonly Serilog.Formatting.Display.MessageTemplateTextFormatter _format = new(template);

    public void Emit(LogEvent logEvent)
    {
        lock (writer) { _format.Format(logEvent, writer); writer.Flush(); }
    }
}
