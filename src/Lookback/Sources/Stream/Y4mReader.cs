using System.Text;

namespace Lookback.Sources.Streaming;

/// <summary>
/// Reads a YUV4MPEG2 stream (ffmpeg <c>-f yuv4mpegpipe</c>): the header gives width, height and colour space; each
/// frame is <c>FRAME…\n</c> followed by the planes. Only the luma plane is kept (gray frames); chroma, if any, is skipped.
/// </summary>
public sealed class Y4mReader(System.IO.Stream stream)
{
    private readonly byte[] _line = new byte[256];
    private byte[] _skip = [];

    public int Width { get; private set; }
    public int Height { get; private set; }
    /// <summary>Bytes after the luma plane in each frame (0 for mono).</summary>
    public int ChromaBytes { get; private set; }

    /// <summary>Reads and parses the stream header with blocking reads (a reader thread of its own). False at end of stream.</summary>
    public bool ReadHeader()
    {
        var line = ReadLine();
        if (line is null) return false;
        ParseHeader(line);
        return true;
    }

    private void ParseHeader(string line)
    {
        if (!line.StartsWith("YUV4MPEG2", StringComparison.Ordinal)) throw new InvalidDataException("not a YUV4MPEG2 stream");
        var colour = "420jpeg";
        foreach (var p in line.Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1))
        {
            switch (p[0])
            {
                case 'W': Width = int.Parse(p.AsSpan(1)); break;
                case 'H': Height = int.Parse(p.AsSpan(1)); break;
                case 'C': colour = p[1..]; break;
            }
        }
        if (Width <= 0 || Height <= 0 || (long)Width * Height > 16_000_000) throw new InvalidDataException($"bad YUV4MPEG2 size {Width}x{Height}");
        var cw = (Width + 1) / 2;
        var ch = (Height + 1) / 2;
        ChromaBytes = colour.StartsWith("mono", StringComparison.Ordinal) ? 0
            : colour.StartsWith("444", StringComparison.Ordinal) ? 2 * Width * Height
            : colour.StartsWith("422", StringComparison.Ordinal) ? 2 * cw * Height
            : 2 * cw * ch;
    }

    /// <summary>Reads the next frame's luma plane into <paramref name="luma"/> with blocking reads. False at end of stream.</summary>
    public bool ReadFrame(Span<byte> luma)
    {
        var line = ReadLine();
        if (line is null) return false;
        if (!line.StartsWith("FRAME", StringComparison.Ordinal)) throw new InvalidDataException("lost YUV4MPEG2 frame sync");
        if (!Fill(luma[..(Width * Height)])) return false;
        if (ChromaBytes > 0)
        {
            if (_skip.Length < ChromaBytes) _skip = new byte[ChromaBytes];
            if (!Fill(_skip.AsSpan(0, ChromaBytes))) return false;
        }
        return true;
    }

    private bool Fill(Span<byte> dst)
    {
        var got = 0;
        while (got < dst.Length)
        {
            var n = stream.Read(dst[got..]);
            if (n == 0) return false;
            got += n;
        }
        return true;
    }

    /// <summary>One header line, blocking; "FRAME" lines (each frame's) come back as one shared string, no allocation.</summary>
    private string? ReadLine()
    {
        var n = 0;
        while (true)
        {
            var r = stream.ReadByte();
            if (r < 0) return n == 0 ? null : Line(n);
            if (r == '\n') return Line(n);
            if (n == _line.Length) throw new InvalidDataException("YUV4MPEG2 header line too long");
            _line[n++] = (byte)r;
        }
    }

    private string Line(int n) => _line.AsSpan(0, n).SequenceEqual("FRAME"u8) ? "FRAME" : Encoding.ASCII.GetString(_line, 0, n);
}
