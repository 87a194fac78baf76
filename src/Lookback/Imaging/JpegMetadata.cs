using System.Buffers.Binary;
using System.Globalization;
using System.Text;

namespace Lookback.Imaging;

/// <summary>
/// What a folder camera's JPEG says about itself: the COM comment (marker 0xFFFE) and the EXIF DateTimeOriginal
/// (APP1 "Exif", IFD0 → Exif IFD tag 0x9003, with OffsetTimeOriginal 0x9011 and SubSecTimeOriginal 0x9291 when present).
/// </summary>
/// <param name="Comment">The first COM segment as text (UTF-8, else Latin-1), trimmed; null when none.</param>
/// <param name="ExifTime">DateTimeOriginal as written (camera's wall clock), null when absent or malformed.</param>
/// <param name="ExifOffset">OffsetTimeOriginal (e.g. +01:00) when the camera wrote it.</param>
public sealed record JpegMetadata(string? Comment, DateTime? ExifTime, TimeSpan? ExifOffset)
{
    /// <summary>Longest comment kept (characters).</summary>
    public const int MaxCommentLength = 2000;

    public static readonly JpegMetadata None = new(null, null, null);

    /// <summary>"2026-01-05T17:30:00" (+ offset when known, + .fff when the camera gave sub-seconds); null when no EXIF time.</summary>
    public string? ExifTimeText => ExifTime is not { } t ? null
        : ExifOffset is { } o ? new DateTimeOffset(t, o).ToString(t.Millisecond != 0 ? "yyyy-MM-dd'T'HH:mm:ss.fffzzz" : "yyyy-MM-dd'T'HH:mm:sszzz", CultureInfo.InvariantCulture)
        : t.ToString(t.Millisecond != 0 ? "yyyy-MM-dd'T'HH:mm:ss.fff" : "yyyy-MM-dd'T'HH:mm:ss", CultureInfo.InvariantCulture);

    /// <summary>The EXIF time as an instant: with its offset, else read in <paramref name="zone"/> (default local).</summary>
    public DateTimeOffset? ExifInstant(TimeZoneInfo? zone = null)
    {
        if (ExifTime is not { } t) return null;
        if (ExifOffset is { } o) return new DateTimeOffset(t, o);
        zone ??= TimeZoneInfo.Local;
        if (zone.IsInvalidTime(t)) t = t.AddHours(1);
        return new DateTimeOffset(t, zone.GetUtcOffset(t));
    }

    /// <summary>Never throws: reads what is well-formed and ignores the rest (segments are walked up to SOS).</summary>
    public static JpegMetadata Read(ReadOnlySpan<byte> jpeg)
    {
        string? comment = null;
        DateTime? exif = null;
        TimeSpan? offset = null;
        for (var w = new Segments(jpeg); w.Next(out var m, out var seg);)
        {
            if (m == 0xFE && comment is null) comment = Text(seg);
            else if (m == 0xE1 && exif is null && seg.Length > 6 && seg[..6].SequenceEqual("Exif\0\0"u8))
                (exif, offset) = Exif(seg[6..]);
        }
        return comment is null && exif is null ? None : new JpegMetadata(comment, exif, offset);
    }

    /// <summary>True when one of the JPEG's COM segments (any, not only the first) is <paramref name="text"/>, NUL-terminated
    /// or not. No allocation.</summary>
    public static bool HasComment(ReadOnlySpan<byte> jpeg, ReadOnlySpan<byte> text)
    {
        for (var w = new Segments(jpeg); w.Next(out var m, out var seg);)
        {
            if (m != 0xFE) continue;
            if (seg.Length > 0 && seg[^1] == 0) seg = seg[..^1];
            if (seg.SequenceEqual(text)) return true;
        }
        return false;
    }

    /// <summary>The marker segments from SOI up to SOS (never throws: stops at what is not well-formed).</summary>
    private ref struct Segments(ReadOnlySpan<byte> jpeg)
    {
        private readonly ReadOnlySpan<byte> _jpeg = jpeg;
        private int _pos = jpeg.Length >= 4 && jpeg[0] == 0xFF && jpeg[1] == 0xD8 ? 2 : int.MaxValue;

        public bool Next(out byte marker, out ReadOnlySpan<byte> payload)
        {
            marker = 0;
            payload = default;
            while (_pos <= _jpeg.Length - 4)
            {
                if (_jpeg[_pos] != 0xFF) break;
                var m = _jpeg[_pos + 1];
                if (m == 0xFF) { _pos++; continue; }
                if (m is >= 0xD0 and <= 0xD7 || m == 0x01) { _pos += 2; continue; }
                if (m is 0xDA or 0xD9 or 0xD8 or 0x00) break;
                int len = BinaryPrimitives.ReadUInt16BigEndian(_jpeg[(_pos + 2)..]);
                if (len < 2 || _pos + 2 + len > _jpeg.Length) break;
                marker = m;
                payload = _jpeg.Slice(_pos + 4, len - 2);
                _pos += 2 + len;
                return true;
            }
            _pos = int.MaxValue;
            return false;
        }
    }

