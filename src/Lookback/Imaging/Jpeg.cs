namespace Lookback.Imaging;

/// <summary>
/// JPEG decode, scaled decode and encode through libjpeg-turbo's TurboJPEG API (libturbojpeg.so.0).
/// STUB: implemented by the imaging work in issue "Core path".
/// </summary>
public static class Jpeg
{
    /// <summary>Reads width and height from the JPEG header; false when it is not a decodable JPEG header.</summary>
    public static bool TryReadHeader(ReadOnlySpan<byte> jpeg, out int width, out int height) => throw new NotImplementedException();
    /// <summary>Re-encodes so that the width is at most <paramref name="maxWidth"/> (returns the input when already small enough).</summary>
    public static byte[] Resize(ReadOnlySpan<byte> jpeg, int maxWidth, int quality = 85) => throw new NotImplementedException();
}
