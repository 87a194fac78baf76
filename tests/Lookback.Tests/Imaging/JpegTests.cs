using Lookback.Imaging;

namespace Lookback.Tests.Imaging;

public class JpegTests
{
    [Fact]
    public void Encode_then_header_reports_size()
    {
        var jpeg = TestImages.Jpeg(320, 240);
        Assert.Equal(0xFF, jpeg[0]); Assert.Equal(0xD8, jpeg[1]);
        Assert.True(Jpeg.TryReadHeader(jpeg, out var w, out var h));
        Assert.Equal((320, 240), (w, h));
    }

    [Theory]
    [InlineData(new byte[0])]
    [InlineData(new byte[] { 1, 2, 3, 4, 5, 6 })]
    [InlineData(new byte[] { 0xFF, 0xD8, 0xFF })]
    [InlineData(new byte[] { 0xFF, 0xD8, 0xFF, 0xE0, 0, 16, 0x4A, 0x46 })]
    public void TryReadHeader_is_false_for_garbage(byte[] data)
    {
        Assert.False(Jpeg.TryReadHeader(data, out var w, out var h));
        Assert.Equal((0, 0), (w, h));
    }

    [Theory]
    [InlineData(1080, 1, 1)]      // needs full height
    [InlineData(541, 1, 1)]
    [InlineData(540, 1, 2)]
    [InlineData(271, 1, 2)]
    [InlineData(270, 1, 4)]
    [InlineData(135, 1, 8)]
    [InlineData(20, 1, 8)]        // 1/8 is the smallest
    [InlineData(5000, 1, 1)]      // smaller than asked: full size
    public void DecodeGray_picks_the_smallest_scale_keeping_min_height(int minHeight, int num, int den)
    {
        var jpeg = TestImages.Jpeg(1920, 1080);
        var img = Jpeg.DecodeGray(jpeg, minHeight);
        Assert.Equal((num, den), (img.ScaleNumerator, img.ScaleDenominator));
        Assert.Equal((1920 * num + den - 1) / den, img.Width);
        Assert.Equal((1080 * num + den - 1) / den, img.Height);
        Assert.Equal(img.Width, img.Stride);
        Assert.Equal(PixelFormat.Gray, img.Format);
        Assert.Null(img.Warning);
    }

    [Fact]
    public void DecodeGray_gives_luma()
    {
        var gray = Jpeg.DecodeGray(TestImages.Uniform(64, 48, 128, 128, 128), 1);
        Assert.All(gray.Span.ToArray(), v => Assert.InRange(v, 125, 131));
        var red = Jpeg.DecodeGray(TestImages.Uniform(64, 48, 255, 0, 0), 48);
        Assert.All(red.Span.ToArray(), v => Assert.InRange(v, 72, 80));   // 0.299 * 255 = 76
    }

