using Lookback.Cameras;
using Lookback.Config;
using Lookback.Media.Rendering;
using Lookback.Media.Storage;
using Lookback.Media.Timelapse;
using Lookback.Media.Upload;
using Lookback.Mqtt;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Lookback.Hosting;

/// <summary>Starts cameras, their pipelines (motion analysis, folder events) and MQTT when the host starts; stops them,
/// the render queue and the recorders in the order and within the waits of <see cref="ShutdownPlan"/>. Uploads, warnings
/// and the timelapse are hosted services of their own around it (<see cref="ModuleService{T}"/>).</summary>
internal sealed class LookbackRuntime(IServiceProvider sp, ILogger<LookbackRuntime> log) : IHostedService
{
    private readonly List<CameraPipeline> _pipelines = [];
    private IDisposable? _moments, _availability;

    public async Task StartAsync(CancellationToken ct)
    {
        var opts = sp.GetRequiredService<LookbackOptions>();
        var cameras = sp.GetRequiredService<CameraRegistry>();
        var time = sp.GetRequiredService<TimeProvider>();
        var media = sp.GetRequiredService<MediaStore>();
        var bus = sp.GetRequiredService<EventBus>();
        // event frames a killed run was still collecting: nothing will complete them
        if (EventFrames.CleanStaging(media.Root) is > 0 and var stale) log.LogInformation("Removed {Count} unfinished event frame file(s)", stale);
        // every render a user, automation or trigger asked for becomes a stored moment
        _moments = new MomentRecorder(sp.GetRequiredService<MomentStore>(), media, time).Subscribe(bus);
        // online/offline changes, for the timeline's offline periods
        var availability = sp.GetRequiredService<AvailabilityLog>();
        _availability = bus.Subscribe<CameraStatusChanged>(e =>
            availability.Record(new AvailabilityChange(e.Camera, time.GetUtcNow(), e.Status == CameraStatus.Online, e.LastError)));
        cameras.StartAll();
        var pipelines = sp.GetRequiredService<CameraPipelineFactory>();
        foreach (var cam in cameras.All)
        {
            var pipeline = pipelines.Create(cam);
            _pipelines.Add(pipeline);
            pipeline.Start();
        }
        if (sp.GetService<MqttBridge>() is { } mqtt)
        {
            await sp.GetRequiredService<Mqtt.Nodes.BusView>().StartAsync(ct);
            await sp.GetRequiredService<Mqtt.Nodes.BusCommands>().StartAsync(ct);
            await mqtt.StartAsync(ct);
        }
        log.LogInformation("Lookback {Version} ({Node}): {Count} camera(s), storage {Storage}",
            Program.Version, opts.NodeId, cameras.All.Count, Path.GetFullPath(opts.Storage.Path));
    }

    /// <summary>The steps of <see cref="ShutdownPlan"/>, in its order, within its budget and the host's stop token.</summary>
    public async Task StopAsync(CancellationToken ct)
    {
        var budget = new StopBudget(ShutdownPlan.Runtime, ct);
        var cameras = sp.GetRequiredService<CameraRegistry>();
        var first = Task.WhenAll(_pipelines.Select(p => p.DisposeAsync().AsTask()).Append(cameras.StopAllAsync()));
        if (!await budget.WaitAsync(first, ShutdownPlan.Cameras))
            log.LogWarning("Stopping: cameras still ending after {Seconds:0.#} s; going on", budget.Elapsed.TotalSeconds);
        await sp.GetRequiredService<RenderQueue>().StopAsync(budget.For(ShutdownPlan.Renders), ct);
        _availability?.Dispose();
        _moments?.Dispose(); // after the queue: renders finished while stopping are still recorded
        // Events that ended meanwhile now have their renders (done or abandoned): let them reach the outbox.
        if (!await budget.WaitAsync(Task.WhenAll(_pipelines.Select(p => p.MotionEventsPending)), ShutdownPlan.MotionEvents))
            log.LogWarning("Stopping before every motion event was recorded");
        sp.GetRequiredService<CameraPipelineFactory>().Dispose(); // the motion_url feeds' HTTP client
        if (sp.GetService<MqttBridge>() is { } mqtt) await mqtt.StopAsync(budget);
        log.LogInformation("Stopped in {Ms:0} ms", budget.Elapsed.TotalMilliseconds);
    }
}
