using System.Diagnostics;
using System.Globalization;
using Lookback.Buffer;
using Lookback.Cameras;
using Lookback.Config;
using Lookback.Events;
using Lookback.Imaging;
using Lookback.Media.Rendering;
using Lookback.Media.Storage;

namespace Lookback.Bench;

/// <summary>
/// GIF and MP4 of 40 frames 640x360: our pipeline (frames in the ring → file written, through the render queue)
/// against ffmpeg's own CLI reading the same JPEG files from disk with the same filter. Median of 5 runs each,
/// runs interleaved so machine noise hits both sides alike. Also the GIF palette/dither/scale variants.
/// </summary>
[Bench("render")]
public static class RenderBench
{
    private const int Frames = 40, Runs = 5;
    private const double Fps = 4;

    private sealed class BenchCamera(string slug) : ICamera
    {
        public string Slug => slug;
        public CameraOptions Options { get; } = new() { Slug = slug, Url = "http://127.0.0.1/" };
        public FrameRing Ring { get; } = new(new RingLimits(1000, null, long.MaxValue));
        public CameraStatus Status => CameraStatus.Online;
        public string? LastError => null;
        public double Fps => RenderBench.Fps;
        public DateTimeOffset? LastFrameAt => Ring.NewestTime;
        public bool MotionEnabled { get; set; }
        public int MotionThreshold { get; set; } = 25;
    }

    private sealed class Directory1(ICamera c) : ICameraDirectory
    {
        public IReadOnlyList<ICamera> All => [c];
        public ICamera? Find(string slug) => slug == c.Slug ? c : null;
    }

    public static async Task RunAsync(string[] args)
    {
        var work = Directory.CreateTempSubdirectory("lookback-bench-render-").FullName;
        try { await RunInAsync(work); }
        finally { Directory.Delete(work, true); }
    }

    private static async Task RunInAsync(string work)
    {
        await CandidatesAsync(work);
        Console.WriteLine();
        var jpegDir = Path.Combine(work, "jpeg");
        Directory.CreateDirectory(jpegDir);
        await Cli(["-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i", "testsrc2=size=640x360:rate=4",
            "-frames:v", Frames.ToString(CultureInfo.InvariantCulture), "-q:v", "5", Path.Combine(jpegDir, "%03d.jpg")]);
        var jpegs = Directory.GetFiles(jpegDir, "*.jpg").Order(StringComparer.Ordinal).Select(File.ReadAllBytes).ToArray();

        var cam = new BenchCamera("bench");
        var end = DateTimeOffset.UtcNow;
        for (var i = 0; i < jpegs.Length; i++) cam.Ring.Append(jpegs[i], end.AddSeconds(-(jpegs.Length - 1 - i) / Fps));
        var store = new MediaStore(new StorageOptions { Path = Path.Combine(work, "media") }, new HttpOptions { PublicUrl = "http://bench" });
        await using var queue = RenderQueue.Create(new Directory1(cam), store, new EventBus(), new RenderQueueOptions { Workers = 1 });

        var gifReq = new RenderRequest { Camera = "bench", Kind = RenderKind.Gif, Seconds = Frames / Fps, Fps = Fps, Width = 480, RequestedAt = end };
        var mp4Req = new RenderRequest { Camera = "bench", Kind = RenderKind.Mp4, Seconds = Frames / Fps, RequestedAt = end };
        var input = Path.Combine(jpegDir, "%03d.jpg");
        string[] gifCli = ["-hide_banner", "-loglevel", "error", "-framerate", "4", "-i", input,
            "-vf", FfmpegArgs.GifFilter(480), "-loop", "0", "-y", Path.Combine(work, "cli.gif")];
        string[] mp4Cli = ["-hide_banner", "-loglevel", "error", "-framerate", "4", "-i", input,
            "-vf", "scale=640:-2:flags=bicubic", "-c:v", "libx264", "-preset", "veryfast", "-crf", "23", "-pix_fmt", "yuv420p",
            "-movflags", "+faststart", "-y", Path.Combine(work, "cli.mp4")];

        async Task<(double Ms, long Bytes, int Frames)> Ours(RenderRequest r)
        {
            var sw = Stopwatch.StartNew();
            var res = await queue.SubmitAsync(r, CancellationToken.None);
            sw.Stop();
            if (!res.Ok) throw new InvalidOperationException(res.Error);
            File.Delete(res.Path!);
            return (sw.Elapsed.TotalMilliseconds, res.Bytes ?? 0, res.Frames ?? 0);
        }

        Console.WriteLine($"40 frames 640x360 (testsrc2), median of {Runs} runs, interleaved; {Environment.ProcessorCount} cores");
        Console.WriteLine();
        Console.WriteLine("| render | ours (ring → file) ms | ffmpeg CLI (files) ms | ratio | ours bytes | CLI bytes |");
        Console.WriteLine("|---|---:|---:|---:|---:|---:|");
        foreach (var (name, req, cli, cliOut) in new[] { ("GIF 480 px", gifReq, gifCli, "cli.gif"), ("MP4 640 px", mp4Req, mp4Cli, "cli.mp4") })
        {
            await Ours(req); await Cli(cli); // warm up (JIT, page cache)
            var ours = new List<double>(); var theirs = new List<double>();
            long bytes = 0; var frames = 0;
            for (var i = 0; i < Runs; i++)
            {
                var o = await Ours(req); ours.Add(o.Ms); bytes = o.Bytes; frames = o.Frames;
                theirs.Add(await Cli(cli));
            }
            if (frames != Frames) throw new InvalidOperationException($"{name}: {frames} frames, expected {Frames}");
            var (mo, mt) = (Median(ours), Median(theirs));
            Console.WriteLine($"| {name} | {mo:0} | {mt:0} | {mo / mt:0.00} | {bytes} | {new FileInfo(Path.Combine(work, cliOut)).Length} |");
        }

        Console.WriteLine();
        Console.WriteLine("GIF palette variants (ffmpeg CLI, same 40 frames → 480 px), median of 5, interleaved:");
        Console.WriteLine();
        Console.WriteLine("| scale | stats_mode | dither | ms | bytes |");
        Console.WriteLine("|---|---|---|---:|---:|");
        GifQuality[] variants =
        [
            GifQuality.Default, GifQuality.Default with { StatsMode = "full" },
            GifQuality.Default with { Dither = "sierra2_4a" }, GifQuality.Default with { ScaleFlags = "bicubic" },
        ];
        var times = variants.Select(_ => new List<double>()).ToArray();
        var sizes = new long[variants.Length];
        for (var i = 0; i < Runs; i++)
            for (var v = 0; v < variants.Length; v++)
            {
                var outGif = Path.Combine(work, $"variant{v}.gif");
                string[] a = ["-hide_banner", "-loglevel", "error", "-framerate", "4", "-i", input,
                    "-vf", FfmpegArgs.GifFilter(480, variants[v]), "-loop", "0", "-y", outGif];
                times[v].Add(await Cli(a));
                sizes[v] = new FileInfo(outGif).Length;
            }
        for (var v = 0; v < variants.Length; v++)
            Console.WriteLine($"| {variants[v].ScaleFlags} | {variants[v].StatsMode} | {variants[v].Dither} | {Median(times[v]):0} | {sizes[v]} |");
    }

