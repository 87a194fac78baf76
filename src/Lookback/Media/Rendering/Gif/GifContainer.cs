using System.Text;

namespace Lookback.Media.Rendering.Gif;

/// <summary>GIF89a blocks: header with the global colour table, the looping extension, per-frame headers, trailer.</summary>
public static class GifContainer
{
    /// <summary>"GIF89a", logical screen, a 256-entry global colour table (unused entries black), NETSCAPE2.0 loop.</summary>
    public static void WriteHeader(ByteSink s, int width, int height, IReadOnlyList<int> palette, int loops = 0)
    {
        if (width is < 1 or > 65535 || height is < 1 or > 65535) throw new ArgumentOutOfRangeException(nameof(width), $"{width}x{height}");
        if (palette.Count > 256) throw new ArgumentOutOfRangeException(nameof(palette), palette.Count, "at most 256 colours");
        s.Add("GIF89a"u8);
        s.AddUInt16(width); s.AddUInt16(height);
        s.Add(0xF7); // global colour table, 8-bit colour resolution, 2^(7+1) entries
        s.Add(0); s.Add(0); // background index, pixel aspect
        for (var i = 0; i < 256; i++)
        {
            var c = i < palette.Count ? palette[i] : 0;
            s.Add((byte)(c >> 16)); s.Add((byte)(c >> 8)); s.Add((byte)c);
        }
        s.Add(0x21); s.Add(0xFF); s.Add(11); s.Add(Encoding.ASCII.GetBytes("NETSCAPE2.0"));
        s.Add(3); s.Add(1); s.AddUInt16(loops); s.Add(0);
    }

    /// <summary>Graphic control extension (delay, "do not dispose", optional transparent index) and image descriptor.</summary>
    public static void WriteFrameHeader(ByteSink s, int delayCs, int? transparent, int left, int top, int width, int height)
    {
        s.Add(0x21); s.Add(0xF9); s.Add(4);
        s.Add((byte)((1 << 2) | (transparent is null ? 0 : 1)));
        s.AddUInt16(Math.Clamp(delayCs, 0, 65535));
        s.Add((byte)(transparent ?? 0)); s.Add(0);
        s.Add(0x2C);
        s.AddUInt16(left); s.AddUInt16(top); s.AddUInt16(width); s.AddUInt16(height);
        s.Add(0); // no local colour table, not interlaced
    }

    public const byte Trailer = 0x3B;

    /// <summary>Centiseconds each frame is shown at <paramref name="rate"/> frames per second (rounded so the sum does not drift).</summary>
    public static int DelayCs(int frame, double rate) =>
        Math.Max(1, (int)Math.Round((frame + 1) * 100 / rate) - (int)Math.Round(frame * 100 / rate));
}
