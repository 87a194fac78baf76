namespace Lookback.Sources;

// TEMPORARY stub on main until the sources branch lands (theirs replaces this file).
public static class JpegValidator
{
    public static string? Validate(ReadOnlySpan<byte> data) =>
        data.Length > 4 && data[0] == 0xFF && data[1] == 0xD8 ? null : "not a JPEG";
    public static bool TryGetSize(ReadOnlySpan<byte> jpeg, out int width, out int height) { width = height = 0; return false; }
}
