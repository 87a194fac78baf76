using Lookback.Media.Rendering;
using Lookback.Media.Rendering.Gif;
using Xunit;

namespace Lookback.Tests.Rendering;

/// <summary>The pieces of our GIF encoder: LZW, median cut palette, dithered mapping, frame differencing.</summary>
public sealed class GifEncoderTests
{
    // The 10x10 four-colour sample of "What's in a GIF" (Matthew Flickinger), min code size 2, and its published LZW bytes.
    private static readonly byte[] SampleIndices = Rows(
        "1111122222", "1111122222", "1111122222", "1110000222", "1110000222",
        "2220000111", "2220000111", "2222211111", "2222211111", "2222211111");

    private static readonly byte[] SampleLzw =
        [0x02, 0x16, 0x8C, 0x2D, 0x99, 0x87, 0x2A, 0x1C, 0xDC, 0x33, 0xA0, 0x02, 0x75, 0xEC, 0x95, 0xFA, 0xA8, 0xDE, 0x60, 0x8C, 0x04, 0x91, 0x4C, 0x01, 0x00];

    private static byte[] Rows(params string[] rows) => rows.SelectMany(r => r.Select(c => (byte)(c - '0'))).ToArray();

    [Fact]
    public void Lzw_matches_the_published_sample()
    {
        using var sink = new ByteSink();
        GifLzw.Encode(SampleIndices, 2, sink);
        Assert.Equal(SampleLzw, sink.Written.ToArray());
    }

    [Theory]
    [InlineData(1, 8)]        // one pixel
    [InlineData(3000, 8)]     // random: table fills, clear codes, 12-bit codes
    [InlineData(200_000, 8)]
    [InlineData(50_000, 2)]
    public void Lzw_decodes_back_to_the_input(int length, int minCodeSize)
    {
        var rnd = new Random(length);
        var data = new byte[length];
        for (var i = 0; i < length; i++) data[i] = (byte)(i % 7 == 0 ? rnd.Next(1 << minCodeSize) : (i / 97) % (1 << minCodeSize));
        using var sink = new ByteSink();
        GifLzw.Encode(data, minCodeSize, sink);
        Assert.Equal(data, LzwDecode(sink.Written.ToArray()));
    }

    [Fact]
    public void Lzw_rejects_an_index_wider_than_the_code_size()
    {
        using var sink = new ByteSink();
        var ex = Assert.Throws<ArgumentException>(() => GifLzw.Encode([0, 1, 4], 2, sink));
        Assert.Contains("index 4", ex.Message);
    }

    [Fact]
    public void Median_cut_keeps_few_colours_exactly_and_averages_clusters()
    {
        var h = new ColorHistogram();
        h.Add(10, 20, 30, 5); h.Add(200, 100, 0, 3); h.Add(0, 0, 255, 1);
        Assert.Equal(new[] { 0x0000FF, 0x0A141E, 0xC86400 }, MedianCut.Build(h, 16));

        var two = new ColorHistogram();
        two.Add(0, 0, 0, 1); two.Add(16, 16, 16, 1); two.Add(240, 240, 240, 1); two.Add(255, 255, 255, 1);
        Assert.Equal(new[] { 0x080808, 0xF8F8F8 }, MedianCut.Build(two, 2));
    }

    [Fact]
    public void Palette_map_picks_the_nearest_colour_and_dithers_between_neighbours()
    {
        var map = new PaletteMap([0x000000, 0x808080, 0xFFFFFF, 0xFF0000]);
        Assert.Equal(0, map.Nearest(10, 10, 10));
        Assert.Equal(1, map.Nearest(120, 130, 125));
        Assert.Equal(3, map.Nearest(230, 30, 20));
        // flat gray 0x7F-ish maps to one entry; a flat image gives one index everywhere (stable between frames)
        var flat = Enumerable.Repeat(new byte[] { 128, 128, 128, 255 }, 64).SelectMany(p => p).ToArray();
        var idx = new byte[64];
        map.Map(flat, 8, 8, 32, idx);
        Assert.All(idx, i => Assert.Equal(1, i));
    }

    [Fact]
    public void Frame_diff_finds_the_changed_rectangle_and_makes_the_rest_transparent()
    {
        var prev = new byte[10 * 6];
        var cur = (byte[])prev.Clone();
        cur[2 * 10 + 3] = 5; cur[4 * 10 + 6] = 7;
        var r = FrameDiff.ChangedRect(prev, cur, 10, 6);
        Assert.Equal(new FrameDiff.Rect(3, 2, 4, 3), r);
        var dst = new byte[r.W * r.H];
        Assert.Equal(12, FrameDiff.Extract(prev, cur, 10, r, 255, dst));
        Assert.Equal(new byte[] { 5, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 7 }, dst);
        Assert.Equal(new FrameDiff.Rect(0, 0, 1, 1), FrameDiff.ChangedRect(prev, prev, 10, 6));
    }

