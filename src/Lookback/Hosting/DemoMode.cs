using Lookback.Config;
using Lookback.Mqtt;

namespace Lookback.Hosting;

/// <summary>`lookback demo`: two drawn cameras (one polled as snapshots, one as MJPEG) and, without a configured broker, an embedded one.</summary>
public static class DemoMode
{
    public const int EmbeddedBrokerPort = 1883;

    public static async Task<int> RunAsync(LookbackOptions? baseOptions, int? port, TextWriter stdout, CancellationToken ct)
    {
        await using var cams = new DemoCameraServer([
            ("garden", "Garden", 768, 576),
            ("driveway", "Driveway", 640, 360),
        ]);
        var camBase = await cams.StartAsync(ct);
        var options = DemoOptions(baseOptions, camBase, port);

        EmbeddedBroker? broker = null;
        if (baseOptions?.Mqtt is null)
        {
            broker = new EmbeddedBroker(EmbeddedBrokerPort);
            try
            {
                await broker.StartAsync();
                stdout.WriteLine($"Embedded MQTT broker on 127.0.0.1:{EmbeddedBrokerPort}");
            }
            catch (Exception ex)
            {
                stdout.WriteLine($"Embedded MQTT broker not started ({ex.Message}); running without MQTT");
                await broker.DisposeAsync();
                broker = null;
                options = options with { Mqtt = null };
            }
        }
        try
        {
            await using var app = LookbackHost.Build(options, new HostSettings());
            await app.StartAsync(ct);
            stdout.WriteLine($"Lookback demo: open http://127.0.0.1:{app.BaseAddress.Port}/ (Ctrl-C to stop)");
            await app.WaitForShutdownAsync(ct);
            return 0;
        }
        finally
        {
            if (broker is not null) await broker.DisposeAsync();
        }
    }

    public static LookbackOptions DemoOptions(LookbackOptions? b, Uri camBase, int? port)
    {
        var o = b ?? new LookbackOptions();
        var cameras = new List<CameraOptions>
        {
            new() { Slug = "garden", Name = "Garden", Url = new Uri(camBase, "cam/garden/snapshot.jpg").ToString(),
                    Kind = CameraKind.Snapshot, Interval = 0.5, Store = 120, BufferSeconds = 60 },
            new() { Slug = "driveway", Name = "Driveway", Url = new Uri(camBase, "cam/driveway/mjpeg?fps=10").ToString(),
                    Kind = CameraKind.Mjpeg, Interval = 0.2, Store = 300, BufferSeconds = 60 },
        };
        return o with
        {
            Cameras = [.. o.Cameras, .. cameras],
            Http = o.Http with { Listen = "127.0.0.1", Port = port ?? o.Http.Port },
            Mqtt = o.Mqtt ?? new MqttOptions { Host = "127.0.0.1", Port = EmbeddedBrokerPort },
        };
    }
}
