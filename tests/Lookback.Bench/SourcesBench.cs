using Lookback.Imaging;
using System.Diagnostics;
using System.Net;
using System.Text;
using Lookback.Config;
using Lookback.Sources;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using SkiaSharp;

namespace Lookback.Bench;

/// <summary>
/// Sources: JpegValidator and MjpegParser speed, and CPU per camera-minute for reading MJPEG over loopback.
/// <c>--seconds=N</c> (default 20) sets the streaming run; <c>--cameras=1,10</c> the concurrent streams.
/// The MJPEG server runs in a child process (this program with <c>--serve-mjpeg</c>) so that the CPU time measured
/// here is the reading side only.
/// </summary>
[Bench("sources")]
public static class SourcesBench
{
    public static async Task RunAsync(string[] args)
    {
        if (args.Contains("--serve-mjpeg")) { await ServeAsync(); return; }
        var seconds = Arg(args, "--seconds", 20);
        var cameraCounts = (args.FirstOrDefault(a => a.StartsWith("--cameras="))?["--cameras=".Length..] ?? "1,10")
            .Split(',').Select(int.Parse).ToArray();

        Console.WriteLine("| measure | value |");
        Console.WriteLine("|---|---|");
        ValidatorBench();
        ParserBench();
        await StreamBenchAsync(seconds, cameraCounts);
    }

    private static int Arg(string[] args, string name, int dflt) =>
        args.FirstOrDefault(a => a.StartsWith(name + "=")) is { } a ? int.Parse(a[(name.Length + 1)..]) : dflt;

    // ---------- (a) validator ----------

    private static void ValidatorBench()
    {
        var jpeg = MakeJpeg(1920, 1080, noiseEvery: 7, quality: 80, seed: 1);
        if (JpegValidator.Validate(jpeg) is { } p) throw new InvalidOperationException(p);
        var ns = NsPerCall(() => JpegValidator.Validate(jpeg) is null);
        Console.WriteLine($"| JpegValidator.Validate, 1920x1080 JPEG of {jpeg.Length / 1024} KB | {ns:0} ns/call |");
        var ns2 = NsPerCall(() => JpegValidator.TryGetSize(jpeg, out _, out _));
        Console.WriteLine($"| JpegValidator.TryGetSize, same JPEG | {ns2:0} ns/call |");
    }

    private static double NsPerCall(Func<bool> f)
    {
        for (var i = 0; i < 100_000; i++) f(); // warm up (tiered JIT)
        var best = double.MaxValue;
        for (var round = 0; round < 5; round++)
        {
            const int n = 1_000_000;
            var sw = Stopwatch.StartNew();
            var ok = 0;
            for (var i = 0; i < n; i++) if (f()) ok++;
            sw.Stop();
            if (ok != n) throw new InvalidOperationException("validation failed");
            best = Math.Min(best, sw.Elapsed.TotalNanoseconds / n);
        }
        return best;
    }

    // ---------- parser throughput ----------

    private static void ParserBench()
    {
        var frames = Enumerable.Range(0, 8).Select(i => MakeJpeg(768, 576, 7, 80, i)).ToArray();
        var ms = new MemoryStream();
        for (var i = 0; i < 200; i++)
        {
            var f = frames[i % frames.Length];
            ms.Write(Encoding.ASCII.GetBytes($"--myboundary\r\nContent-Type: image/jpeg\r\nContent-Length: {f.Length}\r\n\r\n"));
            ms.Write(f);
            ms.Write("\r\n"u8);
        }
        var withLength = ms.ToArray();
        ms.SetLength(0);
        for (var i = 0; i < 200; i++)
        {
            ms.Write("--myboundary\r\nContent-Type: image/jpeg\r\n\r\n"u8);
            ms.Write(frames[i % frames.Length]);
            ms.Write("\r\n"u8);
        }
        ms.Write("--myboundary\r\n"u8);
        var withoutLength = ms.ToArray();
        foreach (var (name, stream) in new[] { ("with Content-Length", withLength), ("without Content-Length", withoutLength) })
        {
            var best = double.MaxValue;
            for (var round = 0; round < 8; round++)
            {
                using var p = new MjpegParser("myboundary");
                var sw = Stopwatch.StartNew();
                var n = 0;
                for (var pos = 0; pos < stream.Length; pos += 32 * 1024)
                {
                    var chunk = stream.AsSpan(pos, Math.Min(32 * 1024, stream.Length - pos));
                    chunk.CopyTo(p.GetSpan(chunk.Length)); // stands in for the socket read into the parser's buffer
                    p.Advance(chunk.Length);
                    while (p.TryRead(out _)) n++;
                }
                sw.Stop();
                if (n != 200) throw new InvalidOperationException($"parser found {n} frames");
                best = Math.Min(best, sw.Elapsed.TotalSeconds);
            }
            Console.WriteLine($"| MjpegParser {name}, 768x576 frames of ~{frames.Average(f => f.Length) / 1024:0} KB, 32 KB reads | {stream.Length / best / 1e6:0} MB/s, {best / 200 * 1e6:0.0} µs/frame |");
        }
    }

