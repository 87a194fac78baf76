using System.Diagnostics;
using System.Security.Cryptography;
using Lookback.Imaging;
using Lookback.Media.Rendering.Gif;

namespace Lookback.Bench;

/// <summary>
/// CPU and allocations of <see cref="GifEncoder.Encode"/> on one thread, on the frames the service's motion GIFs are
/// made of: 20 s of the PETS 1080p25 clip (/tmp/lookback-pets-1080p25-4m.mp4, else Debian's vtest.avi scaled to
/// 1920x1080) at 4 fps scaled to 480x270 by ffmpeg, JPEG q5 (~20 KB). The whole encode <c>--runs N</c> times
/// (default 9): ms per frame (p50, min), ns per output pixel, GIF bytes, bytes allocated per encode
/// (<see cref="GC.GetTotalAllocatedBytes"/> delta; one thread, so that is the encode's own), and a hash of the output
/// so a change that should not alter it can be seen not to. Then the stages alone (p50 ms per frame): JPEG decode +
/// resample, palette mapping (one map per GIF, as the encoder; and again with its table filled, so without the
/// nearest-colour searches), frame differencing, LZW. <c>--limited</c>: frames in limited range, as a stream camera's previews;
/// <c>--dump PATH</c> writes PATH.gif and PATH.mjpeg (its frames, e.g. for ffmpeg's ssim filter).
/// </summary>
[Bench("gifcost")]
public static class GifCostBench
{
    private const string Clip = "/tmp/lookback-pets-1080p25-4m.mp4";
    private const string Fallback = "/usr/share/doc/opencv-doc/examples/data/vtest.avi";
    private const int Width = 480, Height = 270;
    private const double Rate = 4;

    public static async Task RunAsync(string[] args)
    {
        int Arg(string name, int dflt) => args.SkipWhile(a => a != name).Skip(1).Select(int.Parse).FirstOrDefault(dflt);
        var runs = Arg("--runs", 9);
        var jpegs = await FramesAsync(Arg("--seconds", 20), args.Contains("--limited"));
        Console.WriteLine($"{jpegs.Length} frames {Width}x{Height}, JPEG mean {jpegs.Average(j => j.Length) / 1024:F1} KB; {runs} runs, maxThreads 1");

        var frames = jpegs.Select(j => (ReadOnlyMemory<byte>)j).ToArray();
        var pixels = (double)Width * Height * frames.Length;
        using var output = new MemoryStream();
        GifEncoder.Encode(frames, Rate, Width, Height, output, maxThreads: 1);   // warm-up (JIT, pools)
        var ms = new List<double>();
        var allocs = new List<long>();
        for (var r = 0; r < runs; r++)
        {
            output.SetLength(0);
            var before = GC.GetTotalAllocatedBytes(true);
            var sw = Stopwatch.StartNew();
            GifEncoder.Encode(frames, Rate, Width, Height, output, maxThreads: 1);
            sw.Stop();
            allocs.Add(GC.GetTotalAllocatedBytes(true) - before);
            ms.Add(sw.Elapsed.TotalMilliseconds);
        }
        var hash = Convert.ToHexString(SHA256.HashData(output.ToArray()))[..12];
        if (args.SkipWhile(a => a != "--dump").Skip(1).FirstOrDefault() is { } dump)
        {
            await File.WriteAllBytesAsync(dump + ".gif", output.ToArray());
            await File.WriteAllBytesAsync(dump + ".mjpeg", jpegs.SelectMany(j => j).ToArray());
        }
        Console.WriteLine("| encode | ms/frame p50 | ms/frame min | ns/pixel | GIF bytes | allocated/encode | sha256 |");
        Console.WriteLine("|---|---:|---:|---:|---:|---:|---|");
        Console.WriteLine($"| GifEncoder.Encode | {P50(ms) / frames.Length:F3} | {ms.Min() / frames.Length:F3} | " +
            $"{P50(ms) * 1e6 / pixels:F2} | {output.Length:N0} | {allocs.Order().ElementAt(allocs.Count / 2):N0} | {hash} |");
        Console.WriteLine();
        Stages(frames, runs);
    }