    private static string? Text(ReadOnlySpan<byte> b)
    {
        var end = b.Length;
        while (end > 0 && b[end - 1] == 0) end--;
        b = b[..end];
        string s;
        try { s = new UTF8Encoding(false, true).GetString(b); }
        catch (DecoderFallbackException) { s = Encoding.Latin1.GetString(b); }
        var sb = new StringBuilder(s.Length);
        foreach (var c in s) sb.Append(char.IsControl(c) && c is not ('\n' or '\t') ? ' ' : c);
        s = sb.ToString().Trim();
        if (s.Length > MaxCommentLength) s = s[..MaxCommentLength];
        return s.Length == 0 ? null : s;
    }

    /// <summary>DateTimeOriginal (+ offset) from a TIFF structure (the APP1 payload after "Exif\0\0").</summary>
    internal static (DateTime?, TimeSpan?) Exif(ReadOnlySpan<byte> tiff)
    {
        if (tiff.Length < 8) return (null, null);
        bool little;
        if (tiff[0] == 'I' && tiff[1] == 'I') little = true;
        else if (tiff[0] == 'M' && tiff[1] == 'M') little = false;
        else return (null, null);
        var t = new Tiff(tiff, little);
        if (t.U16(2) != 42) return (null, null);
        var ifd0 = t.U32(4);
        if (t.Find(ifd0, 0x8769) is not { } exifPtr) return (null, null);
        var exifIfd = t.U32(exifPtr + 8);
        if (t.Ascii(t.Find(exifIfd, 0x9003)) is not { } dto) return (null, null);
        if (!DateTime.TryParseExact(dto.Trim(), "yyyy':'MM':'dd HH':'mm':'ss", CultureInfo.InvariantCulture, DateTimeStyles.None, out var time))
            return (null, null);
        if (t.Ascii(t.Find(exifIfd, 0x9291)) is { } sub)
        {
            var digits = new string(sub.Trim().TakeWhile(char.IsAsciiDigit).ToArray());
            if (digits.Length > 0) time = time.AddMilliseconds(int.Parse(digits.PadRight(3, '0')[..3], CultureInfo.InvariantCulture));
        }
        TimeSpan? offset = null;
        if (t.Ascii(t.Find(exifIfd, 0x9011)) is { } off && off.Trim() is { Length: 6 } o && o[0] is '+' or '-'
            && TimeSpan.TryParseExact(o[1..], "hh':'mm", CultureInfo.InvariantCulture, out var ts) && ts <= TimeSpan.FromHours(14))
            offset = o[0] == '-' ? -ts : ts;
        return (DateTime.SpecifyKind(time, DateTimeKind.Unspecified), offset);
    }

    private readonly ref struct Tiff(ReadOnlySpan<byte> d, bool little)
    {
        private readonly ReadOnlySpan<byte> _d = d;

        public int U16(long at) => at < 0 || at + 2 > _d.Length ? -1
            : little ? BinaryPrimitives.ReadUInt16LittleEndian(_d[(int)at..]) : BinaryPrimitives.ReadUInt16BigEndian(_d[(int)at..]);

        public long U32(long at) => at < 0 || at + 4 > _d.Length ? -1
            : little ? BinaryPrimitives.ReadUInt32LittleEndian(_d[(int)at..]) : BinaryPrimitives.ReadUInt32BigEndian(_d[(int)at..]);

        /// <summary>Offset of the 12-byte entry for <paramref name="tag"/> in the IFD at <paramref name="ifd"/>, or null.</summary>
        public long? Find(long ifd, int tag)
        {
            if (ifd < 8) return null; // the header occupies 0..7; also rejects "not found" (-1)
            var n = U16(ifd);
            if (n <= 0 || n > 1000) return null;
            for (var i = 0; i < n; i++)
            {
                var e = ifd + 2 + 12L * i;
                if (e + 12 > _d.Length) return null;
                if (U16(e) == tag) return e;
            }
            return null;
        }

        /// <summary>An ASCII (type 2) entry's text up to its first NUL; null when the entry is missing or malformed.</summary>
        public string? Ascii(long? entry)
        {
            if (entry is not { } e || U16(e + 2) != 2) return null;
            var count = U32(e + 4);
            if (count <= 0 || count > 256) return null;
            var at = count <= 4 ? e + 8 : U32(e + 8);
            if (at < 0 || at + count > _d.Length) return null;
            var bytes = _d.Slice((int)at, (int)count);
            var nul = bytes.IndexOf((byte)0);
            if (nul >= 0) bytes = bytes[..nul];
            foreach (var b in bytes) if (b is < 0x20 or > 0x7E) return null;
            return Encoding.ASCII.GetString(bytes);
        }
    }
}
