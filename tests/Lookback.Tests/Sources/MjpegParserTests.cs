using System.Text;
using Lookback.Sources;
using Lookback.Imaging;

namespace Lookback.Tests.Sources;

public class MjpegParserTests
{
    public enum Cl { Correct, Absent, Short, Long, WayLong }

    /// <summary>How a camera writes its stream.</summary>
    public sealed record Style(
        string Name,
        string? ContentTypeBoundary,      // as written in the Content-Type header (null: none)
        string Delimiter,                // as written in the stream before each part
        string NL = "\r\n",
        Cl ContentLength = Cl.Correct,
        string Junk = "",
        bool ExtraHeaders = false,
        bool NoBlankLine = false,
        bool NoNewlineAfterFrame = false,
        bool Raw = false)
    {
        public override string ToString() => Name;
    }

    public static readonly Style[] Styles =
    [
        new("standard", "myboundary", "--myboundary"),
        new("quoted-with-dashes-in-header", "\"--myboundary\"", "--myboundary"),
        new("dashes-in-header-and-stream", "--myboundary", "----myboundary"),
        new("no-dashes-in-stream", "myboundary", "myboundary"),
        new("lf-only", "myboundary", "--myboundary", NL: "\n"),
        new("no-content-length", "myboundary", "--myboundary", ContentLength: Cl.Absent),
        new("no-content-length-lf", "\"myboundary\"", "--myboundary", NL: "\n", ContentLength: Cl.Absent),
        new("content-length-short", "myboundary", "--myboundary", ContentLength: Cl.Short),
        new("content-length-long", "myboundary", "--myboundary", ContentLength: Cl.Long),
        new("content-length-way-long", "myboundary", "--myboundary", ContentLength: Cl.WayLong),
        new("junk-before-first-boundary", "myboundary", "--myboundary", Junk: "HTTP/1.0 200 OK\r\nServer: junk\r\n\r\n\x01\x02garbage bytes\r\n"),
        new("extra-headers", "myboundary", "--myboundary", ExtraHeaders: true),
        new("no-blank-line-after-headers", "myboundary", "--myboundary", NoBlankLine: true),
        new("no-newline-after-frame", "myboundary", "--myboundary", ContentLength: Cl.Absent, NoNewlineAfterFrame: true),
        new("boundary-not-in-header", null, "--detected", ContentLength: Cl.Absent),
        new("bare-jpegs", null, "", Raw: true),
        new("boundary-mismatch-falls-back-to-soi", "expected", "--actual", ContentLength: Cl.Absent),
    ];

    public static TheoryData<Style> AllStyles()
    {
        var d = new TheoryData<Style>();
        foreach (var s in Styles) d.Add(s);
        return d;
    }

    internal static byte[] Build(Style s, IReadOnlyList<byte[]> frames)
    {
        var ms = new MemoryStream();
        void W(string t) => ms.Write(Encoding.Latin1.GetBytes(t));
        W(s.Junk);
        foreach (var f in frames)
        {
            if (s.Raw) { ms.Write(f); continue; }
            W(s.Delimiter + s.NL);
            W("Content-Type: image/jpeg" + s.NL);
            if (s.ExtraHeaders) W("X-Timestamp: 1700000000.123" + s.NL + "X-Odd: a: b; c=\"d\"" + s.NL);
            var cl = s.ContentLength switch
            {
                Cl.Correct => f.Length,
                Cl.Short => f.Length - 100,
                Cl.Long => f.Length + 100,
                Cl.WayLong => f.Length * 10,
                _ => -1,
            };
            if (cl >= 0) W($"Content-Length: {cl}" + s.NL);
            if (!s.NoBlankLine) W(s.NL);
            ms.Write(f);
            if (!s.NoNewlineAfterFrame) W(s.NL);
        }
        if (!s.Raw)
        {
            // the next part starts (as on a live stream): closes the last part, and is long enough for any Content-Length
            W(s.Delimiter + s.NL + "Content-Type: image/jpeg" + s.NL + s.NL);
            ms.Write(new byte[s.ContentLength switch { Cl.WayLong => frames.Max(f => f.Length) * 10, Cl.Long => 200, _ => 0 }]);
        }
        return ms.ToArray();
    }

