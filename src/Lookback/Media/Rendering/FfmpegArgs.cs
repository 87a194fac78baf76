using System.Globalization;

namespace Lookback.Media.Rendering;

/// <summary>
/// GIF palette choices. Default (measured, see RenderBench / report): <c>stats_mode=diff</c> builds the palette
/// from what changes between frames, which for CCTV (static background, moving subject) spends the colours on
/// the subject and gives smaller files than <c>full</c>; <c>bayer:bayer_scale=4</c> is ordered dithering: ~15-20 %
/// faster than <c>sierra2_4a</c> error diffusion, ~7 % smaller files, and stable between frames (error diffusion
/// "crawls" on a static background, which also defeats diff_mode=rectangle); the SSIM difference was &lt; 0.005.
/// </summary>
public sealed record GifQuality(string StatsMode = "diff", string Dither = "bayer:bayer_scale=4", string ScaleFlags = "lanczos")
{
    public static GifQuality Default { get; } = new();
}

/// <summary>Pure ffmpeg argument building (no process, no I/O) so every invocation is unit-tested.</summary>
public static class FfmpegArgs
{
    private static string F(double v) => v.ToString("0.######", CultureInfo.InvariantCulture);
    private static string I(int v) => v.ToString(CultureInfo.InvariantCulture);

    /// <summary>Input part: JPEG frames back to back on stdin at <paramref name="inputFps"/> frames per second.</summary>
    private static List<string> Input(double inputFps) =>
        ["-hide_banner", "-loglevel", "error", "-f", "image2pipe", "-c:v", "mjpeg", "-framerate", F(inputFps), "-i", "-"];

    /// <summary>The GIF filter graph: scale (keep aspect, even height) then a per-GIF palette.</summary>
    public static string GifFilter(int width, GifQuality? q = null)
    {
        q ??= GifQuality.Default;
        return $"scale={I(width)}:-2:flags={q.ScaleFlags},split[a][b];" +
               $"[a]palettegen=stats_mode={q.StatsMode}:max_colors=256[p];" +
               $"[b][p]paletteuse=dither={q.Dither}:diff_mode=rectangle";
    }

    /// <summary>
    /// GIF from JPEGs on stdin. The frames piped are already selected for the output rate (one JPEG per GIF
    /// frame), so each frame shows 1/fps/speed seconds: input rate = fps × speed.
    /// </summary>
    public static List<string> Gif(double fps, double speed, int width, string output, GifQuality? quality = null)
    {
        var a = Input(fps * speed);
        a.AddRange(["-vf", GifFilter(width, quality), "-loop", "0", "-f", "gif", "-y", output]);
        return a;
    }

    /// <summary>H.264 MP4 (yuv420p, faststart, veryfast, CRF 23) from JPEGs on stdin at a constant rate.</summary>
    public static List<string> Mp4(double fps, int width, string output, int crf = 23, string preset = "veryfast")
    {
        var a = Input(fps);
        a.AddRange([
            "-vf", $"scale={I(width)}:-2:flags=bicubic",
            "-c:v", "libx264", "-preset", preset, "-crf", I(crf), "-pix_fmt", "yuv420p",
            "-movflags", "+faststart", "-f", "mp4", "-y", output,
        ]);
        return a;
    }

    /// <summary>The height ffmpeg's <c>scale=W:-2</c> gives for a <paramref name="srcW"/>×<paramref name="srcH"/> input.</summary>
    public static int ScaledHeight(int srcW, int srcH, int width)
    {
        if (srcW <= 0 || srcH <= 0) return 0;
        // av_rescale(w, ih, iw * 2) * 2 (round half away from zero)
        var h = (long)width * srcH;
        var d = (long)srcW * 2;
        return (int)((h + d / 2) / d) * 2;
    }
}
