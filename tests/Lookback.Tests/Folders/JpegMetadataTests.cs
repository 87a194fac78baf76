using Lookback.Sources;
using Lookback.Sources.Folder;
using static Lookback.Tests.Folders.FolderTestKit;
using Lookback.Imaging;

namespace Lookback.Tests.Folders;

public class JpegMetadataTests
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Reads_comment_and_exif_time_in_both_byte_orders(bool little)
    {
        var jpeg = WithSegments(Jpeg(), Exif("2026:01:05 17:30:12", little), Comment("Alarm: line crossing ch1"));
        Assert.Null(JpegValidator.Validate(jpeg)); // still a valid JPEG
        var m = JpegMetadata.Read(jpeg);
        Assert.Equal("Alarm: line crossing ch1", m.Comment);
        Assert.Equal(new DateTime(2026, 1, 5, 17, 30, 12), m.ExifTime);
        Assert.Null(m.ExifOffset);
        Assert.Equal("2026-01-05T17:30:12", m.ExifTimeText);
    }

    [Fact]
    public void Offset_and_subseconds_when_present()
    {
        var m = JpegMetadata.Read(WithSegments(Jpeg(), Exif("2026:07:01 08:00:00", false, "+02:00", "25")));
        Assert.Equal(new DateTime(2026, 7, 1, 8, 0, 0, 250), m.ExifTime);
        Assert.Equal(TimeSpan.FromHours(2), m.ExifOffset);
        Assert.Equal("2026-07-01T08:00:00.250+02:00", m.ExifTimeText);
        Assert.Equal(new DateTimeOffset(2026, 7, 1, 6, 0, 0, 250, TimeSpan.Zero), m.ExifInstant());
    }

    [Fact]
    public void Latin1_comment_and_control_characters()
    {
        var m = JpegMetadata.Read(WithSegments(Jpeg(), (0xFE, [(byte)'C', 0xE9, (byte)'\r', (byte)'x', 0, 0])));
        Assert.Equal("Cé x", m.Comment);
    }

    [Fact]
    public void Nothing_in_a_plain_jpeg() => Assert.Same(JpegMetadata.None, JpegMetadata.Read(Jpeg()));

    [Fact]
    public void Never_throws_on_damaged_data()
    {
        var good = WithSegments(Jpeg(), Exif("2026:01:05 17:30:12"), Comment("hello"));
        var rnd = new Random(7);
        for (var cut = 0; cut < 200; cut++) JpegMetadata.Read(good.AsSpan(0, Math.Min(cut, good.Length)));
        for (var i = 0; i < 2000; i++)
        {
            var bad = (byte[])good.Clone();
            for (var k = 0; k < 3; k++) bad[rnd.Next(2, 140)] = (byte)rnd.Next(256);
            JpegMetadata.Read(bad); // must not throw
        }
        Assert.Null(JpegMetadata.Exif("MM\0\x2a\xff\xff\xff\xff"u8).Item1); // IFD0 offset beyond the data
        Assert.Null(JpegMetadata.Read(WithSegments(Jpeg(), Exif("2026:13:45 99:00:00"))).ExifTime); // impossible date
    }
}
