using Lookback.Addon;
using Lookback.Config;

namespace Lookback.Tests.Addon;

public class AddonModeTests
{
    private static readonly AddonEnvironment Env = new() { SupervisorToken = "t", HostName = "local-lookback" };

    private const string MosquittoAnswer = """
        {"result":"ok","data":{"addon":"core_mosquitto","host":"core-mosquitto","port":1883,"ssl":false,
         "protocol":"3.1.1","username":"addons","password":"pw"}}
        """;

    [Fact]
    public async Task Takes_the_broker_from_the_supervisor_and_keeps_the_prefixes()
    {
        await using var sup = await FakeSupervisor.StartAsync(200, MosquittoAnswer);
        using var client = new SupervisorClient("t", sup.BaseUrl);
        var input = new LookbackOptions
        {
            Mqtt = new MqttOptions { Host = "", TopicPrefix = "cams", DiscoveryPrefix = "ha", ClientId = "me" },
        };
        var o = await AddonMode.ApplyAsync(input, client, Env);
        Assert.Equal("core-mosquitto", o.Mqtt!.Host);
        Assert.Equal(1883, o.Mqtt.Port);
        Assert.Equal("addons", o.Mqtt.Username);
        Assert.Equal("pw", o.Mqtt.Password);
        Assert.Equal("cams", o.Mqtt.TopicPrefix);
        Assert.Equal("ha", o.Mqtt.DiscoveryPrefix);
        Assert.Equal("me", o.Mqtt.ClientId);
    }

    [Fact]
    public async Task Without_an_mqtt_section_the_supervisor_broker_is_used_with_default_prefixes()
    {
        await using var sup = await FakeSupervisor.StartAsync(200, MosquittoAnswer);
        using var client = new SupervisorClient("t", sup.BaseUrl);
        var o = await AddonMode.ApplyAsync(new LookbackOptions { Mqtt = null }, client, Env);
        Assert.Equal("core-mosquitto", o.Mqtt!.Host);
        Assert.Equal("lookback", o.Mqtt.TopicPrefix);
        Assert.Equal("homeassistant", o.Mqtt.DiscoveryPrefix);
    }

    [Fact]
    public async Task An_explicit_broker_wins_and_the_supervisor_is_not_asked()
    {
        var asked = false;
        await using var sup = await FakeSupervisor.StartAsync(ctx => { asked = true; ctx.Response.StatusCode = 500; return Task.CompletedTask; });
        using var client = new SupervisorClient("t", sup.BaseUrl);
        var input = new LookbackOptions { Mqtt = new MqttOptions { Host = "192.168.1.5", Port = 1884, Username = "u", Password = "p" } };
        var o = await AddonMode.ApplyAsync(input, client, Env);
        Assert.False(asked);
        Assert.Equal("192.168.1.5", o.Mqtt!.Host);
        Assert.Equal(1884, o.Mqtt.Port);
        Assert.Equal("u", o.Mqtt.Username);
    }

    [Fact]
    public async Task Supervisor_errors_surface_when_no_broker_is_configured()
    {
        await using var sup = await FakeSupervisor.StartAsync(400, """{"result":"error","message":"Service not enabled"}""");
        using var client = new SupervisorClient("t", sup.BaseUrl);
        var ex = await Assert.ThrowsAsync<SupervisorException>(() => AddonMode.ApplyAsync(new LookbackOptions(), client, Env));
        Assert.Contains("Service not enabled", ex.Message);
    }

    [Fact]
    public void Defaults_put_media_under_media_and_publish_urls_on_the_api_port()
    {
        var o = AddonMode.ApplyDefaults(new LookbackOptions(), Env);
        Assert.Equal("/media/lookback", o.Storage.Path);
        Assert.Equal("/media/local/lookback", o.Storage.MediaUrl);
        Assert.Equal("http://local-lookback:8098", o.Http.PublicUrl);
        Assert.Equal(AddonMode.IngressPort, o.Http.Port);
        Assert.Equal("0.0.0.0", o.Http.Listen);
    }

    [Fact]
    public void User_settings_are_kept()
    {
        var input = new LookbackOptions
        {
            Storage = new StorageOptions { Path = "/media/cams", RetainDays = 3 },
            Http = new HttpOptions { PublicUrl = "http://192.168.1.10:8098/" },
        };
        var o = AddonMode.ApplyDefaults(input, Env);
        Assert.Equal("/media/cams", o.Storage.Path);
        Assert.Equal("/media/local/cams", o.Storage.MediaUrl);
        Assert.Equal(3, o.Storage.RetainDays);
        Assert.Equal("http://192.168.1.10:8098", o.Http.PublicUrl);

        var share = AddonMode.ApplyDefaults(new LookbackOptions { Storage = new StorageOptions { Path = "/share/lookback" } }, Env);
        Assert.Null(share.Storage.MediaUrl);
        var explicitUrl = AddonMode.ApplyDefaults(new LookbackOptions { Storage = new StorageOptions { MediaUrl = "/media/local/x" } }, Env);
        Assert.Equal("/media/local/x", explicitUrl.Storage.MediaUrl);
    }

    [Fact]
    public void The_yaml_file_in_the_addon_config_folder_wins_over_the_options()
    {
        var dir = Directory.CreateTempSubdirectory("lookback-addon-");
        try
        {
            var configDir = Directory.CreateDirectory(Path.Combine(dir.FullName, "config")).FullName;
            var options = Path.Combine(dir.FullName, "options.json");
            var env = Env with { ConfigDirectory = configDir, OptionsFile = options };
            Assert.Null(AddonMode.SelectConfigSource(env));
            File.WriteAllText(options, "{}");
            Assert.Equal(new AddonConfigSource(options, true), AddonMode.SelectConfigSource(env));
            var yaml = Path.Combine(configDir, "lookback.yaml");
            File.WriteAllText(yaml, "cameras: {}");
            Assert.Equal(new AddonConfigSource(yaml, false), AddonMode.SelectConfigSource(env));
        }
        finally { dir.Delete(true); }
    }

    [Fact]
    public void The_environment_tells_an_addon_by_its_token()
    {
        Assert.True(Env.IsAddon);
        Assert.False(new AddonEnvironment().IsAddon);
        Assert.False(string.IsNullOrWhiteSpace(AddonEnvironment.FromProcess().HostName));
    }
}
