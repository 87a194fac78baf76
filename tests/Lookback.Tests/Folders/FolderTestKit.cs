using System.Buffers.Binary;
using System.Text;
using Lookback.Imaging;

namespace Lookback.Tests.Folders;

/// <summary>Small JPEGs made by <see cref="Jpeg.Encode(ReadOnlySpan{byte}, int, int, int, PixelFormat, int, ChromaSubsampling)"/>,
/// with COM and APP1/Exif segments inserted after SOI.</summary>
public static class FolderTestKit
{
    public static byte[] Jpeg(int width = 64, int height = 48, byte shade = 128)
    {
        var px = new byte[width * height * 3];
        for (var i = 0; i < px.Length; i++) px[i] = (byte)(shade + i % 7);
        return Lookback.Imaging.Jpeg.Encode(px, width, height, width * 3, PixelFormat.Rgb, 80);
    }

    /// <summary>Inserts segments (marker, payload) right after SOI.</summary>
    public static byte[] WithSegments(byte[] jpeg, params (byte Marker, byte[] Payload)[] segments)
    {
        var ms = new MemoryStream();
        ms.Write(jpeg, 0, 2);
        foreach (var (m, p) in segments)
        {
            ms.WriteByte(0xFF); ms.WriteByte(m);
            var len = new byte[2];
            BinaryPrimitives.WriteUInt16BigEndian(len, (ushort)(p.Length + 2));
            ms.Write(len);
            ms.Write(p);
        }
        ms.Write(jpeg, 2, jpeg.Length - 2);
        return ms.ToArray();
    }

    public static (byte, byte[]) Comment(string text) => (0xFE, Encoding.UTF8.GetBytes(text));

    /// <summary>APP1 "Exif\0\0" + TIFF (II or MM): IFD0 with a Make entry and the Exif IFD pointer; Exif IFD with
    /// DateTimeOriginal (0x9003) and optionally OffsetTimeOriginal (0x9011) and SubSecTimeOriginal (0x9291).</summary>
    public static (byte, byte[]) Exif(string dateTimeOriginal, bool littleEndian = true, string? offset = null, string? subSec = null)
    {
        var t = new TiffWriter(littleEndian);
        // header
        t.Bytes(littleEndian ? "II"u8 : "MM"u8); t.U16(42); t.U32(8);
        var exifEntries = new List<(int Tag, string Value)> { (0x9003, dateTimeOriginal) };
        if (offset is not null) exifEntries.Add((0x9011, offset));
        if (subSec is not null) exifEntries.Add((0x9291, subSec));
        // IFD0 at 8: 2 entries
        const int ifd0 = 8;
        var ifd0Size = 2 + 2 * 12 + 4;
        var make = "Lookback\0"u8.ToArray();
        var makeAt = ifd0 + ifd0Size;
        var exifIfd = makeAt + make.Length + (make.Length % 2);
        var exifSize = 2 + exifEntries.Count * 12 + 4;
        var dataAt = exifIfd + exifSize;
        t.U16(2);
        t.U16(0x010F); t.U16(2); t.U32((uint)make.Length); t.U32((uint)makeAt);
        t.U16(0x8769); t.U16(4); t.U32(1); t.U32((uint)exifIfd);
        t.U32(0);
        t.Bytes(make); if (make.Length % 2 == 1) t.Bytes([0]);
        t.U16((ushort)exifEntries.Count);
        var data = new MemoryStream();
        foreach (var (tag, value) in exifEntries)
        {
            var bytes = Encoding.ASCII.GetBytes(value + "\0");
            t.U16((ushort)tag); t.U16(2); t.U32((uint)bytes.Length);
            if (bytes.Length <= 4) { var pad = new byte[4]; bytes.CopyTo(pad, 0); t.Bytes(pad); }
            else { t.U32((uint)(dataAt + data.Length)); data.Write(bytes); }
        }
        t.U32(0);
        t.Bytes(data.ToArray());
        return (0xE1, [.. "Exif\0\0"u8, .. t.ToArray()]);
    }

    private sealed class TiffWriter(bool little)
    {
        private readonly MemoryStream _ms = new();
        public void Bytes(ReadOnlySpan<byte> b) => _ms.Write(b);
        public void U16(ushort v) { Span<byte> b = stackalloc byte[2]; if (little) BinaryPrimitives.WriteUInt16LittleEndian(b, v); else BinaryPrimitives.WriteUInt16BigEndian(b, v); _ms.Write(b); }
        public void U32(uint v) { Span<byte> b = stackalloc byte[4]; if (little) BinaryPrimitives.WriteUInt32LittleEndian(b, v); else BinaryPrimitives.WriteUInt32BigEndian(b, v); _ms.Write(b); }
        public byte[] ToArray() => _ms.ToArray();
    }

    /// <summary>Waits until <paramref name="condition"/> holds, polling; fails with <paramref name="what"/> on timeout.</summary>
    public static Task WaitUntilAsync(Func<bool> condition, string what, TimeSpan? timeout = null) =>
        Wait.UntilAsync(condition, timeout ?? TimeSpan.FromSeconds(15), what);
}
