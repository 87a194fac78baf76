using System.Globalization;
using System.Text.RegularExpressions;
using Lookback.Media.Rendering;

namespace Lookback.Tests.Rendering;

/// <summary>
/// Footage for the GIF quality checks and the <c>render</c> benchmark (this file is linked into Lookback.Bench), and
/// the SSIM of a GIF against its source frames measured with ffmpeg's <c>ssim</c> filter.
/// </summary>
public static partial class GifFootage
{
    /// <summary>PETS 2006 pedestrians (768x576, 10 fps), from Debian's opencv-doc package.</summary>
    public const string PetsClip = "/usr/share/doc/opencv-doc/examples/data/vtest.avi";

    /// <summary>synthetic: testsrc2 (high contrast, moving); night: testsrc2 darkened with sensor noise; pets: real pedestrians.</summary>
    public static readonly string[] Kinds = ["synthetic", "night", "pets"];

    private static string[] Input(string kind, double fps) => kind switch
    {
        "synthetic" => ["-f", "lavfi", "-i", $"testsrc2=size=640x360:rate={F(fps)}"],
        "night" => ["-f", "lavfi", "-i",
            $"testsrc2=size=640x360:rate={F(fps)},eq=brightness=-0.3:contrast=0.5:saturation=0.4,noise=alls=8:allf=t"],
        "pets" => File.Exists(PetsClip)
            ? ["-i", PetsClip, "-vf", $"fps={F(fps)}"]
            : throw new FileNotFoundException($"{PetsClip} missing: apt-get install opencv-doc (scripts/dev.sh test_pkgs)"),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
    };

    /// <summary>Writes <paramref name="count"/> JPEGs (001.jpg …) of the footage into <paramref name="dir"/> and returns them in order.</summary>
    public static async Task<byte[][]> MakeAsync(string kind, string dir, int count, double fps = 4)
    {
        Directory.CreateDirectory(dir);
        var args = new List<string> { "-hide_banner", "-loglevel", "error", "-y" };
        args.AddRange(Input(kind, fps));
        args.AddRange(["-frames:v", count.ToString(CultureInfo.InvariantCulture), "-q:v", "5", Path.Combine(dir, "%03d.jpg")]);
        await new FfmpegProcess().RunAsync(args, null, TimeSpan.FromMinutes(2), CancellationToken.None);
        return Directory.GetFiles(dir, "*.jpg").Order(StringComparer.Ordinal).Select(File.ReadAllBytes).ToArray();
    }

    /// <summary>
    /// Mean SSIM ("All") of every GIF frame against the source JPEG of the same number in <paramref name="jpegDir"/>,
    /// scaled by ffmpeg (lanczos) to the GIF's size.
    /// </summary>
    public static async Task<double> SsimAsync(string gif, string jpegDir, int width, int height)
    {
        string[] args = ["-hide_banner", "-i", gif, "-i", Path.Combine(jpegDir, "%03d.jpg"), "-lavfi",
            $"[0:v]setpts=N/TB[a];[1:v]scale={width}:{height}:flags=lanczos,setpts=N/TB[b];[a][b]ssim", "-f", "null", "-"];
        var run = await new FfmpegProcess().RunAsync(args, null, TimeSpan.FromMinutes(2), CancellationToken.None);
        var m = AllRe().Match(run.StderrTail);
        if (!m.Success) throw new InvalidOperationException("no SSIM in ffmpeg's output: " + run.StderrTail);
        return double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
    }

    private static string F(double v) => v.ToString("0.###", CultureInfo.InvariantCulture);

    [GeneratedRegex(@"All:([0-9.]+)")]
    private static partial Regex AllRe();
}