    // ---------- (b) CPU per camera-minute ----------

    private static async Task StreamBenchAsync(int seconds, int[] cameraCounts)
    {
        using var server = StartServerProcess(out var port);
        try
        {
            using var http = SourceFactory.CreateHttpClient();
            var me = Process.GetCurrentProcess();
            // warm-up (JIT tiering, connection pool, GC heap): the largest run for 5 s, not reported
            await StreamAsync(http, port, cameraCounts.Max(), me, TimeSpan.FromSeconds(5));
            // idle baseline of this process (timers, GC, runtime), subtracted below
            var idle = await CpuOverAsync(me, TimeSpan.FromSeconds(5));
            Console.WriteLine($"| client process idle | {idle.cpu / idle.wall * 60:0.000} CPU s per minute |");
            foreach (var cameras in cameraCounts)
            {
                var (run, frames, errors) = await StreamAsync(http, port, cameras, me, TimeSpan.FromSeconds(seconds));
                var perCameraMinute = (run.cpu - idle.cpu / idle.wall * run.wall) / cameras / (run.wall / 60);
                Console.WriteLine($"| {cameras} x 768x576 @ 5 fps, {run.wall:0} s: frames read | {frames} ({frames / run.wall / cameras:0.00} fps per camera, {errors} errors) |");
                Console.WriteLine($"| {cameras} x 768x576 @ 5 fps: client CPU (total) | {run.cpu:0.000} CPU s in {run.wall:0.0} s |");
                Console.WriteLine($"| {cameras} x 768x576 @ 5 fps: CPU per camera-minute (idle subtracted) | {perCameraMinute:0.0000} CPU s ({perCameraMinute / 60 * 100:0.000}% of a core) |");
            }
        }
        finally
        {
            try { server.Kill(); } catch (InvalidOperationException) { }
            server.WaitForExit(5000);
        }
    }

    private static async Task<((double cpu, double wall) run, int frames, int errors)> StreamAsync(HttpClient http, int port, int cameras, Process me, TimeSpan span)
    {
        var sinks = Enumerable.Range(0, cameras).Select(_ => new CopySink()).ToArray();
        using var cts = new CancellationTokenSource();
        var tasks = sinks.Select((s, i) => Task.Run(() => new MjpegSource(new CameraOptions
        {
            Slug = $"bench{i}", Url = $"http://127.0.0.1:{port}/mjpeg?fps=5&seed={i}", Kind = CameraKind.Mjpeg, Interval = 0,
        }, http).RunAsync(s, cts.Token))).ToArray();
        var warm = Stopwatch.StartNew();
        while (sinks.Any(s => s.Frames < 2) && warm.Elapsed < TimeSpan.FromSeconds(30)) await Task.Delay(10);
        var framesBefore = sinks.Sum(s => s.Frames);
        var run = await CpuOverAsync(me, span);
        var frames = sinks.Sum(s => s.Frames) - framesBefore;
        cts.Cancel();
        try { await Task.WhenAll(tasks); } catch (OperationCanceledException) { }
        return (run, frames, sinks.Sum(s => s.Errors));
    }

    private static async Task<(double cpu, double wall)> CpuOverAsync(Process me, TimeSpan span)
    {
        me.Refresh();
        var cpu0 = me.TotalProcessorTime;
        var sw = Stopwatch.StartNew();
        await Task.Delay(span); // measurement window, not synchronisation
        me.Refresh();
        return ((me.TotalProcessorTime - cpu0).TotalSeconds, sw.Elapsed.TotalSeconds);
    }

    private sealed class CopySink : IFrameSink
    {
        private byte[] _copy = new byte[512 * 1024];
        private int _frames, _errors;
        public int Frames => Volatile.Read(ref _frames);
        public int Errors => Volatile.Read(ref _errors);

