using System.Globalization;
using System.Text.Json;
using Lookback.Discover;

namespace Lookback.Hosting;

/// <summary>
/// <c>lookback discover [--timeout S] [--user U --password P] [--interface IF] [--host H]... [--no-usb] [--no-onvif] [--json]</c>:
/// finds ONVIF cameras (WS-Discovery) and local USB cameras, prints each with its URIs and a proposed
/// <c>cameras:</c> block (stdout), a progress line on stderr. Writes nothing. Exit 0 done (even with nothing found),
/// 2 bad arguments, 1 the probe could not run.
/// </summary>
public static class DiscoverCommand
{
    public const string Usage = "lookback discover [--timeout S] [--user U --password P] [--interface IF] [--host H]... [--no-usb] [--no-onvif] [--json]";

    public static async Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr, CancellationToken ct,
        Func<DiscoverOptions, DiscoverOptions>? adjust = null)
    {
        var o = new DiscoverOptions();
        var json = false;
        for (var i = 0; i < args.Length; i++)
        {
            string? Next() => i + 1 < args.Length ? args[++i] : null;
            switch (args[i])
            {
                case "--timeout" or "-t":
                    if (!double.TryParse(Next(), NumberStyles.Float, CultureInfo.InvariantCulture, out var t) || DiscoverOptions.TimeoutProblem(t) is not null)
                        return Bad($"--timeout {DiscoverOptions.TimeoutProblem(double.NaN)}");
                    o = o with { Timeout = TimeSpan.FromSeconds(t) };
                    break;
                case "--user" or "-u": o = o with { Username = Next() ?? "" }; break;
                case "--password": o = o with { Password = Next() ?? "" }; break;
                case "--interface" or "-i":
                    if (Next() is not { Length: > 0 } nic) return Bad("--interface needs an interface name or IPv4 address");
                    o = o with { Interface = nic };
                    break;
                case "--host":
                    if (Next() is not { Length: > 0 } host) return Bad("--host needs a camera's address");
                    o = o with { Hosts = [.. o.Hosts, host] };
                    break;
                case "--no-usb": o = o with { Usb = false }; break;
                case "--no-onvif": o = o with { Onvif = false }; break;
                case "--json": json = true; break;
                default: return Bad($"unknown argument '{args[i]}'");
            }
        }
        if (o.Password is not null && string.IsNullOrEmpty(o.Username)) return Bad("--password needs --user");
        o = adjust?.Invoke(o) ?? o;

        var line = new ProgressLine(stderr, o.Timeout);
        DiscoverReport report;
        try
        {
            using var http = DiscoverHttp.Create();
            report = await new CameraFinder(http).FindAsync(o, line, ct);
        }
        catch (ArgumentException ex) { line.Done(); return Bad(ex.Message); }
        catch (System.Net.Sockets.SocketException ex)
        {
            line.Done();
            stderr.WriteLine($"lookback discover: cannot probe: {ex.Message}");
            return 1;
        }
        line.Done();
        foreach (var p in report.Problems) stderr.WriteLine($"lookback discover: {p}");
        stderr.WriteLine($"{report.Cameras.Count} camera(s) in {report.Seconds.ToString("0.0", CultureInfo.InvariantCulture)} s");
        if (json)
        {
            stdout.WriteLine(JsonSerializer.Serialize(report));
            return 0;
        }
        if (report.Cameras.Count == 0) stdout.WriteLine("No cameras found.");
        foreach (var c in report.Cameras)
        {
            stdout.WriteLine($"{c.Kind.ToUpperInvariant()} {c.Address}  {c.Name}{(c.Model is null ? "" : $" ({c.Model})")}");
            if (c.Error is not null) stdout.WriteLine($"  error: {c.Error}");
            foreach (var s in c.Streams)
            {
                var size = s.Width > 0 ? $"{s.Width}x{s.Height}" : "";
                stdout.WriteLine($"  {s.Profile} {size} {s.Encoding}".TrimEnd());
                if (s.StreamUrl is not null) stdout.WriteLine($"    stream:   {s.StreamUrl}");
                if (s.SnapshotUrl is not null) stdout.WriteLine($"    snapshot: {s.SnapshotUrl}");
                if (s.Error is not null) stdout.WriteLine($"    error:    {s.Error}");
            }
            if (c.Formats.Count > 0) stdout.WriteLine($"  formats: {string.Join("; ", c.Formats)}");
            stdout.WriteLine();
            foreach (var l in c.Yaml.TrimEnd('\n').Split('\n')) stdout.WriteLine("    " + l);
            stdout.WriteLine();
        }
        return 0;

        int Bad(string error)
        {
            stderr.WriteLine($"lookback discover: {error}");
            stderr.WriteLine("usage: " + Usage);
            return 2;
        }
    }

    /// <summary>"probing (3 s)… 2 found" / "reading ONVIF 1/2" / "listing USB cameras", redrawn in place.</summary>
    private sealed class ProgressLine(TextWriter w, TimeSpan window) : IProgress<DiscoverProgress>
    {
        private readonly object _gate = new();
        private int _width;

        public void Report(DiscoverProgress p)
        {
            var text = p.Phase switch
            {
                "probe" => $"probing for ONVIF cameras ({window.TotalSeconds.ToString("0.#", CultureInfo.InvariantCulture)} s)… {p.Done} found",
                "onvif" => $"reading ONVIF devices {p.Done}/{p.Total}",
                _ => "listing USB cameras",
            };
            lock (_gate)
            {
                w.Write("\r" + text.PadRight(_width));
                w.Flush();
                _width = Math.Max(_width, text.Length);
            }
        }

        public void Done()
        {
            lock (_gate)
            {
                if (_width > 0) w.Write("\r" + new string(' ', _width) + "\r");
                w.Flush();
                _width = 0;
            }
        }
    }
}
