using Lookback.Config;
using static Lookback.Tests.Config.ConfigTestHelpers;

namespace Lookback.Tests.Config;

/// <summary><c>http.api_token</c> (add-on option <c>api_token</c>) and the line of <c>storage.path</c>.</summary>
public sealed class ApiTokenConfigTests
{
    [Fact]
    public void Http_api_token_is_read_from_yaml_and_from_the_addon_options()
    {
        var yaml = AssertValid(ConfigLoader.Parse("""
            http:
              api_token: "Zq8-long-enough"
            cameras: {cam: {url: http://cam/p}}
            """, "c.yaml"));
        Assert.Equal("Zq8-long-enough", yaml.Http.ApiToken);
        Assert.DoesNotContain("Zq8-long-enough", yaml.ToString()); // a logged options record does not show it
        Assert.Null(AssertValid(ConfigLoader.Parse("cameras: {cam: {url: http://cam/p}}", "c.yaml")).Http.ApiToken);

        var addon = AssertValid(ConfigLoader.FromAddonOptions("""{"api_token": "Zq8-long-enough", "cameras": [{"slug": "cam", "url": "http://cam/p"}]}"""));
        Assert.Equal("Zq8-long-enough", addon.Http.ApiToken);
        var cleared = AssertValid(ConfigLoader.FromAddonOptions("""{"api_token": "", "cameras": [{"slug": "cam", "url": "http://cam/p"}]}"""));
        Assert.Null(cleared.Http.ApiToken);
    }

    [Fact]
    public void A_weak_api_token_is_rejected_without_showing_it()
    {
        var r = ConfigLoader.Parse("""
            cameras: {cam: {url: http://cam/p}}
            http:
              api_token: "Sh0rt"
            """, "c.yaml");
        var e = AssertError(r, "http.api_token", 3, "at least 8 characters");
        Assert.DoesNotContain("Sh0rt", e.ToString());
        var addon = ConfigLoader.FromAddonOptions("""
            {"cameras": [{"slug": "cam", "url": "http://cam/p"}],
             "api_token": "with space"}
            """);
        Assert.DoesNotContain("with space", AssertError(addon, "api_token", 2, "without spaces").ToString());
    }

    [Fact]
    public void The_storage_check_names_storage_path_and_its_line()
    {
        var r = ConfigLoader.Parse("""
            cameras: {cam: {url: http://cam/p}}
            storage:
              path: /etc/hostname
            """, "c.yaml");
        Assert.Equal(3, AssertValid(r) is not null ? r.StoragePathLine : null);
        AssertError(r.CheckStorage(), "storage.path", 3, "'/etc/hostname' is a file, not a folder");
        var fine = ConfigLoader.Parse($"cameras: {{cam: {{url: http://cam/p}}}}\nstorage: {{path: {Path.GetTempPath()}}}", "c.yaml");
        Assert.True(fine.CheckStorage().IsValid);
    }
}
