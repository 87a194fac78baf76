using System.Numerics;

namespace Lookback.Imaging;

/// <summary>
/// JPEGs in limited ("TV", 16..235) range: ffmpeg writes them from limited-range video without a range conversion and
/// marks them with the comment <c>CS=ITU601</c>; TurboJPEG decodes every JPEG as full range, so their pixels come out
/// flat (black at 16, white at 235) until expanded. A per-channel expansion of the RGB a full-range decode gives is
/// the exact conversion for luma and within 2.3 % for chroma (224/219), invisible once a GIF palette is made of it.
/// </summary>
public static class LimitedRange
{
    /// <summary>The comment ffmpeg's JPEG encoder writes into a limited-range JPEG (after its own "Lavc…" comment).</summary>
    public static ReadOnlySpan<byte> Marker => "CS=ITU601"u8;

    /// <summary>True when the JPEG says it is limited range (one of its comments is <see cref="Marker"/>).</summary>
    public static bool IsLimited(ReadOnlySpan<byte> jpeg) => JpegMetadata.HasComment(jpeg, Marker);

    /// <summary>Expands every byte of <paramref name="pixels"/> from 16..235 to 0..255 (saturating; an alpha of 255
    /// stays 255): ((v − 16) × 298 + 128) / 256, rounded.</summary>
    public static void Expand(Span<byte> pixels)
    {
        var i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var sixteen = new Vector<ushort>(16);
            var scale = new Vector<ushort>(298);
            var half = new Vector<ushort>(128);
            var max = new Vector<ushort>(255);
            for (; i <= pixels.Length - Vector<byte>.Count; i += Vector<byte>.Count)
            {
                Vector.Widen(new Vector<byte>(pixels[i..]), out var lo, out var hi);
                Vector.Narrow(Scale(lo), Scale(hi)).CopyTo(pixels[i..]);
            }

            Vector<ushort> Scale(Vector<ushort> v)
            {
                var above = Vector.Max(v, sixteen) - sixteen;
                // (v-16) * 298 + 128 overflows 16 bits above v = 235: those saturate to 255 anyway
                var big = Vector.GreaterThan(above, new Vector<ushort>(219));
                var scaled = Vector.Min((above * scale + half) >> 8, max);
                return Vector.ConditionalSelect(big, max, scaled);
            }
        }
        for (; i < pixels.Length; i++) pixels[i] = Expand(pixels[i]);
    }

    /// <summary>One value from 16..235 to 0..255 (saturating).</summary>
    public static byte Expand(byte v) => (byte)Math.Clamp(((v - 16) * 298 + 128) >> 8, 0, 255);
}
