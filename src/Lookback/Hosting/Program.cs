using System.Reflection;
using Lookback.Addon;
using Lookback.Config;

namespace Lookback.Hosting;

/// <summary>The command line (README "Running for real"): run, demo, check, --version. Exit 0 clean, 2 bad config/arguments, 1 other.</summary>
public static class Program
{
    public static string Version => BuildInfo.Version;

    public const string Usage = """
        usage:
          lookback run [--config FILE]     run the service (YAML or JSON configuration)
          lookback demo [--port N]         run with built-in demo cameras (no hardware needed)
          lookback check --config FILE     validate a configuration
          lookback timelapse --camera C --date yyyy-MM-dd|today|yesterday [--config FILE]
                                           encode a day's timelapse from its stored samples
          lookback discover [--timeout S] [--user U --password P] [--interface IF] [--host H] [--no-usb] [--json]
                                           find ONVIF and USB cameras; propose their configuration
          lookback --version               print the version
        """;

    public static async Task<int> Main(string[] args)
    {
        try
        {
            return await RunAsync(args, Console.Out, Console.Error, CancellationToken.None);
        }
        catch (Exception ex)
        {
            Console.Error.WriteLine($"lookback: {ex.Message}");
            return 1;
        }
    }

    public static async Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr, CancellationToken ct)
    {
        if (args.Length == 0 || args[0] is "-h" or "--help" or "help") { stdout.WriteLine(Usage); return args.Length == 0 ? 2 : 0; }
        if (args[0] is "--version" or "version") { stdout.WriteLine($"lookback {Version}"); return 0; }
        var verb = args[0];
        // the timelapse verb has its own arguments (--camera, --date)
        if (verb == "timelapse") return await TimelapseCommand.RunAsync(args[1..], stdout, stderr, ct);
        if (verb == "discover") return await DiscoverCommand.RunAsync(args[1..], stdout, stderr, ct);
        if (!CliArgs.TryParse(args[1..], out var cli, out var argError))
        {
            stderr.WriteLine($"lookback {verb}: {argError}");
            stderr.WriteLine(Usage);
            return 2;
        }
        switch (verb)
        {
            case "check":
                if (cli.Config is null) { stderr.WriteLine("lookback check: --config FILE is required"); return 2; }
                return ConfigReport.Check(cli.Config, stdout, stderr);
            case "run":
            {
                var env = AddonEnvironment.FromProcess();
                var loaded = LoadConfig(cli.Config, env).CheckStorage();
                if (!loaded.IsValid)
                {
                    foreach (var e in loaded.Errors) stderr.WriteLine(e.ToString());
                    return 2;
                }
                var options = loaded.Options!;
                if (env.IsAddon)
                {
                    using var sup = SupervisorClient.FromEnvironment();
                    options = await AddonMode.ApplyAsync(options, sup, env, null, ct);
                }
                else if (options.Mqtt is { Host: "" }) options = options with { Mqtt = null }; // add-on options outside an add-on: no broker to ask
                return await LookbackHost.RunAsync(options, new HostSettings { Addon = env.IsAddon }, ct, stderr);
            }
            case "demo":
            {
                LookbackOptions? baseOptions = null;
                if (cli.Config is not null)
                {
                    var loaded = ConfigLoader.LoadFile(cli.Config);
                    if (!loaded.IsValid) { foreach (var e in loaded.Errors) stderr.WriteLine(e.ToString()); return 2; }
                    baseOptions = loaded.Options;
                }
                return await DemoMode.RunAsync(baseOptions, cli.Port, stdout, ct);
            }
            default:
                stderr.WriteLine($"lookback: unknown command '{verb}'");
                stderr.WriteLine(Usage);
                return 2;
        }
    }

    /// <summary>
    /// The configuration of <c>run</c> and <c>timelapse</c>: the --config FILE; without one, as an add-on
    /// <c>/config/lookback.yaml</c> when it exists, else <c>/data/options.json</c> (read as add-on options);
    /// otherwise <c>./lookback.yaml</c>. As an add-on, with the add-on's storage and HTTP defaults applied.
    /// </summary>
    public static ConfigResult LoadConfig(string? path, AddonEnvironment env)
    {
        var loaded = path is not null ? ConfigLoader.LoadFile(path)
            : !env.IsAddon ? ConfigLoader.LoadFile("lookback.yaml")
            : AddonMode.SelectConfigSource(env) is { } src ? ConfigLoader.LoadFile(src.Path)
            : ConfigResult.Fail(new ConfigError("", null, $"no {env.ConfigDirectory}/{AddonMode.YamlFileName} or {env.OptionsFile}"));
        return env.IsAddon && loaded.IsValid ? loaded with { Options = AddonMode.ApplyDefaults(loaded.Options!, env) } : loaded;
    }
}

/// <summary>Options after the verb.</summary>
public sealed record CliArgs(string? Config, int? Port)
{
    public static bool TryParse(string[] args, out CliArgs parsed, out string? error)
    {
        string? config = null; int? port = null; error = null;
        parsed = new CliArgs(null, null);
        for (var i = 0; i < args.Length; i++)
        {
            var a = args[i];
            string? Next() => i + 1 < args.Length ? args[++i] : null;
            switch (a)
            {
                case "--config" or "-c":
                    config = Next();
                    if (config is null) { error = "--config needs a file"; return false; }
                    break;
                case "--port" or "-p":
                    var v = Next();
                    if (!int.TryParse(v, out var p) || p is < 1 or > 65535) { error = "--port must be 1..65535"; return false; }
                    port = p;
                    break;
                default:
                    error = $"unknown argument '{a}'";
                    return false;
            }
        }
        parsed = new CliArgs(config, port);
        return true;
    }
}