    internal static List<byte[]> Parse(MjpegParser p, byte[] stream, IEnumerable<int> chunkSizes)
    {
        var got = new List<byte[]>();
        var pos = 0;
        using var sizes = chunkSizes.GetEnumerator();
        while (pos < stream.Length)
        {
            var n = sizes.MoveNext() ? Math.Clamp(sizes.Current, 1, stream.Length - pos) : stream.Length - pos;
            p.Feed(stream.AsSpan(pos, n));
            pos += n;
            while (p.TryRead(out var jpeg)) got.Add(jpeg.ToArray());
        }
        return got;
    }

    private static MjpegParser NewParser(Style s, int max = 8 * 1024 * 1024) =>
        new(s.ContentTypeBoundary is null ? null : MjpegParser.BoundaryFromContentType("multipart/x-mixed-replace; boundary=" + s.ContentTypeBoundary), max);

    private static void AssertSameFrames(IReadOnlyList<byte[]> expected, IReadOnlyList<byte[]> actual)
    {
        Assert.Equal(expected.Count, actual.Count);
        for (var i = 0; i < expected.Count; i++) Assert.True(expected[i].AsSpan().SequenceEqual(actual[i]), $"frame {i} differs");
    }

    private static readonly byte[][] Frames = TestJpegs.Frames(3, 64, 48);

    [Theory]
    [MemberData(nameof(AllStyles))]
    public void Whole_stream_in_one_chunk(Style style)
    {
        using var p = NewParser(style);
        AssertSameFrames(Frames, Parse(p, Build(style, Frames), []));
        Assert.Equal(0, p.OversizeParts);
    }

    [Theory]
    [MemberData(nameof(AllStyles))]
    public void One_byte_at_a_time(Style style)
    {
        using var p = NewParser(style);
        AssertSameFrames(Frames, Parse(p, Build(style, Frames), Enumerable.Repeat(1, int.MaxValue)));
    }

    [Theory]
    [MemberData(nameof(AllStyles))]
    public void Random_split_points(Style style)
    {
        var stream = Build(style, Frames);
        for (var seed = 0; seed < 20; seed++)
        {
            var rnd = new Random(seed);
            using var p = NewParser(style);
            AssertSameFrames(Frames, Parse(p, stream, Enumerable.Range(0, int.MaxValue).Select(_ => rnd.Next(1, 3000))));
        }
    }

    [Theory]
    [MemberData(nameof(AllStyles))]
    public void Split_in_two_at_every_position(Style style)
    {
        var small = TestJpegs.Frames(2, 16, 16);
        var stream = Build(style, small);
        var limit = style.ContentLength == Cl.WayLong ? stream.Length - small.Max(f => f.Length) * 10 : stream.Length; // up to the padding
        for (var at = 1; at < limit; at++)
        {
            using var p = NewParser(style);
            var got = Parse(p, stream, [at]);
            Assert.True(got.Count == small.Length, $"split at {at}: {got.Count} frames");
            AssertSameFrames(small, got);
        }
    }

    [Fact]
    public void Property_n_frames_in_n_frames_out_byte_identical()
    {
        var pool = Enumerable.Range(1, 12).Select(i => TestJpegs.Make(16 + i * 8, 16 + i * 4, seed: i)).ToArray();
        for (var seed = 0; seed < 60; seed++)
        {
            var rnd = new Random(seed);
            var style = Styles[rnd.Next(Styles.Length)];
            var frames = Enumerable.Range(0, rnd.Next(1, 15)).Select(_ => pool[rnd.Next(pool.Length)]).ToArray();
            using var p = NewParser(style);
            var got = Parse(p, Build(style, frames), Enumerable.Range(0, int.MaxValue).Select(_ => rnd.Next(1, 700)));
            Assert.True(got.Count == frames.Length, $"seed {seed}, style {style}: {got.Count} of {frames.Length}");
            AssertSameFrames(frames, got);
        }
    }

    [Theory]
    [InlineData("multipart/x-mixed-replace; boundary=myboundary", "myboundary")]
    [InlineData("multipart/x-mixed-replace;boundary=\"--myboundary\"", "--myboundary")]
    [InlineData("multipart/x-mixed-replace; charset=x; BOUNDARY = abc ", "abc")]
    [InlineData("multipart/x-mixed-replace", null)]
    [InlineData(null, null)]
    public void Boundary_from_content_type(string? contentType, string? expected) =>
        Assert.Equal(expected, MjpegParser.BoundaryFromContentType(contentType));

