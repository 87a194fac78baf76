using Lookback.Events;

namespace Lookback.Hosting;

/// <summary>What runs beside one camera: its motion monitor, or (folder cameras with <c>events_from: files</c>) its
/// file-event recorder. Made by <see cref="CameraPipelineFactory"/>.</summary>
internal sealed class CameraPipeline : IAsyncDisposable
{
    private readonly MotionMonitor? _motion;
    private readonly FileEventRecorder? _files;

    public CameraPipeline(MotionMonitor motion) => _motion = motion;
    public CameraPipeline(FileEventRecorder files) => _files = files;

    public void Start() => _motion?.Start();

    /// <summary>Motion events that ended and are still being recorded (their renders, the outbox).</summary>
    public Task MotionEventsPending => _motion?.Recorder.Pending ?? Task.CompletedTask;

    public ValueTask DisposeAsync() => _motion?.DisposeAsync() ?? _files!.DisposeAsync();
}
