using System.Collections.Concurrent;
using System.Text;
using Lookback.Common;

namespace Lookback.Sources.Streaming;

/// <summary>
/// The filters an ffmpeg executable has (<c>ffmpeg -hide_banner -filters</c>), asked once per executable and kept: the
/// camera's command line uses <c>zscale</c> (libzimg) where it is built in and falls back to swscale where not. An
/// ffmpeg that cannot be asked (missing, a timeout) has none, so the camera's own start reports the real error.
/// </summary>
public static class FfmpegFilters
{
    private static readonly ConcurrentDictionary<string, Lazy<Task<IReadOnlySet<string>>>> Known = new(StringComparer.Ordinal);
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    /// <summary>True when <paramref name="ffmpeg"/> has <paramref name="filter"/>.</summary>
    public static async Task<bool> HasAsync(string ffmpeg, string filter, CancellationToken ct)
    {
        var names = Known.GetOrAdd(ffmpeg, f => new Lazy<Task<IReadOnlySet<string>>>(() => AskAsync(f)));
        return (await names.Value.WaitAsync(ct).ConfigureAwait(false)).Contains(filter);
    }

    private static async Task<IReadOnlySet<string>> AskAsync(string ffmpeg)
    {
        try
        {
            // not the caller's token: the answer is shared by every camera that asks
            var run = await new FfmpegProcess(ffmpeg).RunAsync(["-hide_banner", "-filters"], null, Timeout, CancellationToken.None, captureStdout: true)
                .ConfigureAwait(false);
            return Parse(Encoding.UTF8.GetString(run.Stdout ?? []));
        }
        catch (Exception ex) when (ex is FfmpegException or IOException or InvalidOperationException)
        {
            return new HashSet<string>();
        }
    }

    /// <summary>The filter names of <c>ffmpeg -filters</c>' listing: lines of flags, name, then the pads (<c>" TSC zscale  V->V  …"</c>).</summary>
    public static IReadOnlySet<string> Parse(string listing)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var line in listing.Split('\n'))
        {
            var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length >= 3 && parts[2].Contains("->", StringComparison.Ordinal)) names.Add(parts[1]);
        }
        return names;
    }
}
