using System.Buffers.Binary;

namespace Lookback.Imaging;

/// <summary>
/// Cheap structural JPEG check (marker walk only, no entropy decode): SOI, well-formed segments up to SOS,
/// a SOF0/1/2 frame header with non-zero size, EOI at the end (a few trailing zero/CR/LF bytes allowed).
/// </summary>
public static class JpegValidator
{
    /// <summary>Trailing bytes after EOI that are tolerated (zero padding, CR, LF).</summary>
    public const int MaxTrailingPadding = 16;

    /// <summary>Null when <paramref name="data"/> looks like a complete baseline or progressive JPEG, else a short reason.</summary>
    public static string? Validate(ReadOnlySpan<byte> data)
    {
        if (data.Length == 0) return "not a JPEG (empty)";
        if (data.Length < 4 || data[0] != 0xFF || data[1] != 0xD8)
            return $"not a JPEG (starts with '{Printable(data)}')";
        var hasEoi = EndsWithEoi(data, out _);
        var r = Walk(data, out var w, out var h, stopAtSof: false);
        switch (r)
        {
            case WalkResult.Ok:
                if (w == 0 || h == 0) return "corrupt JPEG (zero width or height)";
                return hasEoi ? null : "truncated JPEG (no EOI marker)";
            case WalkResult.PastEnd:
                return hasEoi ? "corrupt JPEG (segment length past end)" : "truncated JPEG (no EOI marker)";
            case WalkResult.NoFrameHeader:
                return "no frame header";
            case WalkResult.Unsupported:
                return "unsupported JPEG (not baseline or progressive)";
            default:
                return hasEoi ? "corrupt JPEG (bad marker)" : "truncated JPEG (no EOI marker)";
        }
    }

    /// <summary>Width and height from the SOF marker (any SOFn); false when not found.</summary>
    public static bool TryGetSize(ReadOnlySpan<byte> jpeg, out int width, out int height)
    {
        width = height = 0;
        if (jpeg.Length < 4 || jpeg[0] != 0xFF || jpeg[1] != 0xD8) return false;
        var r = Walk(jpeg, out width, out height, stopAtSof: true);
        return (r is WalkResult.Ok or WalkResult.Unsupported) && width > 0 && height > 0;
    }

    /// <summary>True when the data ends with FFD9, possibly followed by up to <see cref="MaxTrailingPadding"/> zero/CR/LF bytes.</summary>
    public static bool EndsWithEoi(ReadOnlySpan<byte> data, out int length)
    {
        var end = data.Length;
        var min = Math.Max(0, data.Length - MaxTrailingPadding);
        while (end > min && data[end - 1] is 0x00 or 0x0D or 0x0A) end--;
        length = end;
        return end >= 4 && data[end - 2] == 0xFF && data[end - 1] == 0xD9;
    }

    private enum WalkResult { Ok, PastEnd, NoFrameHeader, BadMarker, Unsupported }

    private static WalkResult Walk(ReadOnlySpan<byte> d, out int width, out int height, bool stopAtSof)
    {
        width = height = 0;
        var sof = 0; // 0 none, 1 supported, 2 unsupported
        var pos = 2;
        while (true)
        {
            if (pos + 1 >= d.Length) return WalkResult.PastEnd;
            if (d[pos] != 0xFF) return WalkResult.BadMarker;
            var m = d[pos + 1];
            if (m == 0xFF) { pos++; continue; } // fill byte
            if (m is >= 0xD0 and <= 0xD7 || m == 0x01) { pos += 2; continue; }
            if (m is 0xD8 or 0x00) return WalkResult.BadMarker;
            if (m == 0xD9) return sof == 0 ? WalkResult.NoFrameHeader : WalkResult.BadMarker;
            if (pos + 3 >= d.Length) return WalkResult.PastEnd;
            int len = BinaryPrimitives.ReadUInt16BigEndian(d.Slice(pos + 2));
            if (len < 2) return WalkResult.BadMarker;
            if (pos + 2 + len > d.Length) return WalkResult.PastEnd;
            if (m is >= 0xC0 and <= 0xCF && m != 0xC4 && m != 0xC8 && m != 0xCC)
            {
                if (len < 8) return WalkResult.BadMarker;
                height = BinaryPrimitives.ReadUInt16BigEndian(d.Slice(pos + 5));
                width = BinaryPrimitives.ReadUInt16BigEndian(d.Slice(pos + 7));
                sof = m is 0xC0 or 0xC1 or 0xC2 ? 1 : 2;
                if (stopAtSof) return sof == 1 ? WalkResult.Ok : WalkResult.Unsupported;
            }
            else if (m == 0xDA)
            {
                return sof switch { 0 => WalkResult.NoFrameHeader, 1 => WalkResult.Ok, _ => WalkResult.Unsupported };
            }
            pos += 2 + len;
        }
    }

    private static string Printable(ReadOnlySpan<byte> data)
    {
        Span<char> c = stackalloc char[4];
        var n = Math.Min(4, data.Length);
        for (var i = 0; i < n; i++) c[i] = data[i] is >= 0x20 and < 0x7F and not (byte)'\'' ? (char)data[i] : '.';
        return new string(c[..n]);
    }
}