    /// <summary>
    /// The GIF encoders side by side on the same 40 frames of each footage kind (→ 480 px, 4 fps): ms, bytes, SSIM against
    /// the source frames, and ratios to the ffmpeg CLI reading the same JPEG files — all measured in this one run.
    /// </summary>
    private static async Task CandidatesAsync(string work)
    {
        Console.WriteLine($"GIF encoders, 40 frames → 480 px, median of {Runs} runs, interleaved; {Environment.ProcessorCount} cores");
        Console.WriteLine();
        Console.WriteLine("| footage | candidate | ms | ratio to CLI | bytes | bytes ratio | SSIM | SSIM − CLI |");
        Console.WriteLine("|---|---|---:|---:|---:|---:|---:|---:|");
        foreach (var kind in Lookback.Tests.Rendering.GifFootage.Kinds)
        {
            var src = Path.Combine(work, "footage-" + kind);
            var jpegs = await Lookback.Tests.Rendering.GifFootage.MakeAsync(kind, src, Frames);
            Jpeg.TryReadHeader(jpegs[0], out var sw, out var sh);
            var h = FfmpegArgs.ScaledHeight(sw, sh, 480);
            var job = new GifJob(jpegs.Select(j => new ReadOnlyMemory<byte>(j)).ToList(), Fps, 480, h);
            var ffmpeg = new FfmpegProcess();
            var candidates = new (string Name, Func<string, Task> Run)[]
            {
                ("ffmpeg CLI (files)", o => Cli(["-hide_banner", "-loglevel", "error", "-framerate", "4", "-i", Path.Combine(src, "%03d.jpg"),
                    "-vf", FfmpegArgs.GifFilter(480), "-loop", "0", "-y", o])),
                ("ffmpeg piped (old path)", o => new FfmpegGifEncoder(ffmpeg, TimeSpan.FromMinutes(2)).EncodeAsync(job, o, CancellationToken.None)),
                ("ours, all cores", o => new NativeGifEncoder().EncodeAsync(job, o, CancellationToken.None)),
                ("ours, 1 thread", o => new NativeGifEncoder(1).EncodeAsync(job, o, CancellationToken.None)),
            };
            var times = candidates.Select(_ => new List<double>()).ToArray();
            for (var run = -1; run < Runs; run++)   // run -1: warm-up
                for (var c = 0; c < candidates.Length; c++)
                {
                    var sw2 = Stopwatch.StartNew();
                    await candidates[c].Run(Path.Combine(work, $"cand{c}.gif"));
                    if (run >= 0) times[c].Add(sw2.Elapsed.TotalMilliseconds);
                }
            double cliMs = Median(times[0]), cliSsim = 0; long cliBytes = 0;
            for (var c = 0; c < candidates.Length; c++)
            {
                var file = Path.Combine(work, $"cand{c}.gif");
                var ssim = await Lookback.Tests.Rendering.GifFootage.SsimAsync(file, src, 480, h);
                var bytes = new FileInfo(file).Length;
                if (c == 0) (cliSsim, cliBytes) = (ssim, bytes);
                var ms = Median(times[c]);
                Console.WriteLine(FormattableString.Invariant(
                    $"| {kind} {sw}x{sh} | {candidates[c].Name} | {ms:0} | {ms / cliMs:0.00} | {bytes} | {(double)bytes / cliBytes:0.00} | {ssim:0.0000} | {ssim - cliSsim:+0.0000;-0.0000;0} |"));
            }
        }
    }

    private static double Median(List<double> xs)
    {
        var s = xs.Order().ToArray();
        return s.Length % 2 == 1 ? s[s.Length / 2] : (s[s.Length / 2 - 1] + s[s.Length / 2]) / 2;
    }

    private static async Task<double> Cli(IReadOnlyList<string> args)
    {
        var sw = Stopwatch.StartNew();
        await new FfmpegProcess().RunAsync(args, null, TimeSpan.FromMinutes(2), CancellationToken.None);
        return sw.Elapsed.TotalMilliseconds;
    }
}
