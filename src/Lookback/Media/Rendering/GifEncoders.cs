using Lookback.Media.Rendering.Gif;

namespace Lookback.Media.Rendering;

/// <summary>What a GIF is made of: JPEG frames (one per GIF frame), shown at <see cref="Rate"/> frames per second, at Width x Height.</summary>
public sealed record GifJob(IReadOnlyList<ReadOnlyMemory<byte>> Frames, double Rate, int Width, int Height);

/// <summary>The encoder step of a GIF render: frames in, a looping GIF89a file out.</summary>
public interface IGifEncoder
{
    Task EncodeAsync(GifJob job, string path, CancellationToken ct);
}

/// <summary>Our own encoder (<see cref="GifEncoder"/>), run off the caller's thread, parallel across cores.</summary>
public sealed class NativeGifEncoder(int maxThreads = 0) : IGifEncoder
{
    public Task EncodeAsync(GifJob job, string path, CancellationToken ct) => Task.Run(() =>
    {
        using var fs = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16);
        GifEncoder.Encode(job.Frames, job.Rate, job.Width, job.Height, fs, ct, maxThreads);
    }, ct);
}

/// <summary>The ffmpeg CLI (scale, palettegen, paletteuse): the fallback, and the reference the tests compare against.</summary>
public sealed class FfmpegGifEncoder(FfmpegProcess ffmpeg, TimeSpan timeout, GifQuality? quality = null) : IGifEncoder
{
    public async Task EncodeAsync(GifJob job, string path, CancellationToken ct) =>
        await ffmpeg.RunAsync(FfmpegArgs.Gif(job.Rate, 1, job.Width, path, quality), FfmpegProcess.JpegFrames(job.Frames), timeout, ct)
            .ConfigureAwait(false);
}

/// <summary>Tries <paramref name="primary"/>; when it fails (not cancelled), encodes with <paramref name="fallback"/>.</summary>
public sealed class FallbackGifEncoder(IGifEncoder primary, IGifEncoder fallback) : IGifEncoder
{
    public async Task EncodeAsync(GifJob job, string path, CancellationToken ct)
    {
        try { await primary.EncodeAsync(job, path, ct).ConfigureAwait(false); }
        catch (Exception) when (!ct.IsCancellationRequested)
        {
            await fallback.EncodeAsync(job, path, ct).ConfigureAwait(false);
        }
    }
}

/// <summary>
/// The GIF byte budget: when a GIF comes out larger than the budget, the next try is narrower (by the square root
/// of the excess, with 10 % margin) down to <see cref="MinWidth"/>, then at half the frame rate (every other frame).
/// </summary>
public static class GifBudget
{
    public const long DefaultMaxBytes = 10L * 1024 * 1024;
    public const int MinWidth = 160, MaxTries = 8;

    /// <summary>The next, smaller job; null when it cannot get smaller.</summary>
    public static GifJob? Shrink(GifJob job, long bytes, long maxBytes)
    {
        if (bytes <= maxBytes) return job;
        if (job.Width > MinWidth)
        {
            var w = Math.Max(MinWidth, (int)(job.Width * Math.Sqrt((double)maxBytes / bytes) * 0.9)) & ~1;
            if (w >= job.Width) w = Math.Max(MinWidth, job.Width - 2);
            return job with { Width = w, Height = Math.Max(2, FfmpegArgs.ScaledHeight(job.Width, job.Height, w)) };
        }
        if (job.Frames.Count < 2) return null;
        var half = new List<ReadOnlyMemory<byte>>((job.Frames.Count + 1) / 2);
        for (var i = 0; i < job.Frames.Count; i += 2) half.Add(job.Frames[i]);
        return job with { Frames = half, Rate = job.Rate / 2 };
    }

    /// <summary>The result's <c>reduced</c> text, e.g. "width 480→320, fps 4→2 to fit 10485760 bytes"; null when nothing changed.</summary>
    public static string? Describe(GifJob asked, GifJob made, double askedFps, long maxBytes)
    {
        var parts = new List<string>();
        if (made.Width != asked.Width) parts.Add($"width {asked.Width}→{made.Width}");
        if (made.Frames.Count != asked.Frames.Count)
            parts.Add(FormattableString.Invariant($"fps {askedFps:0.###}→{askedFps * made.Rate / asked.Rate:0.###}"));
        return parts.Count == 0 ? null : string.Join(", ", parts) + $" to fit {maxBytes} bytes";
    }

    /// <summary>Encodes with <paramref name="encoder"/>, shrinking until the file fits; returns the job that fit.</summary>
    public static async Task<GifJob> EncodeWithinAsync(IGifEncoder encoder, GifJob job, long maxBytes, string path, CancellationToken ct)
    {
        for (var attempt = 0; ; attempt++)
        {
            await encoder.EncodeAsync(job, path, ct).ConfigureAwait(false);
            var bytes = new FileInfo(path).Length;
            if (bytes <= maxBytes) return job;
            var next = attempt + 1 < MaxTries ? Shrink(job, bytes, maxBytes) : null;
            if (next is null)
                throw new FfmpegException($"GIF of {bytes} bytes at {job.Width} px and {job.Frames.Count} frames exceeds the {maxBytes}-byte budget");
            job = next;
        }
    }
}
