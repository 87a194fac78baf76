using System.Diagnostics;
using Lookback.Imaging;
using SkiaSharp;

namespace Lookback.Bench;

/// <summary>JPEG decode/encode/resize through TurboJPEG, SkiaSharp's decode for comparison, DemoScene.</summary>
[Bench("imaging")]
public static class ImagingBench
{
    public static Task RunAsync(string[] args)
    {
        var jpeg = TestJpeg(out var source);
        Jpeg.TryReadHeader(jpeg, out var w, out var h);
        Console.WriteLine($"test JPEG: {w}x{h}, {jpeg.Length / 1024} KB ({source}); median of N runs after warm-up, ms per op");
        Console.WriteLine($"{"op",-36} {"median ms",10} {"min ms",8} {"N",5}");

        var rgb = new PixelImage(0, 0, PixelFormat.Rgb);
        var rgba = new PixelImage(0, 0, PixelFormat.Rgba);
        var gray = new GrayImage();
        Row("TurboJPEG decode 1080p RGB", 40, () => Jpeg.DecodeRgb(jpeg, 1, PixelFormat.Rgb, rgb));
        Row("TurboJPEG decode 1080p RGBA", 40, () => Jpeg.DecodeRgb(jpeg, 1, PixelFormat.Rgba, rgba));
        Row("SkiaSharp SKBitmap.Decode 1080p", 40, () => SKBitmap.Decode(jpeg).Dispose());
        Row("TurboJPEG gray 1/4 (480x270)", 100, () => Jpeg.DecodeGray(jpeg, 270, gray));
        Row("TurboJPEG gray 1/8 (240x135)", 100, () => Jpeg.DecodeGray(jpeg, 135, gray));
        Row("TurboJPEG gray 1/1", 40, () => Jpeg.DecodeGray(jpeg, 1080, gray));
        var small = new PixelImage(640, 360, PixelFormat.Rgba);
        Jpeg.Resample(Jpeg.DecodeRgb(jpeg, 1, PixelFormat.Rgba), small);
        Row("TurboJPEG encode 640x360 q85", 100, () => Jpeg.Encode(small, 85));
        Row("Jpeg.Resize 1080p -> 640 q85", 40, () => Jpeg.Resize(jpeg, 640));
        Row("Jpeg.FitForMqtt 1080p", 40, () => Jpeg.FitForMqtt(jpeg));
        var stamp = Jpeg.DecodeRgb(jpeg, 2, PixelFormat.Rgba);
        Row("Overlay.DrawTimestamp 960x540", 100, () => Overlay.DrawTimestamp(stamp.Span, stamp.Width, stamp.Height, stamp.Stride, "2026-11-22 17:35:01"));
        using var scene = new DemoScene();
        var t = DateTimeOffset.UnixEpoch;
        Row("DemoScene.RenderJpeg 768x576 q80", 60, () => { t = t.AddMilliseconds(200); scene.RenderJpeg(t, 768, 576, "Demo camera"); });
        return Task.CompletedTask;
    }

    private static void Row(string name, int n, Action op)
    {
        for (var i = 0; i < 3; i++) op();
        var ms = new double[n];
        for (var i = 0; i < n; i++)
        {
            var start = Stopwatch.GetTimestamp();
            op();
            ms[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        }
        Array.Sort(ms);
        Console.WriteLine($"{name,-36} {ms[n / 2],10:F2} {ms[0],8:F2} {n,5}");
    }

    private static byte[] TestJpeg(out string source)
    {
        var path = Path.Combine(Path.GetTempPath(), "lookback-bench-1080p.jpg");
        try
        {
            if (!File.Exists(path))
            {
                using var p = Process.Start(new ProcessStartInfo("ffmpeg",
                    ["-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i", "testsrc2=size=1920x1080", "-frames:v", "1", "-q:v", "3", path])
                    { RedirectStandardError = true })!;
                p.WaitForExit();
            }
            var bytes = File.ReadAllBytes(path);
            if (Jpeg.TryReadHeader(bytes, out _, out _)) { source = "ffmpeg testsrc2 -q:v 3"; return bytes; }
        }
        catch (Exception) { }
        using var scene = new DemoScene();
        source = "DemoScene q90";
        return scene.RenderJpeg(DateTimeOffset.UnixEpoch, 1920, 1080, "bench", 90);
    }
}
