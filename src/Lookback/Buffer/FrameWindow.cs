namespace Lookback.Buffer;

/// <summary>A set of retained frames, oldest first. Dispose releases them (idempotent).</summary>
public sealed class FrameWindow : IReadOnlyList<Frame>, IDisposable
{
    private readonly Frame[] _frames;
    private int _disposed;

    /// <summary>A window over <paramref name="frames"/>; takes its own reference on each, released by Dispose.</summary>
    public FrameWindow(Frame[] frames)
    {
        var taken = 0;
        try
        {
            for (; taken < frames.Length; taken++) frames[taken].AddRef();
        }
        catch
        {
            for (var i = 0; i < taken; i++) frames[i].Release();
            throw;
        }
        _frames = frames;
    }

    /// <summary>For the ring: the references were already taken under its lock.</summary>
    internal FrameWindow(Frame[] frames, bool referenced) => _frames = frames;

    public Frame this[int index] => _frames[index];
    public int Count => _frames.Length;
    public IEnumerator<Frame> GetEnumerator() => ((IEnumerable<Frame>)_frames).GetEnumerator();
    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>Total JPEG bytes in the window.</summary>
    public long Bytes { get { long b = 0; foreach (var f in _frames) b += f.Length; return b; } }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        foreach (var f in _frames) f.Release();
    }
}
