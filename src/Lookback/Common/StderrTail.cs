using System.Text;

namespace Lookback.Common;

/// <summary>Keeps the last N bytes a child wrote to stderr (the part that says why it failed).</summary>
public sealed class StderrTail(int capacity = StderrTail.DefaultBytes)
{
    public const int DefaultBytes = 4096;
    private readonly byte[] _buf = new byte[capacity];
    private long _written;

    public void Append(ReadOnlySpan<byte> data)
    {
        lock (_buf)
        {
            if (data.Length >= _buf.Length) data = data[^_buf.Length..];
            foreach (var b in data) _buf[(int)(_written++ % _buf.Length)] = b;
        }
    }

    /// <summary>Reads <paramref name="stream"/> to its end into the tail; an I/O error (the child went away) ends it quietly.</summary>
    public async Task PumpAsync(Stream stream, CancellationToken ct = default)
    {
        var buf = new byte[4096];
        int n;
        try
        {
            while ((n = await stream.ReadAsync(buf, ct).ConfigureAwait(false)) > 0) Append(buf.AsSpan(0, n));
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException) { }
    }

    /// <summary>The last <paramref name="count"/> non-empty lines, joined by " | ".</summary>
    public string LastLines(int count) => JoinLastLines(ToString(), count);

    public static string JoinLastLines(string s, int count)
    {
        var lines = s.Split(['\n', '\r'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return string.Join(" | ", lines.TakeLast(count));
    }

    public override string ToString()
    {
        lock (_buf)
        {
            if (_written <= _buf.Length) return Encoding.UTF8.GetString(_buf, 0, (int)_written);
            var start = (int)(_written % _buf.Length);
            var ordered = new byte[_buf.Length];
            Array.Copy(_buf, start, ordered, 0, _buf.Length - start);
            Array.Copy(_buf, 0, ordered, _buf.Length - start, start);
            return Encoding.UTF8.GetString(ordered);
        }
    }
}
