using System.Text;
using Lookback.Sources;
using Lookback.Imaging;

namespace Lookback.Tests.Sources;

public class JpegValidatorTests
{
    [Fact]
    public void Valid_jpeg_passes_and_has_its_size()
    {
        var jpeg = TestJpegs.Make(320, 240);
        Assert.Null(JpegValidator.Validate(jpeg));
        Assert.True(JpegValidator.TryGetSize(jpeg, out var w, out var h));
        Assert.Equal((320, 240), (w, h));
    }

    [Fact]
    public void Trailing_zero_padding_is_allowed()
    {
        byte[] jpeg = [.. TestJpegs.Make(64, 48), 0, 0, 0, 0];
        Assert.Null(JpegValidator.Validate(jpeg));
    }

    [Fact]
    public void Progressive_jpeg_from_ffmpeg_passes()
    {
        // SOF2 header hand-made: SOI, SOF2 (8 bit, 16x8, 1 component), SOS, one byte of data, EOI
        byte[] jpeg = [0xFF, 0xD8, 0xFF, 0xC2, 0, 11, 8, 0, 8, 0, 16, 1, 1, 0x11, 0, 0xFF, 0xDA, 0, 8, 1, 1, 0, 0, 63, 0, 0x12, 0xFF, 0xD9];
        Assert.Null(JpegValidator.Validate(jpeg));
        Assert.True(JpegValidator.TryGetSize(jpeg, out var w, out var h));
        Assert.Equal((16, 8), (w, h));
    }

    [Fact]
    public void Html_is_not_a_jpeg() =>
        Assert.Equal("not a JPEG (starts with '<htm')", JpegValidator.Validate(Encoding.ASCII.GetBytes("<html><body>login</body></html>")));

    [Fact]
    public void Empty_is_not_a_jpeg() => Assert.Equal("not a JPEG (empty)", JpegValidator.Validate([]));

    [Fact]
    public void Truncated_jpeg_has_no_eoi()
    {
        var jpeg = TestJpegs.Make(320, 240);
        Assert.Equal("truncated JPEG (no EOI marker)", JpegValidator.Validate(jpeg.AsSpan(0, jpeg.Length * 6 / 10)));
        Assert.Equal("truncated JPEG (no EOI marker)", JpegValidator.Validate(jpeg.AsSpan(0, 10)));
    }

    [Fact]
    public void Segment_length_past_the_end_is_corrupt()
    {
        var jpeg = (byte[])TestJpegs.Make(64, 48).Clone();
        jpeg[4] = 0xFF; jpeg[5] = 0xF0;
        Assert.Equal("corrupt JPEG (segment length past end)", JpegValidator.Validate(jpeg));
    }

    [Fact]
    public void Missing_frame_header()
    {
        byte[] jpeg = [0xFF, 0xD8, 0xFF, 0xE0, 0, 4, 0, 0, 0xFF, 0xDA, 0, 8, 1, 1, 0, 0, 63, 0, 0x12, 0xFF, 0xD9];
        Assert.Equal("no frame header", JpegValidator.Validate(jpeg));
    }

    [Fact]
    public void Zero_width_is_corrupt()
    {
        byte[] jpeg = [0xFF, 0xD8, 0xFF, 0xC0, 0, 11, 8, 0, 8, 0, 0, 1, 1, 0x11, 0, 0xFF, 0xDA, 0, 8, 1, 1, 0, 0, 63, 0, 0x12, 0xFF, 0xD9];
        Assert.NotNull(JpegValidator.Validate(jpeg));
        Assert.False(JpegValidator.TryGetSize(jpeg, out _, out _));
    }

    [Fact]
    public void Every_prefix_of_a_jpeg_is_rejected_without_throwing()
    {
        var jpeg = TestJpegs.Make(64, 48);
        for (var n = 0; n < jpeg.Length - 1; n++) Assert.NotNull(JpegValidator.Validate(jpeg.AsSpan(0, n)));
    }

    [Fact]
    public void Random_corruption_never_throws()
    {
        var jpeg = TestJpegs.Make(64, 48);
        var rnd = new Random(1);
        for (var i = 0; i < 5000; i++)
        {
            var b = (byte[])jpeg.Clone();
            for (var k = 0; k < 3; k++) b[rnd.Next(b.Length)] = (byte)rnd.Next(256);
            _ = JpegValidator.Validate(b);
            _ = JpegValidator.TryGetSize(b, out _, out _);
        }
    }
}
