using Lookback.Sources;

namespace Lookback.Tests.Sources;

/// <summary>An <see cref="IFrameSink"/> that keeps copies of what it gets and lets tests wait on conditions.</summary>
public sealed class RecordingSink : IFrameSink
{
    private readonly object _gate = new();
    private readonly List<(byte[] Jpeg, DateTimeOffset At)> _frames = [];
    private readonly List<string> _errors = [];
    private readonly SemaphoreSlim _changed = new(0);

    public int FrameCount { get { lock (_gate) return _frames.Count; } }
    public int ErrorCount { get { lock (_gate) return _errors.Count; } }
    public IReadOnlyList<(byte[] Jpeg, DateTimeOffset At)> Frames { get { lock (_gate) return _frames.ToArray(); } }
    public IReadOnlyList<string> Errors { get { lock (_gate) return _errors.ToArray(); } }

    public void OnFrame(ReadOnlySpan<byte> jpeg, DateTimeOffset capturedAt)
    {
        var copy = jpeg.ToArray();
        lock (_gate) _frames.Add((copy, capturedAt));
        _changed.Release();
    }

    public void OnError(string error)
    {
        lock (_gate) _errors.Add(error);
        _changed.Release();
    }

    /// <summary>Waits until <paramref name="condition"/> holds (checked after every frame or error); fails the test on timeout.</summary>
    public async Task WaitUntilAsync(Func<RecordingSink, bool> condition, TimeSpan timeout, string? what = null)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!condition(this))
        {
            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero || !await _changed.WaitAsync(left))
            {
                if (condition(this)) return;
                throw new TimeoutException($"timed out after {timeout.TotalSeconds} s waiting for {what ?? "condition"}; frames={FrameCount}, errors=[{string.Join(" | ", Errors.TakeLast(5))}]");
            }
        }
    }

    public Task WaitForFramesAsync(int count, TimeSpan? timeout = null) =>
        WaitUntilAsync(s => s.FrameCount >= count, timeout ?? TimeSpan.FromSeconds(20), $"{count} frames");

    public Task WaitForErrorAsync(Func<string, bool> match, TimeSpan? timeout = null, string? what = null) =>
        WaitUntilAsync(s => s.Errors.Any(match), timeout ?? TimeSpan.FromSeconds(20), what ?? "a matching error");
}
