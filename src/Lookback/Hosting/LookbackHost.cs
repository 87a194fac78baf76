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
                sp.GetRequiredService<ILoggerFactory>(), Program.Version, SnapshotFitter) { Role = sp.GetRequiredService<BusRole>() });
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
            sp.GetRequiredService<EventBus>(), sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILoggerFactory>()));
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