    [Fact]
    public void Limited_range_expands_16_to_235_onto_0_to_255_saturating_in_vectors_and_the_tail()
    {
        var px = Enumerable.Range(0, 256).Select(i => (byte)i).Concat(new byte[] { 16, 235, 126, 5 }).ToArray();
        Lookback.Imaging.LimitedRange.Expand(px);
        for (var i = 0; i < 256; i++) Assert.InRange(px[i] - Math.Clamp((int)Math.Round((i - 16) * 255 / 219.0), 0, 255), -1, 1);
        Assert.Equal(new byte[] { 0, 255, 128, 0 }, px[256..]);
    }

    [Theory]
    [InlineData(true, 0)]
    [InlineData(false, 16)]
    public void A_gif_of_limited_range_jpegs_marked_by_ffmpeg_shows_their_black_as_black(bool marked, int expected)
    {
        // a flat frame of 16 (black in limited range), with ffmpeg's two comments (its version, then CS=ITU601) or without
        var rgb = Enumerable.Repeat((byte)16, 32 * 16 * 3).ToArray();
        var jpeg = Lookback.Imaging.Jpeg.Encode(rgb, 32, 16, 32 * 3, Lookback.Imaging.PixelFormat.Rgb, 95);
        if (marked)
        {
            var com = new byte[] { 0xFF, 0xFE, 0x00, 16 }.Concat("Lavc59.37.100\0"u8.ToArray())
                .Concat(new byte[] { 0xFF, 0xFE, 0x00, 12 }).Concat("CS=ITU601\0"u8.ToArray());
            jpeg = jpeg[..2].Concat(com).Concat(jpeg[2..]).ToArray();
        }
        Assert.Equal(marked, Lookback.Imaging.LimitedRange.IsLimited(jpeg));
        using var gif = new MemoryStream();
        GifEncoder.Encode([jpeg, jpeg], 4, 32, 16, gif);
        var table = gif.ToArray().AsSpan(13, 3); // the global colour table's first entry: the frame's one colour
        Assert.All(table.ToArray(), c => Assert.InRange(c, expected - 1, expected + 1));
    }

    [Fact]
    public void Delays_add_up_without_drift()
    {
        Assert.Equal(25, GifContainer.DelayCs(0, 4));
        Assert.Equal(100, Enumerable.Range(0, 3).Sum(i => GifContainer.DelayCs(i, 3)));
        Assert.Equal(1000, Enumerable.Range(0, 70).Sum(i => GifContainer.DelayCs(i, 7)));
    }

    [Fact]
    public void Budget_shrinks_width_first_then_frame_rate()
    {
        var frames = Enumerable.Range(0, 40).Select(_ => new ReadOnlyMemory<byte>([1])).ToList();
        var job = new GifJob(frames, 4, 480, 270);
        var a = GifBudget.Shrink(job, 40_000_000, 10_000_000)!;
        Assert.Equal(216, a.Width); Assert.Equal(122, a.Height); Assert.Equal(40, a.Frames.Count);
        var b = GifBudget.Shrink(a with { Width = 160, Height = 90 }, 20_000_000, 10_000_000)!;
        Assert.Equal(160, b.Width); Assert.Equal(20, b.Frames.Count); Assert.Equal(2, b.Rate);
        Assert.Equal("width 480→160, fps 4→2 to fit 10000000 bytes", GifBudget.Describe(job, b, 4, 10_000_000));
        Assert.Null(GifBudget.Describe(job, job, 4, 10_000_000));
        Assert.Null(GifBudget.Shrink(new GifJob([frames[0]], 4, 160, 90), 20, 10));
    }

    /// <summary>A plain GIF LZW decoder (code size byte, sub-blocks), written from the spec for the round trip.</summary>
    internal static byte[] LzwDecode(byte[] blocks)
    {
        int min = blocks[0], pos = 1;
        var data = new List<byte>();
        while (blocks[pos] != 0) { data.AddRange(blocks.AsSpan(pos + 1, blocks[pos]).ToArray()); pos += blocks[pos] + 1; }
        Assert.Equal(blocks.Length - 1, pos);
        int clear = 1 << min, eoi = clear + 1, size = min + 1, next = eoi + 1, bitPos = 0;
        var table = new List<byte[]>();
        void Reset() { table.Clear(); for (var i = 0; i < clear + 2; i++) table.Add([(byte)i]); size = min + 1; next = clear + 2; }
        Reset();
        var output = new List<byte>();
        byte[]? prev = null;
        while (true)
        {
            var code = 0;
            for (var b = 0; b < size; b++, bitPos++)
                if ((data[bitPos >> 3] >> (bitPos & 7) & 1) != 0) code |= 1 << b;
            if (code == clear) { Reset(); prev = null; continue; }
            if (code == eoi) break;
            byte[] entry;
            if (code < table.Count) entry = table[code];
            else if (code == next && prev is not null) entry = [.. prev, prev[0]];
            else throw new InvalidDataException($"bad code {code} (next {next})");
            output.AddRange(entry);
            if (prev is not null && next < 4096)
            {
                table.Add([.. prev, entry[0]]);
                next++;
                if (next == 1 << size && size < 12) size++;
            }
            prev = entry;
        }
        return output.ToArray();
    }
}
