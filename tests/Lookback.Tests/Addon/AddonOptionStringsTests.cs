using Lookback.Config;
using Lookback.Addon;

namespace Lookback.Tests.Addon;

public class AddonOptionStringsTests
{
    [Fact]
    public void Parses_polygons()
    {
        Assert.True(AddonOptionStrings.TryParsePolygons("0,0 0.2,0 0.2,0.2; 0.8,0.8 1,0.8 1,1;", out var polys, out var err), err);
        Assert.Equal(2, polys.Count);
        Assert.Equal(3, polys[0].Points.Count);
        Assert.Equal(0.2, polys[0].Points[1].X);
        Assert.Equal(1, polys[1].Points[2].Y);
        Assert.True(AddonOptionStrings.TryParsePolygons("  ", out var none, out _));
        Assert.Empty(none);
        Assert.True(AddonOptionStrings.TryParsePolygons(null, out _, out _));
    }

    [Theory]
    [InlineData("0,0 1,1", "at least 3 points")]
    [InlineData("0,0 1,1 1.5,0", "outside 0..1")]
    [InlineData("0,0 1;1 1,0", "x,y")]
    [InlineData("0,0 0.5,0 0,5", "outside 0..1")]
    [InlineData("a,b 1,1 0,1", "x,y")]
    public void Rejects_bad_polygons(string text, string mentions)
    {
        Assert.False(AddonOptionStrings.TryParsePolygons(text, out _, out var error));
        Assert.Contains(mentions, error);
    }

    [Fact]
    public void Parses_zones()
    {
        Assert.True(AddonOptionStrings.TryParseZones("door: 0,0 0.5,0 0.5,1 0,1; path: 0.5,0.5 1,0.5 1,1", out var zones, out var err), err);
        Assert.Equal(["door", "path"], zones.Keys.Order().ToArray());
        Assert.Equal(4, zones["door"].Points.Count);
        Assert.False(AddonOptionStrings.TryParseZones("0,0 1,0 1,1", out _, out _));
        Assert.False(AddonOptionStrings.TryParseZones("a: 0,0 1,0 1,1; a: 0,0 1,0 1,1", out _, out var dup));
        Assert.Contains("twice", dup);
    }

    [Fact]
    public void Parses_match_as_json_or_pairs()
    {
        Assert.True(AddonOptionStrings.TryParseMatch("""{"action": "single", "battery": 100, "ok": true}""", out var m, out _));
        Assert.Equal("single", m["action"]);
        Assert.Equal("100", m["battery"]);
        Assert.Equal("true", m["ok"]);
        Assert.True(AddonOptionStrings.TryParseMatch("action=single, battery = 100", out var p, out _));
        Assert.Equal("single", p["action"]);
        Assert.Equal("100", p["battery"]);
        Assert.False(AddonOptionStrings.TryParseMatch("{bad", out _, out _));
        Assert.False(AddonOptionStrings.TryParseMatch("justaword", out _, out _));
        Assert.False(AddonOptionStrings.TryParseMatch("""{"a": {"b": 1}}""", out _, out _));
    }

    [Fact]
    public void Parses_camera_lists()
    {
        Assert.Equal(["frontdoor", "garage"], AddonOptionStrings.ParseCameraList(" frontdoor, garage ,frontdoor"));
        Assert.Equal(["a", "b"], AddonOptionStrings.ParseCameraList("a b"));
        Assert.Empty(AddonOptionStrings.ParseCameraList(""));
    }
}
