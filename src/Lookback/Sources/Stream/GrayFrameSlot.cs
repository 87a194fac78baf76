namespace Lookback.Sources.Streaming;

/// <summary>
/// The newest gray frame of a camera, for motion analysis: a double buffer, no queue. The source writes into the back
/// buffer and swaps; the reader copies the front buffer out when it is newer than what it saw last.
/// </summary>
public sealed class GrayFrameSlot
{
    private readonly object _gate = new();
    private byte[] _front = [], _back = [];
    private int _width, _height;
    private DateTimeOffset _at;
    private long _sequence;
    private readonly Lookback.Buffer.NewerSignal _newer = new();

    /// <summary>Sequence number of the newest frame (0: none yet).</summary>
    public long Sequence => Interlocked.Read(ref _sequence);
    /// <summary>When the newest frame arrived.</summary>
    public DateTimeOffset? LastAt { get { lock (_gate) return _sequence == 0 ? null : _at; } }

    public void Write(ReadOnlySpan<byte> gray, int width, int height, DateTimeOffset at)
    {
        var size = width * height;
        if (width <= 0 || height <= 0 || gray.Length < size) throw new ArgumentException("gray frame smaller than width × height");
        if (_back.Length != size) _back = new byte[size];
        gray[..size].CopyTo(_back); // only the writer (the source task) touches the back buffer
        TaskCompletionSource? signal = null;
        lock (_gate)
        {
            (_front, _back) = (_back, _front);
            _width = width;
            _height = height;
            _at = at;
            Interlocked.Increment(ref _sequence);
            signal = _newer.Advance();
        }
        signal?.TrySetResult();
    }

    /// <summary>Completes when a frame newer than <paramref name="seen"/> is written (at once when there is one), or
    /// throws on cancel.</summary>
    public Task WaitForNewerAsync(long seen, CancellationToken ct) => _newer.WaitAsync(_gate, () => _sequence > seen, ct);

    /// <summary>
    /// Copies the newest frame into <paramref name="buffer"/> (reallocated when the size changes) when its sequence is
    /// greater than <paramref name="seen"/>; false when there is nothing new.
    /// </summary>
    public bool TryReadNewer(long seen, ref byte[] buffer, out int width, out int height, out DateTimeOffset at, out long sequence)
    {
        lock (_gate)
        {
            width = _width; height = _height; at = _at; sequence = _sequence;
            if (_sequence == 0 || _sequence <= seen) return false;
            var size = width * height;
            if (buffer.Length != size) buffer = new byte[size];
            _front.AsSpan(0, size).CopyTo(buffer);
            return true;
        }
    }
}

/// <summary>A camera whose source can deliver gray frames straight from its decoder.</summary>
public interface IGrayFrameProvider
{
    GrayFrameSlot GrayFrames { get; }
    /// <summary>True when the camera's source writes gray frames (an ffmpeg stream with motion enabled).</summary>
    bool ProvidesGrayFrames { get; }
}
