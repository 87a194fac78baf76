using Lookback.Config;
using Lookback.Sources.Folder;

namespace Lookback.Tests.Folders;

public class FileTimePatternTests
{
    private static readonly TimeZoneInfo Plus1 = TimeZoneInfo.CreateCustomTimeZone("t+1", TimeSpan.FromHours(1), "t+1", "t+1");

    [Theory]
    [InlineData("yyyyMMdd_HHmmss", "cam1_20260105_173012.jpg", "2026-01-05T17:30:12+01:00")]
    [InlineData("yyyyMMdd_HHmmss", "sub/x/20260105_173012_ch1.JPG", "2026-01-05T17:30:12+01:00")]
    [InlineData("yyyy-MM-dd HH.mm.ss", "Front 2026-01-05 17.30.12.jpg", "2026-01-05T17:30:12+01:00")]
    [InlineData("*_{yyyyMMddHHmmss}*.jpg", "FD_01_20260105173012123_MOTION.jpg", "2026-01-05T17:30:12+01:00")]
    [InlineData("*_{yyyyMMddHHmmssfff}_*.jpg", "FD_01_20260105173012123_MOTION.jpg", "2026-01-05T17:30:12.123+01:00")]
    [InlineData("IMG_{yyMMdd-HHmm}.jpg", "img_260105-1730.jpg", "2026-01-05T17:30:00+01:00")]
    [InlineData("{yyyy-MM-dd}/*_{HHmmss}.jpg", "2026-01-05/snap_173012.jpg", "2026-01-05T17:30:12+01:00")]
    [InlineData("**/{yyyyMMdd}/{HH}/{mm}{ss}.jpg", "cam/20260105/17/3012.jpg", "2026-01-05T17:30:12+01:00")]
    [InlineData("*-{unix}.jpg", "snap-1767630612.jpg", "2026-01-05T16:30:12+00:00")]
    [InlineData("{unixms}.jpg", "1767630612123.jpg", "2026-01-05T16:30:12.123+00:00")]
    public void Reads_the_time(string pattern, string path, string expected)
    {
        var p = FileTimePattern.Parse(pattern);
        Assert.Equal(DateTimeOffset.Parse(expected), p.TryGetTime(path, Plus1));
    }

    [Theory]
    [InlineData("yyyyMMdd_HHmmss", "cam1_120260105_173012.jpg")]   // inside a longer run of digits
    [InlineData("yyyyMMdd_HHmmss", "cam1_20261305_173012.jpg")]    // month 13
    [InlineData("yyyyMMdd_HHmmss", "cam1_20260230_173012.jpg")]    // 30 February
    [InlineData("*_{yyyyMMddHHmmss}.jpg", "FD_20260105173012_x.jpg")] // glob must match the whole name
    [InlineData("{yyyy-MM-dd}/*_{HHmmss}.jpg", "snap_173012.jpg")]    // no folder
    public void No_time_when_it_does_not_match(string pattern, string path) =>
        Assert.Null(FileTimePattern.Parse(pattern).TryGetTime(path, Plus1));

    [Fact]
    public void Bare_format_takes_the_first_valid_date() =>
        Assert.Equal(new DateTimeOffset(2026, 1, 5, 17, 30, 12, TimeSpan.FromHours(1)),
            FileTimePattern.Parse("yyyyMMddHHmmss").TryGetTime("99999999999999_20260105173012.jpg", Plus1));

    [Theory]
    [InlineData("", "must not be empty")]
    [InlineData("HHmmss", "missing yyyy, MM, dd")]
    [InlineData("yyyyMMdd_hhmmss", "unknown time field 'hh', did you mean HH (24-hour)?")]
    [InlineData("yyyyMMdd_HHmmss_X", "unknown time field 'X'")]
    [InlineData("*_{yyyyMMdd_HHmmss.jpg", "no matching '}'")]
    [InlineData("*_yyyyMMdd}.jpg", "no matching '{'")]
    [InlineData("*_{}.jpg", "is empty")]
    [InlineData("{yyyy}{yyyy}MMddHHmm", "appears twice")]
    public void Rejects_bad_patterns(string pattern, string fragment)
    {
        Assert.False(FileTimePattern.TryParse(pattern, out _, out var error));
        Assert.Contains(fragment, error);
    }
}
