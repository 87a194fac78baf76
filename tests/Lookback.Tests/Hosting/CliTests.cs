using Lookback.Addon;
using Lookback.Hosting;

namespace Lookback.Tests.Hosting;

public sealed class CliTests
{
    private static async Task<(int Code, string Out, string Err)> RunAsync(params string[] args)
    {
        var o = new StringWriter();
        var e = new StringWriter();
        var code = await Program.RunAsync(args, o, e, CancellationToken.None);
        return (code, o.ToString(), e.ToString());
    }

    private static string Write(string yaml)
    {
        var path = Path.Combine(Directory.CreateTempSubdirectory("lookback-cli-").FullName, "lookback.yaml");
        File.WriteAllText(path, yaml);
        return path;
    }

    [Fact]
    public async Task Version_prints_the_version()
    {
        var (code, output, _) = await RunAsync("--version");
        Assert.Equal(0, code);
        Assert.Matches(@"^lookback \d+\.\d+\.\d+", output);
    }

    [Fact]
    public async Task Check_prints_one_line_per_camera_and_exits_0()
    {
        var (code, output, _) = await RunAsync("check", "--config", Write("""
            cameras:
              frontdoor:
                url: http://192.0.2.9/picture
                interval: 2
                password: Sup3rS3cret!
                username: admin
              yard:
                url: http://192.0.2.10/mjpeg
                kind: mjpeg
            """));
        Assert.Equal(0, code);
        Assert.Equal(2, output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Count(l => l.Contains("http://192.0.2.")));
        Assert.DoesNotContain("Sup3rS3cret!", output);
    }

    [Fact]
    public async Task Check_and_run_print_every_error_with_its_line_and_exit_2()
    {
        var path = Write("""
            cameras:
              frontdoor:
                url: http://192.0.2.9/picture
                interval: -1
                intervall: 3
            """);
        foreach (var verb in new[] { "check", "run" })
        {
            var (code, _, err) = await RunAsync(verb, "--config", path);
            Assert.Equal(2, code);
            Assert.Contains("cameras.frontdoor.interval: must be greater than 0 (line 4)", err);
            Assert.Contains("cameras.frontdoor.intervall: unknown key", err);
        }
    }

    [Theory]
    [InlineData("/etc/hostname", "storage.path: '/etc/hostname' is a file, not a folder (line 3)")]
    [InlineData("/etc/hostname/media", "storage.path: '/etc/hostname/media' cannot be created: '/etc/hostname' is a file, not a folder (line 3)")]
    [InlineData("/proc/lookback-media", "storage.path: '/proc/lookback-media' cannot be created: folder '/proc' is not writable")]
    public async Task Check_and_run_reject_a_storage_path_that_is_a_file_or_not_writable(string storage, string message)
    {
        var path = Write($"""
            storage:
              retain_days: 3
              path: {storage}
            cameras:
              frontdoor:
                url: http://192.0.2.9/picture
            """);
        foreach (var verb in new[] { "check", "run" })
        {
            var (code, output, err) = await RunAsync(verb, "--config", path);
            Assert.Equal(2, code);
            Assert.Contains(message, err);
            Assert.Equal("", output);
            Assert.DoesNotContain("cannot listen", err);
            Assert.DoesNotContain("   at ", err); // no stack trace
        }
    }

    [Fact]
    public async Task Run_says_what_is_wrong_with_storage_that_breaks_at_start_without_a_stack_trace()
    {
        var storage = Directory.CreateTempSubdirectory("lookback-cli-broken-").FullName;
        File.WriteAllText(Path.Combine(storage, ".state"), "a file where Lookback keeps its state folder");
        var path = Write($"""
            http:
              listen: 127.0.0.1
              port: {Lookback.Tests.Mqtt.Mosquitto.FreePort()}
            storage:
              path: {storage}
            cameras:
              frontdoor:
                url: http://192.0.2.9/picture
            """);
        // the real program (its log goes to the console too)
        var psi = new System.Diagnostics.ProcessStartInfo(Path.Combine(AppContext.BaseDirectory, "lookback"), ["run", "--config", path])
        { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        using var p = System.Diagnostics.Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60)); // a start that does not fail would run until then
        try { await p.WaitForExitAsync(cts.Token); }
        catch (OperationCanceledException) { p.Kill(true); throw new TimeoutException("lookback run did not stop on the broken storage"); }
        var err = await stdout + await stderr;
        Assert.True(p.ExitCode == 1, err);
        Assert.Contains($"lookback: cannot start with storage.path '{storage}'", err);
        Assert.DoesNotContain("cannot listen", err);
        Assert.DoesNotContain("   at ", err);
        Directory.Delete(storage, true);
    }

    [Fact]
    public async Task Check_accepts_a_storage_path_that_does_not_exist_yet_and_creates_nothing()
    {
        var parent = Directory.CreateTempSubdirectory("lookback-cli-storage-").FullName;
        var storage = Path.Combine(parent, "new", "media");
        var (code, _, err) = await RunAsync("check", "--config", Write($"""
            storage:
              path: {storage}
            cameras:
              frontdoor:
                url: http://192.0.2.9/picture
            """));
        Assert.True(code == 0, err);
        Assert.Empty(Directory.EnumerateFileSystemEntries(parent)); // no folder made, no probe file left
        Directory.Delete(parent);
    }

    [Theory]
    [InlineData(new[] { "frobnicate" }, "unknown command")]
    [InlineData(new[] { "check" }, "--config")]
    [InlineData(new[] { "demo", "--port", "0" }, "--port")]
    [InlineData(new[] { "run", "--bogus" }, "unknown argument")]
    public async Task Bad_arguments_exit_2(string[] args, string message)
    {
        var (code, _, err) = await RunAsync(args);
        Assert.Equal(2, code);
        Assert.Contains(message, err);
    }

    [Fact]
    public void Without_config_an_addon_reads_its_yaml_else_its_options_and_otherwise_lookback_yaml_is_used()
    {
        var dir = Directory.CreateTempSubdirectory("lookback-cfg-").FullName;
        var env = new AddonEnvironment { SupervisorToken = "abc", ConfigDirectory = Path.Combine(dir, "config"), OptionsFile = Path.Combine(dir, "options.json") };
        Directory.CreateDirectory(env.ConfigDirectory);

        var none = Program.LoadConfig(null, env);
        Assert.Contains($"no {env.ConfigDirectory}/lookback.yaml or {env.OptionsFile}", Assert.Single(none.Errors).Message);

        File.WriteAllText(env.OptionsFile, """{"cameras": [{"slug": "fromoptions", "url": "http://192.0.2.1/a.jpg"}]}""");
        var fromOptions = Program.LoadConfig(null, env).Options!;
        Assert.Equal("fromoptions", fromOptions.Cameras[0].Slug);
        Assert.Equal("/media/lookback", fromOptions.Storage.Path); // the add-on's defaults, for run and timelapse alike

        File.WriteAllText(Path.Combine(env.ConfigDirectory, "lookback.yaml"), "cameras:\n  fromyaml:\n    url: http://192.0.2.1/a.jpg\n");
        Assert.Equal("fromyaml", Program.LoadConfig(null, env).Options!.Cameras[0].Slug);

        var plain = Program.LoadConfig(null, env with { SupervisorToken = null });
        Assert.Contains("'lookback.yaml' not found", Assert.Single(plain.Errors).Message);
    }
}
