using System.Net;
using Lookback.Addon;
using Lookback.Config;
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
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = ShutdownPlan.Host);
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
        services.AddStorage(options)
            .AddCameras(options, settings)
            .AddRendering(settings)
            .AddWarnings(settings)
            .AddMqtt(options, SnapshotFitter)
            .AddTimelapse(options)
            .AddUploads(options)
            .AddHttp(settings);
        // Hosted services start in this order and stop in reverse (ShutdownPlan): uploads start first and stop last
        // (after MQTT); warnings see every camera status change; the runtime's cameras, renders and MQTT; the timelapse
        // samples running cameras and stops before them; the retention loop stops first.
        services.AddModuleService<Media.Upload.UploadService>("uploads", u => u.Start(), ShutdownPlan.Uploads);
        services.AddModuleService<Warnings.WarningService>("warnings", w => w.Start(), ShutdownPlan.Warnings);
        services.AddHostedService<LookbackRuntime>();
        services.AddModuleService<Media.Timelapse.TimelapseService>("timelapse", t => t.Start(), ShutdownPlan.Timelapse);
        services.AddHostedService<RetentionLoop>();

        var web = builder.Build();
        web.MapHttp(options, settings);
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
