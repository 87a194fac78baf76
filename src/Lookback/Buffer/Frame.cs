namespace Lookback.Buffer;

/// <summary>
/// One encoded JPEG frame held by a <see cref="FrameRing"/>. A reader keeps a frame valid by holding the
/// <see cref="FrameWindow"/> it came in and disposing it when done.
/// </summary>
public sealed class Frame
{
    private readonly byte[] _data;

    internal Frame(byte[] data, long sequence, DateTimeOffset time, int width, int height)
    {
        _data = data; Sequence = sequence; Time = time; Width = width; Height = height;
    }

    public long Sequence { get; }
    public DateTimeOffset Time { get; }
    /// <summary>Pixel size when the source knows it (0 when unknown).</summary>
    public int Width { get; }
    public int Height { get; }
    public ReadOnlyMemory<byte> Jpeg => _data;
    public int Length => _data.Length;
}