    [Fact]
    public void DecodeGray_reuses_the_image_without_allocating()
    {
        var a = TestImages.Jpeg(1280, 720, seed: 1);
        var b = TestImages.Jpeg(1280, 720, seed: 2);
        var img = Jpeg.DecodeGray(a, 180);
        var pixels = img.Pixels;
        Jpeg.DecodeGray(b, 180, img);   // warm-up of this thread's handle
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 20; i++) Assert.Same(img, Jpeg.DecodeGray(i % 2 == 0 ? a : b, 180, img));
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Same(pixels, img.Pixels);
        Assert.True(allocated < 1024, $"allocated {allocated} bytes in 20 decodes");
    }

    [Fact]
    public void DecodeGray_grows_a_small_reuse_image()
    {
        var img = new GrayImage(10, 10);
        Jpeg.DecodeGray(TestImages.Jpeg(640, 480), 480, img);
        Assert.Equal((640, 480), (img.Width, img.Height));
        Assert.True(img.Pixels.Length >= 640 * 480);
    }

    [Theory]
    [InlineData(PixelFormat.Rgba, 1)]
    [InlineData(PixelFormat.Rgb, 2)]
    [InlineData(PixelFormat.Bgra, 4)]
    public void DecodeRgb_roundtrips_colours(PixelFormat format, int den)
    {
        var img = Jpeg.DecodeRgb(TestImages.Uniform(128, 64, 200, 40, 90), den, format);
        Assert.Equal((128 / den, 64 / den), (img.Width, img.Height));
        var bpp = format.BytesPerPixel();
        var (ri, bi) = format == PixelFormat.Bgra ? (2, 0) : (0, 2);
        for (var i = 0; i < img.Width * img.Height; i += 97)
        {
            var p = img.Span.Slice(i * bpp, bpp);
            Assert.InRange(p[ri], 194, 206); Assert.InRange(p[1], 34, 46); Assert.InRange(p[bi], 84, 96);
            if (bpp == 4) Assert.Equal(255, p[3]);
        }
    }

    [Fact]
    public void DecodeRgb_rejects_other_scales_and_mismatched_reuse()
    {
        var jpeg = TestImages.Jpeg(64, 64);
        Assert.Throws<ArgumentOutOfRangeException>(() => Jpeg.DecodeRgb(jpeg, 3));
        Assert.Throws<ArgumentException>(() => Jpeg.DecodeRgb(jpeg, 1, PixelFormat.Rgba, new GrayImage()));
    }

    [Fact]
    public void DecodeForWidth_uses_eighths()
    {
        var img = Jpeg.DecodeForWidth(TestImages.Jpeg(1920, 1080), 640);
        Assert.Equal((3, 8), (img.ScaleNumerator, img.ScaleDenominator));   // 720 px: 1/4 would be 480
        Assert.Equal(720, img.Width);
    }

    [Fact]
    public void Corrupt_data_throws_JpegException_with_turbojpeg_message()
    {
        var ex = Assert.Throws<JpegException>(() => Jpeg.DecodeGray(new byte[] { 0xFF, 0xD8, 0xFF, 0xE0, 1, 2, 3, 4, 5 }, 10));
        Assert.False(string.IsNullOrWhiteSpace(ex.Message));
        Assert.Throws<JpegException>(() => Jpeg.DecodeRgb(ReadOnlySpan<byte>.Empty));
        Assert.Throws<JpegException>(() => Jpeg.Resize(new byte[100], 64));
    }

    [Fact]
    public void Truncated_jpeg_decodes_with_a_warning()
    {
        var jpeg = TestImages.Jpeg(640, 480);
        var img = Jpeg.DecodeGray(jpeg.AsSpan(0, jpeg.Length / 2), 120);
        Assert.Equal((160, 120), (img.Width, img.Height));
        Assert.NotNull(img.Warning);
        Jpeg.DecodeGray(jpeg, 120, img);
        Assert.Null(img.Warning);
    }

    [Fact]
    public void Fuzzed_jpegs_never_crash()
    {
        var good = TestImages.Jpeg(160, 120, quality: 70);
        var rnd = new Random(42);
        var gray = new GrayImage();
        for (var i = 0; i < 300; i++)
        {
            var bad = (byte[])good.Clone();
            var flips = 1 + rnd.Next(8);
            for (var k = 0; k < flips; k++) bad[rnd.Next(bad.Length)] = (byte)rnd.Next(256);
            var len = rnd.Next(4) == 0 ? rnd.Next(bad.Length) : bad.Length;
            try
            {
                if (Jpeg.TryReadHeader(bad.AsSpan(0, len), out _, out _))
                {
                    Jpeg.DecodeGray(bad.AsSpan(0, len), 30, gray);
                    Jpeg.DecodeRgb(bad.AsSpan(0, len), 2);
                }
            }
            catch (JpegException) { }
        }
    }

    [Fact]
    public void Encode_validates_arguments()
    {
        var px = new byte[100 * 4 * 10];
        Assert.Throws<ArgumentException>(() => Jpeg.Encode(px, 100, 11, 400, PixelFormat.Rgba));
        Assert.Throws<ArgumentOutOfRangeException>(() => Jpeg.Encode(px, 100, 10, 399, PixelFormat.Rgba));
        Assert.Throws<ArgumentOutOfRangeException>(() => Jpeg.Encode(px, 100, 10, 400, PixelFormat.Rgba, quality: 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => Jpeg.Encode(px, 0, 10, 400, PixelFormat.Rgba));
        var gray = Jpeg.Encode(px, 400, 10, 400, PixelFormat.Gray);   // gray input → gray JPEG
        Assert.True(Jpeg.TryReadHeader(gray, out var w, out _));
        Assert.Equal(400, w);
    }

    [Fact]
    public void Resize_returns_input_when_narrow_enough()
    {
        var jpeg = TestImages.Jpeg(640, 360);
        Assert.Equal(jpeg, Jpeg.Resize(jpeg, 640));
        Assert.Equal(jpeg, Jpeg.Resize(jpeg, 1000));
    }

    [Theory]
    [InlineData(1920, 1080, 640, 360)]
    [InlineData(1000, 500, 640, 320)]
    [InlineData(2560, 1920, 640, 480)]
    [InlineData(700, 700, 123, 123)]
    public void Resize_gives_exact_width_and_aspect(int w, int h, int max, int expectedH)
    {
        var small = Jpeg.Resize(TestImages.Jpeg(w, h), max);
        Assert.True(Jpeg.TryReadHeader(small, out var sw, out var sh));
        Assert.Equal((max, expectedH), (sw, sh));
        // The picture survives: the gradient's left column is dark red-free, the right column red.
        var img = Jpeg.DecodeRgb(small, 1, PixelFormat.Rgb);
        var mid = img.Height / 2;
        Assert.True(img.Row(mid)[0] < 40, $"left red {img.Row(mid)[0]}");
        Assert.True(img.Row(mid)[(sw - 1) * 3] > 215, $"right red {img.Row(mid)[(sw - 1) * 3]}");
    }

    [Fact]
    public void FitForMqtt_keeps_small_jpegs_and_shrinks_big_ones()
    {
        var small = TestImages.Jpeg(320, 240);
        Assert.Equal(small, Jpeg.FitForMqtt(small));

        var noisy = TestImages.NoiseJpeg(1920, 1080, 95, 7);          // ~ 1.5 MB of noise
        Assert.True(noisy.Length > 256 * 1024);
        var fit = Jpeg.FitForMqtt(noisy, 640, 256 * 1024);
        Assert.True(fit.Length <= 256 * 1024);
        Assert.True(Jpeg.TryReadHeader(fit, out var w, out _));
        Assert.Equal(640, w);

        var tight = Jpeg.FitForMqtt(noisy, 640, 8 * 1024);            // needs lower quality and a smaller width
        Assert.True(tight.Length <= 8 * 1024, $"{tight.Length} bytes");
        Assert.True(Jpeg.TryReadHeader(tight, out var tw, out _));
        Assert.True(tw < 640);
    }

    [Fact]
    public void Decoding_is_thread_safe()
    {
        var jpegs = Enumerable.Range(0, 4).Select(i => TestImages.Jpeg(640, 360, seed: i)).ToArray();
        var expected = jpegs.Select(j => Jpeg.DecodeGray(j, 90).Span.ToArray()).ToArray();
        Parallel.For(0, 200, new ParallelOptions { MaxDegreeOfParallelism = 4 }, i =>
        {
            var img = Jpeg.DecodeGray(jpegs[i % 4], 90);
            Assert.True(img.Span.SequenceEqual(expected[i % 4]));
            Jpeg.Encode(img, 70);
        });
    }
}
