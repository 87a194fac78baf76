using System.Buffers.Binary;
using System.IO.Hashing;

namespace Lookback.Media.Timelapse;

/// <summary>One sampled frame of a day's timelapse.</summary>
public readonly record struct TimelapseSample(DateTimeOffset Time, ReadOnlyMemory<byte> Jpeg);

/// <summary>
/// A day's samples: ONE append-only file (<c>samples.bin</c>) of self-describing records — 1 inode per camera and day,
/// no separate index to get out of step. Record: "LBTS" | capture time, Unix ms (int64 LE) | JPEG length (uint32 LE) |
/// CRC-32 of the JPEG (uint32 LE) | the JPEG. A crash while appending leaves at most a torn last record: readers stop
/// at the first record that is incomplete or fails its check, and the next append cuts the file back to the last good
/// record first. One writer per file (the sampler); readers may read while it appends.
/// </summary>
public static class TimelapseSamples
{
    public const string FileName = "samples.bin";
    public const int HeaderBytes = 20;
    /// <summary>Largest JPEG accepted in a record (a corrupt length never makes a reader allocate more).</summary>
    public const int MaxJpegBytes = 32 * 1024 * 1024;
    private static ReadOnlySpan<byte> Magic => "LBTS"u8;
    /// <summary>Length of each file after this process's last append: when the file still has it, the append skips
    /// re-validating the file (otherwise every append would walk all the day's records).</summary>
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, long> Appended = new(StringComparer.Ordinal);

    /// <summary>Appends one record (creates the folder and file when needed); repairs a torn tail first.</summary>
    public static void Append(string path, DateTimeOffset time, ReadOnlySpan<byte> jpeg)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        using var fs = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.Read);
        var full = Path.GetFullPath(path);
        var good = Appended.TryGetValue(full, out var known) && known == fs.Length ? known : ValidLength(fs, verify: false, out _);
        if (good != fs.Length) fs.SetLength(good);
        fs.Position = good;
        var record = new byte[HeaderBytes + jpeg.Length];
        Magic.CopyTo(record);
        BinaryPrimitives.WriteInt64LittleEndian(record.AsSpan(4), time.ToUnixTimeMilliseconds());
        BinaryPrimitives.WriteUInt32LittleEndian(record.AsSpan(12), (uint)jpeg.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(record.AsSpan(16), Crc32.HashToUInt32(jpeg));
        jpeg.CopyTo(record.AsSpan(HeaderBytes));
        fs.Write(record);
        fs.Flush(flushToDisk: false);
        Appended[full] = fs.Length;
    }

    /// <summary>Number of complete records (headers only: cheap). 0 when the file does not exist.</summary>
    public static int Count(string path)
    {
        try
        {
            using var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            ValidLength(fs, verify: false, out var count);
            return count;
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException) { return 0; }
    }

    /// <summary>The records in order, each checked against its CRC; stops at the first bad or incomplete one.
    /// One buffer is reused: use each sample's bytes before moving on.</summary>
    public static IEnumerable<TimelapseSample> Read(string path)
    {
        FileStream fs;
        try { fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1 << 16); }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException) { yield break; }
        using (fs)
        {
            var header = new byte[HeaderBytes];
            var buffer = Array.Empty<byte>();
            while (true)
            {
                if (!TryReadHeader(fs, header, out var ms, out var len, out var crc)) yield break;
                if (buffer.Length < len) buffer = new byte[Math.Max(len, buffer.Length * 2)];
                if (fs.ReadAtLeast(buffer.AsSpan(0, len), len, throwOnEndOfStream: false) < len) yield break;
                if (Crc32.HashToUInt32(buffer.AsSpan(0, len)) != crc) yield break;
                yield return new TimelapseSample(DateTimeOffset.FromUnixTimeMilliseconds(ms), buffer.AsMemory(0, len));
            }
        }
    }

    private static bool TryReadHeader(Stream fs, byte[] header, out long ms, out int len, out uint crc)
    {
        ms = 0; len = 0; crc = 0;
        if (fs.ReadAtLeast(header, HeaderBytes, throwOnEndOfStream: false) < HeaderBytes) return false;
        if (!header.AsSpan(0, 4).SequenceEqual(Magic)) return false;
        ms = BinaryPrimitives.ReadInt64LittleEndian(header.AsSpan(4));
        var l = BinaryPrimitives.ReadUInt32LittleEndian(header.AsSpan(12));
        crc = BinaryPrimitives.ReadUInt32LittleEndian(header.AsSpan(16));
        if (l == 0 || l > MaxJpegBytes) return false;
        len = (int)l;
        return true;
    }

    /// <summary>Bytes up to the end of the last complete record (headers and lengths; with <paramref name="verify"/> also CRCs).</summary>
    private static long ValidLength(FileStream fs, bool verify, out int count)
    {
        count = 0;
        fs.Position = 0;
        var header = new byte[HeaderBytes];
        long good = 0;
        var length = fs.Length;
        while (TryReadHeader(fs, header, out _, out var len, out var crc))
        {
            var end = good + HeaderBytes + len;
            if (end > length) break;
            if (verify)
            {
                var b = new byte[len];
                fs.ReadExactly(b);
                if (Crc32.HashToUInt32(b) != crc) break;
            }
            else fs.Position = end;
            good = end;
            count++;
        }
        return good;
    }
}
