using System.Buffers;

namespace Lookback.Media.Rendering.Gif;

/// <summary>
/// GIF's LZW (GIF89a appendix F): variable-length codes from minCodeSize+1 up to 12 bits, LSB-first, a clear code
/// first and whenever the 4096-entry table is full, and the end-of-information code last. The output is already cut
/// into the GIF's data sub-blocks (length byte, up to 255 bytes) and ends with the zero-length block terminator.
/// </summary>
public static class GifLzw
{
    private const int MaxCodes = 4096, HashBits = 13, HashSize = 1 << HashBits;

    /// <summary>Appends the LZW code size byte and the sub-blocks of <paramref name="indices"/> to <paramref name="sink"/>.</summary>
    public static void Encode(ReadOnlySpan<byte> indices, int minCodeSize, ByteSink sink)
    {
        if (minCodeSize is < 2 or > 8) throw new ArgumentOutOfRangeException(nameof(minCodeSize), minCodeSize, "2..8");
        if (indices.IsEmpty) throw new ArgumentException("no pixels", nameof(indices));
        var keys = ArrayPool<int>.Shared.Rent(HashSize);
        var codes = ArrayPool<short>.Shared.Rent(HashSize);
        try
        {
            sink.Add((byte)minCodeSize);
            var w = new BlockWriter(sink);
            int clear = 1 << minCodeSize, eoi = clear + 1, first = clear + 2;
            int size = minCodeSize + 1, next = first;
            var limit = 1 << minCodeSize;
            keys.AsSpan(0, HashSize).Fill(-1);
            w.Write(clear, size);
            int prefix = indices[0];
            if (prefix >= limit) throw new ArgumentException($"index {prefix} needs more than {minCodeSize} bits", nameof(indices));
            for (var i = 1; i < indices.Length; i++)
            {
                int k = indices[i];
                if (k >= limit) throw new ArgumentException($"index {k} needs more than {minCodeSize} bits", nameof(indices));
                var key = (prefix << 8) | k;
                var h = (int)((uint)(key * -1640531535) >> (32 - HashBits));
                while (true)
                {
                    var kk = keys[h];
                    if (kk == key) { prefix = codes[h]; goto found; }
                    if (kk < 0) break;
                    h = (h + 1) & (HashSize - 1);
                }
                w.Write(prefix, size);
                if (next == 1 << size && size < 12) size++;
                if (next < MaxCodes)
                {
                    keys[h] = key; codes[h] = (short)next++;
                }
                else
                {
                    w.Write(clear, size);
                    keys.AsSpan(0, HashSize).Fill(-1);
                    size = minCodeSize + 1; next = first;
                }
                prefix = k;
            found:;
            }
            w.Write(prefix, size);
            if (next == 1 << size && size < 12) size++;
            w.Write(eoi, size);
            w.Finish();
        }
        finally
        {
            ArrayPool<int>.Shared.Return(keys);
            ArrayPool<short>.Shared.Return(codes);
        }
    }

    /// <summary>Packs codes LSB-first into 255-byte sub-blocks.</summary>
    private struct BlockWriter(ByteSink sink)
    {
        private ulong _bits;
        private int _count;
        private int _blockStart = -1;

        public void Write(int code, int size)
        {
            _bits |= (ulong)code << _count;
            _count += size;
            while (_count >= 8)
            {
                Byte((byte)_bits);
                _bits >>= 8; _count -= 8;
            }
        }

        private void Byte(byte b)
        {
            if (_blockStart < 0 || sink.Length - _blockStart - 1 == 255)
            {
                if (_blockStart >= 0) sink[_blockStart] = 255;
                _blockStart = sink.Length;
                sink.Add(0);
            }
            sink.Add(b);
        }

        public void Finish()
        {
            if (_count > 0) { Byte((byte)_bits); _bits = 0; _count = 0; }
            if (_blockStart >= 0) sink[_blockStart] = (byte)(sink.Length - _blockStart - 1);
            sink.Add(0);
        }
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
