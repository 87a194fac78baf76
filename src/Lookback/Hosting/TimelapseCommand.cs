using System.Globalization;
using Lookback.Config;
using Lookback.Media.Rendering;
using Lookback.Media.Timelapse;

namespace Lookback.Hosting;

/// <summary>
/// <c>lookback timelapse --camera C --date D [--config FILE]</c>: encodes a day's timelapse from its stored samples
/// (D: yyyy-MM-dd, <c>today</c> or <c>yesterday</c>), with a progress bar on stderr; prints the MP4's path on stdout.
/// Exit 0 written, 2 bad arguments / invalid configuration / unknown camera / no frames that day, 1 encoding failed.
/// </summary>
public static class TimelapseCommand
{
    public const string Usage = "lookback timelapse --camera C --date yyyy-MM-dd|today|yesterday [--config FILE]";

    public static async Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr, CancellationToken ct,
        Func<string?, ConfigResult>? load = null, TimeProvider? time = null, TimeZoneInfo? zone = null)
    {
        string? camera = null, date = null, config = null;
        for (var i = 0; i < args.Length; i++)
        {
            string? Next() => i + 1 < args.Length ? args[++i] : null;
            switch (args[i])
            {
                case "--camera" or "-c" when camera is null: camera = Next() ?? ""; break;
                case "--date" or "-d" when date is null: date = Next() ?? ""; break;
                case "--config" when config is null: config = Next() ?? ""; break;
                default: return Bad($"unknown or repeated argument '{args[i]}'");
            }
        }
        if (string.IsNullOrWhiteSpace(camera)) return Bad("--camera C is required");
        if (string.IsNullOrWhiteSpace(date)) return Bad("--date D is required");
        if (config is { Length: 0 }) return Bad("--config needs a file");

        zone ??= TimeZoneInfo.Local;
        var today = Media.Storage.Days.Today((time ?? TimeProvider.System).GetUtcNow(), zone);
        if (!Media.Storage.Days.TryParse(date, today, out var day)) return Bad($"--date must be {Media.Storage.Days.Accepted} (got '{date}')");

        var loaded = (load ?? (p => Program.LoadConfig(p, Addon.AddonEnvironment.FromProcess())))(config);
        if (!loaded.IsValid)
        {
            foreach (var e in loaded.Errors) stderr.WriteLine(e.ToString());
            return 2;
        }
        var options = loaded.Options!;
        var cam = options.Cameras.FirstOrDefault(c => c.Slug == camera) ?? options.Cameras.FirstOrDefault(c => c.Name == camera);
        if (cam is null)
        {
            stderr.WriteLine($"lookback timelapse: unknown camera '{camera}' (cameras: {string.Join(", ", options.Cameras.Select(c => c.Slug))})");
            return 2;
        }

        var store = new TimelapseStore(options.Storage.Path, zone);
        var encoder = new TimelapseEncoder(store, options.Timelapse);
        var bar = new ProgressBar(stderr);
        try
        {
            var r = await encoder.EncodeAsync(cam.Slug, day, bar, ct);
            bar.Done();
            stderr.WriteLine($"{r.Frames} frames, {r.Seconds.ToString("0.#", CultureInfo.InvariantCulture)} s, {r.Width}x{r.Height}, {r.Bytes} bytes");
            stdout.WriteLine(r.FullPath);
            return 0;
        }
        catch (TimelapseNoFramesException ex)
        {
            stderr.WriteLine($"lookback timelapse: {ex.Message}");
            return 2;
        }
        catch (Exception ex) when (ex is FfmpegException or IOException or UnauthorizedAccessException)
        {
            bar.Done();
            stderr.WriteLine($"lookback timelapse: {ex.Message}");
            return 1;
        }

        int Bad(string error)
        {
            stderr.WriteLine($"lookback timelapse: {error}");
            stderr.WriteLine("usage: " + Usage);
            return 2;
        }
    }

    /// <summary>"[#########-----------]  45%  810/1800 frames" redrawn in place (at most once per percent).</summary>
    private sealed class ProgressBar(TextWriter w) : IProgress<TimelapseProgress>
    {
        private const int Width = 30;
        private int _lastPercent = -1;
        private bool _drawn;

        public void Report(TimelapseProgress p)
        {
            var percent = p.Total == 0 ? 100 : (int)(100L * p.Frames / p.Total);
            if (percent == _lastPercent) return;
            _lastPercent = percent;
            var filled = Width * percent / 100;
            w.Write($"\r[{new string('#', filled)}{new string('-', Width - filled)}] {percent,3}%  {p.Frames}/{p.Total} frames");
            w.Flush();
            _drawn = true;
        }

        public void Done()
        {
            if (_drawn) w.WriteLine();
            _drawn = false;
        }
    }
}
