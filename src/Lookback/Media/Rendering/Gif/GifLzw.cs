using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Lookback.Media.Rendering.Gif;

/// <summary>
/// GIF's LZW (GIF89a appendix F): variable-length codes from minCodeSize+1 up to 12 bits, LSB-first, a clear code
/// first and whenever the 4096-entry table is full, and the end-of-information code last. The output is already cut
/// into the GIF's data sub-blocks (length byte, up to 255 bytes) and ends with the zero-length block terminator.
/// </summary>
/// <remarks>
/// The string table is one open-addressing array of 32768 ints (a quarter of it full at most, 128 KB), each entry the
/// key (prefix code &lt;&lt; 8 | index) and its code packed together (0 = empty: every code is above the clear code),
/// hashed by a plain xor of prefix and index; the codes go LSB-first into a flat buffer four bytes at a time and are
/// cut into sub-blocks at the end. Measured on the gifcost bench (80 PETS frames 480x270, one thread), LZW ns per
/// pixel: 7.98 with separate key/code arrays in 8192 slots, a multiplicative hash and a ByteSink.Add per byte;
/// 7.63 packed and flat; 6.37 with 16384 slots and the xor hash; 5.99 with 32768 (65536: 5.99 too).
/// </remarks>
public static class GifLzw
{
    private const int MaxCodes = 4096, HashBits = 15, HashSize = 1 << HashBits;

    /// <summary>Appends the LZW code size byte and the sub-blocks of <paramref name="indices"/> to <paramref name="sink"/>.</summary>
    public static void Encode(ReadOnlySpan<byte> indices, int minCodeSize, ByteSink sink)
    {
        if (minCodeSize is < 2 or > 8) throw new ArgumentOutOfRangeException(nameof(minCodeSize), minCodeSize, "2..8");
        if (indices.IsEmpty) throw new ArgumentException("no pixels", nameof(indices));
        if (minCodeSize < 8 && indices.IndexOfAnyInRange((byte)(1 << minCodeSize), (byte)255) is var bad and >= 0)
            throw new ArgumentException($"index {indices[bad]} needs more than {minCodeSize} bits", nameof(indices));
        var table = ArrayPool<int>.Shared.Rent(HashSize);
        var packed = ArrayPool<byte>.Shared.Rent(MaxPackedBytes(indices.Length));
        try
        {
            var len = Pack(indices, minCodeSize, table, packed);
            sink.Add((byte)minCodeSize);
            for (var o = 0; o < len; o += 255)
            {
                var block = Math.Min(255, len - o);
                sink.Add((byte)block);
                sink.Add(packed.AsSpan(o, block));
            }
            sink.Add(0);
        }
        finally
        {
            ArrayPool<int>.Shared.Return(table);
            ArrayPool<byte>.Shared.Return(packed);
        }
    }

    /// <summary>An upper bound of the packed code bytes: at most one 12-bit code per pixel, a clear code per 3838 codes, the first clear and EOI, plus the 4-byte flush.</summary>
    private static int MaxPackedBytes(int pixels) => (pixels + pixels / 2048 + 8) * 3 / 2 + 8;

    /// <summary>The LZW codes of <paramref name="indices"/>, packed LSB-first into <paramref name="output"/>; returns their byte count.</summary>
    private static int Pack(ReadOnlySpan<byte> indices, int minCodeSize, int[] table, byte[] output)
    {
        ref var src = ref MemoryMarshal.GetReference(indices);
        ref var tab = ref MemoryMarshal.GetArrayDataReference(table);
        ref var dst = ref MemoryMarshal.GetArrayDataReference(output);
        var n = indices.Length;
        int clear = 1 << minCodeSize, eoi = clear + 1, first = clear + 2;
        int size = minCodeSize + 1, next = first;
        var pos = 0;
        ulong bits = 0;
        var count = 0;
        table.AsSpan(0, HashSize).Clear();

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        static void Put(int code, int width, ref ulong bits, ref int count, ref int pos, ref byte dst)
        {
            bits |= (ulong)code << count;
            count += width;
            if (count < 32) return;
            Unsafe.WriteUnaligned(ref Unsafe.Add(ref dst, pos), (uint)bits);
            pos += 4; bits >>= 32; count -= 32;
        }

        Put(clear, size, ref bits, ref count, ref pos, ref dst);
        int prefix = src;
        for (var i = 1; i < n; i++)
        {
            int k = Unsafe.Add(ref src, i);
            var key = (prefix << 8) | k;
            var h = (prefix ^ (k << (HashBits - 8))) & (HashSize - 1);
            while (true)
            {
                var e = Unsafe.Add(ref tab, h);
                if (e >>> 12 == key && e != 0) { prefix = e & (MaxCodes - 1); goto found; }
                if (e == 0) break;
                h = (h + 1) & (HashSize - 1);
            }
            Put(prefix, size, ref bits, ref count, ref pos, ref dst);
            if (next == 1 << size && size < 12) size++;
            if (next < MaxCodes)
            {
                Unsafe.Add(ref tab, h) = key << 12 | next++;
            }
            else
            {
                Put(clear, size, ref bits, ref count, ref pos, ref dst);
                table.AsSpan(0, HashSize).Clear();
                size = minCodeSize + 1; next = first;
            }
            prefix = k;
        found:;
        }
        Put(prefix, size, ref bits, ref count, ref pos, ref dst);
        if (next == 1 << size && size < 12) size++;
        Put(eoi, size, ref bits, ref count, ref pos, ref dst);
        Unsafe.WriteUnaligned(ref Unsafe.Add(ref dst, pos), (uint)bits);
        return pos + (count + 7) / 8;
    }
}

/// <summary>A growable byte buffer over <see cref="ArrayPool{T}"/>; dispose to give the array back.</summary>
public sealed class ByteSink(int capacity = 4096) : IDisposable
{
    private byte[] _buf = ArrayPool<byte>.Shared.Rent(Math.Max(16, capacity));

    public int Length { get; private set; }
    public ReadOnlySpan<byte> Written => _buf.AsSpan(0, Length);

    public byte this[int i]
    {
        get => _buf[i];
        set => _buf[i] = value;
    }

    public void Add(byte b)
    {
        if (Length == _buf.Length) Grow(1);
        _buf[Length++] = b;
    }

    public void Add(ReadOnlySpan<byte> bytes)
    {
        if (Length + bytes.Length > _buf.Length) Grow(bytes.Length);
        bytes.CopyTo(_buf.AsSpan(Length));
        Length += bytes.Length;
    }

    public void AddUInt16(int v) { Add((byte)v); Add((byte)(v >> 8)); }

    private void Grow(int more)
    {
        var bigger = ArrayPool<byte>.Shared.Rent(Math.Max(_buf.Length * 2, Length + more));
        _buf.AsSpan(0, Length).CopyTo(bigger);
        ArrayPool<byte>.Shared.Return(_buf);
        _buf = bigger;
    }

    public void Dispose()
    {
        if (_buf.Length == 0) return;
        ArrayPool<byte>.Shared.Return(_buf);
        _buf = [];
        Length = 0;
    }
}