        public void OnFrame(ReadOnlySpan<byte> jpeg, DateTimeOffset capturedAt)
        {
            // what the ring does: copy into its own (pooled) buffer
            if (jpeg.Length > _copy.Length) _copy = new byte[jpeg.Length * 2];
            jpeg.CopyTo(_copy);
            Interlocked.Increment(ref _frames);
        }

        public void OnError(string error)
        {
            Interlocked.Increment(ref _errors);
            Console.Error.WriteLine(error);
        }
    }

    internal static Process StartServerProcess(out int port)
    {
        var exe = Environment.ProcessPath!;
        var psi = new ProcessStartInfo(exe) { RedirectStandardOutput = true, RedirectStandardInput = true, UseShellExecute = false };
        if (Path.GetFileNameWithoutExtension(exe) == "dotnet") psi.ArgumentList.Add(typeof(SourcesBench).Assembly.Location);
        psi.ArgumentList.Add("sources");
        psi.ArgumentList.Add("--serve-mjpeg");
        var p = Process.Start(psi)!;
        while (true)
        {
            var line = p.StandardOutput.ReadLine() ?? throw new InvalidOperationException("MJPEG server process ended");
            if (line.StartsWith("listening ")) { port = int.Parse(line["listening ".Length..]); return p; }
        }
    }

    /// <summary>Child process: an MJPEG server (768x576 frames) on a free loopback port; ends when stdin closes.</summary>
    private static async Task ServeAsync()
    {
        var frames = Enumerable.Range(0, 8).Select(i => MakeJpeg(768, 576, 7, 80, i)).ToArray();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(o => o.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        app.Run(async ctx =>
        {
            var fps = double.TryParse(ctx.Request.Query["fps"], System.Globalization.CultureInfo.InvariantCulture, out var f) ? f : 5;
            var seed = int.TryParse(ctx.Request.Query["seed"], out var s) ? s : 0;
            var still = ctx.Request.Query["static"] == "1"; // the same frame every time: a quiet scene, no motion events
            ctx.Response.ContentType = "multipart/x-mixed-replace; boundary=lookbackframe";
            using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1 / fps));
            try
            {
                for (var i = seed; ; i++)
                {
                    var jpeg = frames[(still ? seed : i) % frames.Length];
                    await ctx.Response.Body.WriteAsync(Encoding.ASCII.GetBytes($"--lookbackframe\r\nContent-Type: image/jpeg\r\nContent-Length: {jpeg.Length}\r\n\r\n"), ctx.RequestAborted);
                    await ctx.Response.Body.WriteAsync(jpeg, ctx.RequestAborted);
                    await ctx.Response.Body.WriteAsync("\r\n"u8.ToArray(), ctx.RequestAborted);
                    await ctx.Response.Body.FlushAsync(ctx.RequestAborted);
                    await timer.WaitForNextTickAsync(ctx.RequestAborted);
                }
            }
            catch (OperationCanceledException) { }
        });
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        Console.WriteLine($"listening {new Uri(address).Port}");
        await Console.In.ReadToEndAsync(); // parent closes stdin or kills us
        await app.StopAsync();
    }

    internal static byte[] MakeJpeg(int w, int h, int noiseEvery, int quality, int seed)
    {
        using var bmp = new SKBitmap(w, h);
        using (var canvas = new SKCanvas(bmp))
        {
            using var shader = SKShader.CreateLinearGradient(new SKPoint(0, 0), new SKPoint(w, h),
                [new SKColor((byte)(seed * 37), 90, 160), new SKColor(230, (byte)(seed * 91), 50)], SKShaderTileMode.Clamp);
            using var paint = new SKPaint { Shader = shader };
            canvas.DrawRect(0, 0, w, h, paint);
            var rnd = new Random(seed);
            using var box = new SKPaint();
            for (var i = 0; i < 40; i++)
            {
                box.Color = new SKColor((byte)rnd.Next(256), (byte)rnd.Next(256), (byte)rnd.Next(256));
                canvas.DrawRect(rnd.Next(w), rnd.Next(h), rnd.Next(10, w / 5), rnd.Next(10, h / 5), box);
            }
            for (var y = 0; y < h; y += noiseEvery)
            for (var x = 0; x < w; x += noiseEvery)
                bmp.SetPixel(x, y, new SKColor((byte)rnd.Next(256), (byte)rnd.Next(256), (byte)rnd.Next(256)));
        }
        using var img = SKImage.FromBitmap(bmp);
        using var data = img.Encode(SKEncodedImageFormat.Jpeg, quality);
        return data.ToArray();
    }
}