    /// <summary>Each stage of the encoder alone, through the same public pieces, p50 ms per frame.</summary>
    private static void Stages(ReadOnlyMemory<byte>[] frames, int runs)
    {
        var n = frames.Length;
        var pixels = Width * Height;
        var rgba = new byte[n][];
        var decoded = new PixelImage(0, 0, PixelFormat.Rgba);
        var sized = new PixelImage(Width, Height, PixelFormat.Rgba);
        var decode = Time(runs, () =>
        {
            for (var i = 0; i < n; i++)
            {
                var d = Jpeg.DecodeForWidth(frames[i].Span, Width, PixelFormat.Rgba, decoded);
                if (d.Width != Width || d.Height != Height) { Jpeg.Resample(d, sized); d = sized; }
                rgba[i] ??= new byte[pixels * 4];
                d.Span.CopyTo(rgba[i]);
            }
        });
        var hist = new ColorHistogram();
        foreach (var i in GifEncoder.SampleOf(n)) hist.AddRgba(rgba[i], Width, Height, Width * 4, step: 2);
        var palette = MedianCut.Build(hist, GifEncoder.Colors);
        var indices = new byte[n][];
        for (var i = 0; i < n; i++) indices[i] = new byte[pixels];
        var map = Time(runs, () =>
        {
            var m = new PaletteMap(palette);
            for (var i = 0; i < n; i++) m.Map(rgba[i], Width, Height, Width * 4, indices[i]);
        });
        var warmMap = new PaletteMap(palette);
        var warm = Time(runs, () =>
        {
            for (var i = 0; i < n; i++) warmMap.Map(rgba[i], Width, Height, Width * 4, indices[i]);
        });
        var cut = new byte[n][];
        var cutLen = new int[n];
        for (var i = 0; i < n; i++) cut[i] = new byte[pixels];
        indices[0].CopyTo(cut[0]);
        cutLen[0] = pixels;
        var diff = Time(runs, () =>
        {
            for (var i = 1; i < n; i++)
            {
                var rect = FrameDiff.ChangedRect(indices[i - 1], indices[i], Width, Height);
                cutLen[i] = FrameDiff.Extract(indices[i - 1], indices[i], Width, rect, GifEncoder.Transparent, cut[i]);
            }
        });
        long lzwBytes = 0;
        var lzw = Time(runs, () =>
        {
            lzwBytes = 0;
            for (var i = 0; i < n; i++)
            {
                using var sink = new ByteSink(pixels / 4);
                GifLzw.Encode(cut[i].AsSpan(0, cutLen[i]), 8, sink);
                lzwBytes += sink.Length;
            }
        });
        var cutPixels = cutLen.Sum(c => (long)c);
        Console.WriteLine("| stage | ms/frame p50 | ns/pixel |");
        Console.WriteLine("|---|---:|---:|");
        Console.WriteLine($"| decode + resample | {decode / n:F3} | {decode * 1e6 / ((double)pixels * n):F2} |");
        Console.WriteLine($"| palette map | {map / n:F3} | {map * 1e6 / ((double)pixels * n):F2} |");
        Console.WriteLine($"| palette map, table already filled | {warm / n:F3} | {warm * 1e6 / ((double)pixels * n):F2} |");
        Console.WriteLine($"| frame diff (rect + extract) | {diff / n:F3} | {diff * 1e6 / ((double)pixels * n):F2} |");
        Console.WriteLine($"| LZW ({cutPixels * 100.0 / ((double)pixels * n):F0} % of pixels, {lzwBytes:N0} B) | {lzw / n:F3} | {lzw * 1e6 / cutPixels:F2} |");
    }

    private static double Time(int runs, Action a)
    {
        a();
        var ms = new List<double>();
        for (var r = 0; r < runs; r++)
        {
            var sw = Stopwatch.StartNew();
            a();
            ms.Add(sw.Elapsed.TotalMilliseconds);
        }
        return P50(ms);
    }

    private static double P50(List<double> xs) => xs.Order().ElementAt(xs.Count / 2);

    /// <summary>The clip's first <paramref name="seconds"/> at 4 fps, 480 px wide, as ffmpeg's q5 JPEGs.</summary>
    /// <remarks><paramref name="limited"/> (<c>--limited</c>): in the decoder's limited range, marked CS=ITU601, as a stream camera's preview
    /// frames are (<see cref="Lookback.Sources.Streaming.StreamArgs.PreviewOutput"/>); the encoder expands them.</remarks>
    private static async Task<byte[][]> FramesAsync(int seconds, bool limited)
    {
        var src = File.Exists(Clip) ? Clip : Fallback;
        var vf = $"fps={Rate},scale={Width}:-2:flags=bilinear" + (limited ? ",format=yuv420p" : "");
        if (src == Fallback) vf = $"scale=1920:1080,{vf}";
        var psi = new ProcessStartInfo("ffmpeg") { RedirectStandardOutput = true };
        foreach (var a in new[] { "-v", "error", "-t", seconds.ToString(), "-i", src, "-vf", vf, "-q:v", limited ? "4" : "5", "-strict", limited ? "-1" : "0", "-f", "image2pipe", "-c:v", "mjpeg", "-" })
            psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        using var all = new MemoryStream();
        await p.StandardOutput.BaseStream.CopyToAsync(all);
        await p.WaitForExitAsync();
        if (p.ExitCode != 0) throw new InvalidOperationException($"ffmpeg exited {p.ExitCode}");
        return Split(all.ToArray());
    }

    /// <summary>An MJPEG stream cut at each SOI (FFD8) that follows an EOI (FFD9).</summary>
    private static byte[][] Split(byte[] s)
    {
        var frames = new List<byte[]>();
        var start = 0;
        for (var i = 2; i + 1 < s.Length; i++)
        {
            if (s[i] != 0xFF || s[i + 1] != 0xD8 || s[i - 2] != 0xFF || s[i - 1] != 0xD9) continue;
            frames.Add(s[start..i]);
            start = i;
        }
        frames.Add(s[start..]);
        return frames.ToArray();
    }
}
