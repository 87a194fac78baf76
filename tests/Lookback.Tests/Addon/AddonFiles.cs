using System.Diagnostics;

namespace Lookback.Tests.Addon;

/// <summary>Locates the repository root (where config.yaml and CHANGELOG.md live) and runs the Python checks.</summary>
internal static class AddonFiles
{
    public static string Root { get; } = FindRoot();

    public static string PathOf(params string[] parts) => Path.Combine([Root, .. parts]);

    private static string FindRoot()
    {
        if (Environment.GetEnvironmentVariable("LOOKBACK_REPO_ROOT") is { Length: > 0 } env) return env;
        foreach (var start in new[] { AppContext.BaseDirectory, Directory.GetCurrentDirectory() })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
                if (File.Exists(Path.Combine(dir.FullName, "config.yaml")) && File.Exists(Path.Combine(dir.FullName, "CHANGELOG.md")))
                    return dir.FullName;
        }
        throw new InvalidOperationException("repository root (config.yaml + CHANGELOG.md) not found; set LOOKBACK_REPO_ROOT");
    }

    /// <summary>The folder with the linter's JSON schemas: shared/ha beside the repository (CI), else /work/shared/ha.</summary>
    public static string SchemaDir()
    {
        var candidates = new[]
        {
            Environment.GetEnvironmentVariable("LOOKBACK_HA_SCHEMAS") ?? "",
            Path.Combine(Root, "..", "shared", "ha"),
            Path.Combine(Root, "shared", "ha"),
            "/work/shared/ha",
        };
        foreach (var c in candidates)
            if (c.Length > 0 && File.Exists(Path.Combine(c, "addon-config.schema.json"))) return Path.GetFullPath(c);
        throw new InvalidOperationException("shared/ha/addon-config.schema.json not found; set LOOKBACK_HA_SCHEMAS");
    }

    /// <summary>Runs python3 with a script on stdin; returns exit code and combined output.</summary>
    public static (int Code, string Output) Python(string script, params string[] args) => Run("python3", ["-", .. args], script);

    /// <summary>Runs <paramref name="program"/> in the repository root with <paramref name="input"/> on stdin (60 s at most);
    /// returns exit code and combined output.</summary>
    public static (int Code, string Output) Run(string program, IEnumerable<string> args, string input)
    {
        var psi = new ProcessStartInfo(program)
        {
            RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true,
            UseShellExecute = false, WorkingDirectory = Root,
        };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        p.StandardInput.Write(input);
        p.StandardInput.Close();
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(60_000)) { p.Kill(true); throw new TimeoutException($"{program} did not finish in 60 s"); }
        return (p.ExitCode, stdout.Result + stderr.Result);
    }
}
