namespace Lookback.Buffer;

/// <summary>The wall-clock time of a run's first packet, shared by all packets of the run (thread-safe).</summary>
public sealed class RunAnchor(DateTimeOffset time)
{
    private long _ticks = time.UtcTicks;
    public DateTimeOffset Time
    {
        get => new(Interlocked.Read(ref _ticks), TimeSpan.Zero);
        set => Interlocked.Exchange(ref _ticks, value.UtcTicks);
    }
}