    [Theory]
    [InlineData(Cl.Correct)]
    [InlineData(Cl.Absent)]
    [InlineData(Cl.WayLong)]
    public void Oversize_parts_are_skipped_and_counted(Cl cl)
    {
        var small = TestJpegs.Make(32, 32, seed: 5);
        var big = TestJpegs.Make(400, 300, seed: 6);
        Assert.True(big.Length > 4000 && small.Length < 4000);
        var frames = new[] { small, big, small, big, big, small };
        var style = new Style("s", "b", "--b", ContentLength: cl);
        using var p = new MjpegParser("b", maxFrameBytes: 4000);
        var got = Parse(p, Build(style, frames), Enumerable.Repeat(1500, int.MaxValue));
        AssertSameFrames([small, small, small], got);
        Assert.Equal(cl == Cl.WayLong ? 4 : 3, p.OversizeParts); // way-long: the padding after the last part is one more
        Assert.Equal("frame larger than 4000 bytes", p.LastProblem);
        Assert.True(p.Buffered < 64 * 1024, $"buffered {p.Buffered}");
    }

    [Fact]
    public void Oversize_bare_jpegs_are_skipped()
    {
        var small = TestJpegs.Make(32, 32, seed: 5);
        var big = TestJpegs.Make(400, 300, seed: 6);
        using var p = new MjpegParser(null, maxFrameBytes: 4000);
        var got = Parse(p, [.. small, .. big, .. small], Enumerable.Repeat(700, int.MaxValue));
        Assert.Equal(1, p.OversizeParts);
        Assert.Contains(got, g => g.AsSpan().SequenceEqual(small));
    }

    [Fact]
    public void Part_that_is_not_a_complete_jpeg_is_dropped_and_the_stream_resyncs()
    {
        var f = TestJpegs.Frames(3, 64, 48);
        var truncated = f[1][..(f[1].Length / 2)];
        var ms = new MemoryStream();
        void W(string t) => ms.Write(Encoding.ASCII.GetBytes(t));
        foreach (var (jpeg, cl) in new[] { (f[0], f[0].Length), (truncated, f[1].Length), (f[2], f[2].Length) })
        {
            W($"--b\r\nContent-Type: image/jpeg\r\nContent-Length: {cl}\r\n\r\n");
            ms.Write(jpeg);
            W("\r\n");
        }
        W("--b\r\nContent-Type: image/jpeg\r\n\r\n");
        ms.Write(new byte[20000]);
        using var p = new MjpegParser("b");
        var got = Parse(p, ms.ToArray(), Enumerable.Repeat(333, int.MaxValue));
        AssertSameFrames([f[0], f[2]], got);
        Assert.Equal(1, p.InvalidParts);
    }

    [Fact]
    public void Bare_jpeg_with_embedded_thumbnail_ends_at_the_outer_eoi()
    {
        var outer = TestJpegs.Make(64, 48, seed: 9);
        var thumb = TestJpegs.Make(16, 16, seed: 10);
        var app1 = new List<byte> { 0xFF, 0xE1 };
        var payload = Encoding.ASCII.GetBytes("Exif\0\0").Concat(thumb).ToArray();
        app1.Add((byte)((payload.Length + 2) >> 8));
        app1.Add((byte)((payload.Length + 2) & 0xFF));
        app1.AddRange(payload);
        byte[] withThumb = [0xFF, 0xD8, .. app1, .. outer.AsSpan(2)];
        Assert.Null(JpegValidator.Validate(withThumb));
        using var p = new MjpegParser(null);
        var got = Parse(p, [.. withThumb, .. outer], Enumerable.Repeat(1, int.MaxValue));
        AssertSameFrames([withThumb, outer], got);
    }

    [Fact]
    public void InFrame_tells_a_stream_cut_mid_part()
    {
        var f = TestJpegs.Make(64, 48);
        var stream = Build(Styles[0], [f]);
        using var p = new MjpegParser("myboundary");
        var cut = stream.AsSpan(0, 60 + f.Length / 2);
        p.Feed(cut);
        Assert.False(p.TryRead(out _));
        Assert.True(p.InFrame);
    }

    [Fact]
    public void Reads_straight_into_the_parser_buffer()
    {
        var stream = Build(Styles[0], Frames);
        using var p = new MjpegParser("myboundary");
        var got = new List<byte[]>();
        for (var pos = 0; pos < stream.Length;)
        {
            var mem = p.GetMemory(1000).Span;
            var n = Math.Min(Math.Min(mem.Length, 777), stream.Length - pos);
            stream.AsSpan(pos, n).CopyTo(mem);
            p.Advance(n);
            pos += n;
            while (p.TryRead(out var j)) got.Add(j.ToArray());
        }
        AssertSameFrames(Frames, got);
    }
}
