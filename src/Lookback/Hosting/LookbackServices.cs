using Lookback.Addon;
using Lookback.Cameras;
using Lookback.Config;
using Lookback.Http;
using Lookback.Media.Recording;
using Lookback.Media.Rendering;
using Lookback.Media.Storage;
using Lookback.Media.Timelapse;
using Lookback.Warnings;
using Lookback.Media.Upload;
using Lookback.Mqtt;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Lookback.Hosting;

/// <summary>
/// The composition, one extension per module: each registers its module's services (singletons). Constructors that
/// take paths, options parts or delegates are registered through a factory here, so no other code builds them.
/// </summary>
internal static class LookbackServices
{
    /// <summary>The media root and the SQLite database under <c>storage.path/.state/events.db</c>.</summary>
    public static IServiceCollection AddStorage(this IServiceCollection services, LookbackOptions options)
    {
        var db = Path.Combine(options.Storage.Path, ".state", "events.db");
        services.AddSingleton(sp => new MediaStore(options.Storage, options.Http));
        services.AddSingleton(sp => new EventStore(db));
        services.AddSingleton(sp => new MomentStore(db));
        services.AddSingleton(sp => new AvailabilityLog(db));
        return services;
    }

    /// <summary>The cameras, their recorders (stream cameras with <c>record: true</c>) and per-camera pipelines.</summary>
    public static IServiceCollection AddCameras(this IServiceCollection services, LookbackOptions options, HostSettings settings)
    {
        services.AddSingleton<CameraRegistry>();
        services.AddSingleton(new SnapshotSchedule(settings.SnapshotEvery));
        // stream cameras with record: true write HLS segments from the same ffmpeg
        services.AddSingleton<CameraRecorderFactory>(sp => o => new SegmentRecorder(o, options.Storage.Path,
            sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILoggerFactory>().CreateLogger($"Lookback.Media.Recording.{o.Slug}")));
        services.AddSingleton<ICameraDirectory>(sp => sp.GetRequiredService<CameraRegistry>());
        services.AddSingleton<BusRole>(); // standby cameras and the MQTT side's state, for the HTTP API
        services.AddSingleton<CameraPipelineFactory>();
        return services;
    }

    /// <summary>Per-camera warnings (no frames, too many events, offline), re-evaluated every few seconds.</summary>
    public static IServiceCollection AddWarnings(this IServiceCollection services, HostSettings settings)
    {
        services.AddSingleton(sp => new WarningService(sp.GetRequiredService<ICameraDirectory>(), sp.GetRequiredService<EventBus>(),
            sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<WarningService>>()) { Every = settings.WarningsEvery ?? TimeSpan.FromSeconds(5) });
        return services;
    }

    /// <summary>The render queue (<see cref="IRenderService"/>): workers default to the processor count, capacity to twice that.</summary>
    public static IServiceCollection AddRendering(this IServiceCollection services, HostSettings settings)
    {
        services.AddSingleton(sp =>
        {
            var workers = settings.RenderWorkers ?? Environment.ProcessorCount;
            return RenderQueue.Create(sp.GetRequiredService<ICameraDirectory>(), sp.GetRequiredService<MediaStore>(),
                sp.GetRequiredService<EventBus>(),
                new RenderQueueOptions { Workers = workers, Capacity = settings.RenderQueueCapacity ?? 2 * workers },
                sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<RenderQueue>>());
        });
        services.AddSingleton<IRenderService>(sp => sp.GetRequiredService<RenderQueue>());
        return services;
    }

    /// <summary>The MQTT bridge and the view of the other nodes on the broker; nothing without an <c>mqtt:</c> section.</summary>
    public static IServiceCollection AddMqtt(this IServiceCollection services, LookbackOptions options,
        Func<ReadOnlyMemory<byte>, byte[]> snapshotFitter)
    {
        if (options.Mqtt is null) return services;
        services.AddSingleton(sp => new MqttBridge(options, sp.GetRequiredService<ICameraDirectory>(),
            sp.GetRequiredService<IRenderService>(), sp.GetRequiredService<EventBus>(),
            sp.GetRequiredService<ILoggerFactory>(), Program.Version, snapshotFitter)
        { Role = sp.GetRequiredService<BusRole>(), StopTimeouts = ShutdownPlan.Mqtt, Warnings = sp.GetRequiredService<WarningService>(),
            UploadsPending = options.Upload.Count == 0 ? null : () => sp.GetRequiredService<UploadService>().Queue.Pending });
        // the other nodes on the broker (web UI and /api/nodes) and renders asked of them over MQTT
        services.AddSingleton(sp => new Mqtt.Nodes.BusView(sp.GetRequiredService<MqttBridge>().Connection,
            sp.GetRequiredService<MqttBridge>().Topics, sp.GetRequiredService<MqttBridge>().Nodes, sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton(sp => new Mqtt.Nodes.BusCommands(sp.GetRequiredService<MqttBridge>().Connection,
            sp.GetRequiredService<MqttBridge>().Topics, sp.GetRequiredService<ILoggerFactory>().CreateLogger("Lookback.Bus")));
        return services;
    }

    /// <summary>The daily timelapse (sampler, midnight encodes, on-demand encodes).</summary>
    public static IServiceCollection AddTimelapse(this IServiceCollection services, LookbackOptions options)
    {
        services.AddSingleton(sp => new TimelapseService(sp.GetRequiredService<ICameraDirectory>(),
            new TimelapseEncoder(new TimelapseStore(options.Storage.Path), options.Timelapse),
            options.Timelapse, sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<TimelapseService>>())
        {
            // a finished day's MP4 goes offsite
            Finished = r => sp.GetRequiredService<UploadService>().OfferTimelapse(r.Camera, r.RelativePath),
        });
        return services;
    }

    /// <summary>Offsite copies (<c>upload:</c> targets) through the durable queue under <c>storage/.state/uploads</c>.</summary>
    public static IServiceCollection AddUploads(this IServiceCollection services, LookbackOptions options)
    {
        services.AddSingleton(sp => new UploadService(options, sp.GetRequiredService<MediaStore>().Root,
            sp.GetRequiredService<EventBus>(), sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILoggerFactory>(),
            new UploadServiceOptions { LocalUrl = sp.GetRequiredService<MediaStore>().Url }));
        return services;
    }

    /// <summary>The HTTP side's services: camera discovery for the web UI.</summary>
    public static IServiceCollection AddHttp(this IServiceCollection services, HostSettings settings)
    {
        services.AddSingleton(_ => new DiscoverService(settings.Discover));
        return services;
    }

    /// <summary>The add-on's ingress guard, the API token and render rate limit, and every endpoint.</summary>
    public static WebApplication MapHttp(this WebApplication web, LookbackOptions options, HostSettings settings)
    {
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
        return web;
    }
}
