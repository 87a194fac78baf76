using System.Globalization;
using Lookback.Config;
using Lookback.Media.Rendering;
using Lookback.Sources;
using Lookback.Imaging;

namespace Lookback.Media.Timelapse;

/// <summary>There is nothing to encode for that camera and day.</summary>
public sealed class TimelapseNoFramesException(string message) : Exception(message);

/// <summary>A written timelapse.</summary>
public sealed record TimelapseResult(string Camera, DateOnly Day, string FullPath, string RelativePath, int Frames, long Bytes,
    int Width, int Height, double Seconds);

/// <summary>Frames fed to the encoder so far, of the total.</summary>
public readonly record struct TimelapseProgress(int Frames, int Total);

/// <summary>
/// Encodes a day's samples into <c>timelapse.mp4</c>: H.264 (libx264, veryfast, CRF 23), yuv420p, faststart, at
/// <c>timelapse.fps</c>, every sample one frame. The size is the first sample's, capped at <c>timelapse.width</c>; later
/// samples of another size are scaled and padded into it (a camera's resolution may change during a day). The samples
/// are streamed from disk to ffmpeg's stdin (a day is ~1800 JPEGs: never all in memory), the MP4 is written to a
/// temporary name and moved into place, so a reader never sees half a file.
/// </summary>
public sealed class TimelapseEncoder(TimelapseStore store, TimelapseOptions options, FfmpegProcess? ffmpeg = null, TimeSpan? timeout = null)
{
    private readonly FfmpegProcess _ffmpeg = ffmpeg ?? new FfmpegProcess();
    private readonly TimeSpan _timeout = timeout ?? TimeSpan.FromMinutes(30);

    public TimelapseStore Store => store;
    public FfmpegProcess Ffmpeg => _ffmpeg;

    public async Task<TimelapseResult> EncodeAsync(string camera, DateOnly day, IProgress<TimelapseProgress>? progress, CancellationToken ct)
    {
        var samples = store.SamplesPath(camera, day);
        var total = TimelapseSamples.Count(samples);
        if (total == 0) throw new TimelapseNoFramesException($"camera '{camera}' has no timelapse frames for {TimelapseStore.DayText(day)}");
        int sw = 0, sh = 0;
        foreach (var s in TimelapseSamples.Read(samples))
        {
            if (JpegValidator.TryGetSize(s.Jpeg.Span, out sw, out sh)) break;
        }
        if (sw <= 0 || sh <= 0) throw new TimelapseNoFramesException($"camera '{camera}': the timelapse samples of {TimelapseStore.DayText(day)} are unreadable");
        var w = Math.Min(options.Width, sw) & ~1;
        var h = (int)Math.Round((double)w * sh / sw / 2) * 2;
        if (w < 2 || h < 2) throw new FfmpegException("the timelapse frames are too small");

        var mp4 = store.Mp4Path(camera, day);
        var tmp = mp4 + ".tmp-" + Guid.NewGuid().ToString("N");
        var fed = 0;
        try
        {
            await _ffmpeg.RunAsync(Args(options.Fps, w, h, tmp), async (stdin, c) =>
            {
                progress?.Report(new TimelapseProgress(0, total));
                foreach (var s in TimelapseSamples.Read(samples))
                {
                    if (fed >= total) break; // samples appended meanwhile belong to the next encode
                    await stdin.WriteAsync(s.Jpeg, c).ConfigureAwait(false);
                    fed++;
                    progress?.Report(new TimelapseProgress(fed, total));
                }
                await stdin.FlushAsync(c).ConfigureAwait(false);
            }, _timeout, ct).ConfigureAwait(false);
            var info = new FileInfo(tmp);
            if (!info.Exists || info.Length == 0) throw new FfmpegException("ffmpeg produced no timelapse file");
            File.Move(tmp, mp4, overwrite: true);
            return new TimelapseResult(camera, day, mp4, TimelapseStore.Mp4RelativePath(camera, day), fed, info.Length, w, h,
                Math.Round(fed / options.Fps, 3));
        }
        finally
        {
            try { if (File.Exists(tmp)) File.Delete(tmp); } catch (Exception ex) when (ex is IOException or UnauthorizedAccessException) { }
        }
    }

    /// <summary>ffmpeg arguments: JPEGs on stdin at <paramref name="fps"/>, fitted into w×h (letterboxed), H.264 MP4.</summary>
    public static List<string> Args(double fps, int w, int h, string output)
    {
        string F(double v) => v.ToString("0.######", CultureInfo.InvariantCulture);
        string I(int v) => v.ToString(CultureInfo.InvariantCulture);
        return
        [
            "-hide_banner", "-loglevel", "error", "-f", "image2pipe", "-c:v", "mjpeg", "-framerate", F(fps), "-i", "-",
            "-vf", $"scale={I(w)}:{I(h)}:force_original_aspect_ratio=decrease:flags=bicubic,pad={I(w)}:{I(h)}:(ow-iw)/2:(oh-ih)/2,setsar=1",
            "-c:v", "libx264", "-preset", "veryfast", "-crf", "23", "-pix_fmt", "yuv420p", "-r", F(fps),
            "-movflags", "+faststart", "-f", "mp4", "-y", output,
        ];
    }
}
