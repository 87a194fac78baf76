using Lookback.Config;
using static Lookback.Tests.Config.ConfigTestHelpers;

namespace Lookback.Tests.Config;

public class ConfigSecretsTests
{
    private const string Password = "Sup3rS3cret!";

    /// <summary>Broken configurations that all contain <see cref="Password"/> somewhere, most of them right where the error is.</summary>
    public static TheoryData<string, string> BrokenWithPassword => new()
    {
        { "password_not_a_string.yaml", """
            cameras:
              cam:
                url: http://cam/p
                auth: basic
                username: admin
                password: [Sup3rS3cret!]
            """ },
        { "password_map.yaml", """
            cameras:
              cam:
                url: http://cam/p
                username: admin
                password: {Sup3rS3cret!: 1}
            """ },
        { "bad_url_with_credentials.yaml", """
            cameras:
              cam:
                url: htp://admin:Sup3rS3cret!@cam/p
            """ },
        { "rtsp_kind_with_credentials.yaml", """
            cameras:
              cam:
                url: http://admin:Sup3rS3cret!@cam/p
                kind: rtsp
            """ },
        { "url_credentials_conflict.yaml", """
            cameras:
              cam:
                url: http://admin:Sup3rS3cret!@cam/p
                username: other
            """ },
        { "unterminated_quote.yaml", """
            cameras:
              cam:
                url: http://cam/p
                password: "Sup3rS3cret!
            """ },
        { "bad_indent.yaml", """
            cameras:
              cam:
                url: http://cam/p
                password: Sup3rS3cret!
               username: admin
            """ },
        { "mqtt_password_other_error.yaml", """
            mqtt:
              password: Sup3rS3cret!
              port: 0
            cameras:
              cam:
                url: http://cam/p
                interval: 0
            """ },
        { "password_as_enum.yaml", """
            cameras:
              cam:
                url: http://cam/p
                username: admin
                password: Sup3rS3cret!
                auth: Sup3rS3cret!
            """ },
        { "json_unquoted.json", """
            {"cameras": {"cam": {"url": "http://cam/p", "password": Sup3rS3cret!}}}
            """ },
        { "json_missing_comma.json", """
            {"cameras": {"cam": {"url": "http://cam/p", "password": "Sup3rS3cret!" "username": "admin"}}}
            """ },
        { "json_password_number_field.json", """
            {"cameras": {"cam": {"url": "http://cam/p", "username": "admin", "password": "Sup3rS3cret!", "store": "Sup3rS3cret!"}}}
            """ },
    };

    [Theory]
    [MemberData(nameof(BrokenWithPassword))]
    public void No_password_in_errors(string name, string text)
    {
        var result = ConfigLoader.Parse(text, name);
        Assert.False(result.IsValid, name + " should be invalid");
        Assert.NotEmpty(result.Errors);
        foreach (var e in result.Errors)
        {
            Assert.DoesNotContain(Password, e.ToString());
            Assert.DoesNotContain("S3cret", e.ToString());
        }

        var dir = Directory.CreateTempSubdirectory("lookback-secrets-");
        try
        {
            var path = Path.Combine(dir.FullName, name);
            File.WriteAllText(path, text);
            var stdout = new StringWriter();
            var stderr = new StringWriter();
            Assert.Equal(2, ConfigReport.Check(path, stdout, stderr));
            Assert.DoesNotContain("S3cret", stdout.ToString() + stderr.ToString());
            Assert.NotEqual("", stderr.ToString());
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public void Password_type_error_names_the_field_without_the_value()
    {
        var result = ConfigLoader.Parse("cameras:\n  cam:\n    url: http://cam/p\n    username: admin\n    password: [Sup3rS3cret!]\n", "c.yaml");
        var e = AssertError(result, "cameras.cam.password", 5, "must be a string");
        Assert.Equal("cameras.cam.password: must be a string (line 5)", e.ToString());
    }

    [Fact]
    public void No_password_in_describe_output()
    {
        var o = AssertValid(ConfigLoader.Parse("""
            mqtt:
              username: mq
              password: Sup3rS3cret!
            cameras:
              a:
                url: http://admin:Sup3rS3cret!@cam/a
              b:
                url: rtsp://admin:Sup3rS3cret!@cam/b
              c:
                url: http://cam/c?user=admin&pwd=Sup3rS3cret!
                auth: digest
                username: admin
                password: Sup3rS3cret!
            """, "c.yaml"));
        var text = ConfigReport.Describe(o);
        Assert.DoesNotContain("S3cret", text);
        Assert.Contains("http://cam/a", text);
        Assert.Contains("rtsp://cam/b", text);
        Assert.Contains("http://cam/c?user=admin&pwd=***", text);
    }

    [Theory]
    [InlineData("http://user:pass@host/path", "http://host/path")]
    [InlineData("rtsp://admin:Sup3rS3cret!@10.0.0.2:554/stream?channel=1", "rtsp://10.0.0.2:554/stream?channel=1")]
    [InlineData("http://user@host", "http://host")]
    [InlineData("http://u:p@ss@host/x@y", "http://host/x@y")]
    [InlineData("http://host/cgi?cmd=snap&usr=admin&pwd=secret", "http://host/cgi?cmd=snap&usr=admin&pwd=***")]
    [InlineData("http://host/p?token=abc#frag", "http://host/p?token=***#frag")]
    [InlineData("http://host/path", "http://host/path")]
    [InlineData("/dev/video0", "/dev/video0")]
    [InlineData("", "")]
    public void Redact_removes_credentials(string url, string expected)
    {
        Assert.Equal(expected, Redaction.Redact(url));
    }
}
