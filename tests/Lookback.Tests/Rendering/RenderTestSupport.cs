using System.Diagnostics;
using System.Text.Json;
using Lookback.Buffer;
using Lookback.Cameras;
using Lookback.Config;
using Lookback.Media.Rendering;

namespace Lookback.Tests.Rendering;

/// <summary>A camera over a real ring; frames are appended by the test.</summary>
public sealed class TestCamera : ICamera
{
    public TestCamera(string slug, CameraOptions? options = null, RingLimits? limits = null)
    {
        Slug = slug;
        Options = options ?? new CameraOptions { Slug = slug, Url = "http://127.0.0.1/none" };
        Ring = new FrameRing(limits ?? new RingLimits(10_000, null, long.MaxValue));
    }

    public string Slug { get; }
    public CameraOptions Options { get; }
    public FrameRing Ring { get; }
    public CameraStatus Status => CameraStatus.Online;
    public string? LastError => null;
    public double Fps => 10;
    public DateTimeOffset? LastFrameAt => Ring.NewestTime;
    public bool MotionEnabled { get; set; } = true;
    public int MotionThreshold { get; set; } = 25;

    /// <summary>Appends <paramref name="count"/> frames (cycling through the test JPEGs) at <paramref name="fps"/>, the last at <paramref name="end"/>.</summary>
    public void Fill(DateTimeOffset end, int count, double fps, int firstJpeg = 0)
    {
        var jpegs = TestJpegs.All;
        for (var i = 0; i < count; i++)
            Ring.Append(jpegs[(firstJpeg + i) % jpegs.Count], end.AddSeconds(-(count - 1 - i) / fps));
    }
}

public sealed class TestCameras(params ICamera[] cameras) : ICameraDirectory
{
    public IReadOnlyList<ICamera> All { get; } = cameras;
    public ICamera? Find(string slug) => All.FirstOrDefault(c => c.Slug == slug);
}

/// <summary>60 real 640x360 JPEGs made once by ffmpeg (testsrc, 10 fps).</summary>
public static class TestJpegs
{
    private static readonly Lazy<(string Dir, IReadOnlyList<byte[]> Jpegs)> Made = new(Make);

    public static IReadOnlyList<byte[]> All => Made.Value.Jpegs;
    public static string Dir => Made.Value.Dir;

    private static (string, IReadOnlyList<byte[]>) Make()
    {
        var dir = Path.Combine(Path.GetTempPath(), "lookback-test-jpegs-" + Environment.ProcessId);
        Directory.CreateDirectory(dir);
        if (Directory.GetFiles(dir, "*.jpg").Length < 60)
        {
            var psi = new ProcessStartInfo("ffmpeg") { RedirectStandardError = true, UseShellExecute = false };
            foreach (var a in new[] { "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i", "testsrc=size=640x360:rate=10",
                         "-frames:v", "60", "-q:v", "5", Path.Combine(dir, "%03d.jpg") })
                psi.ArgumentList.Add(a);
            using var p = Process.Start(psi)!;
            var err = p.StandardError.ReadToEnd();
            p.WaitForExit();
            if (p.ExitCode != 0) throw new InvalidOperationException("ffmpeg could not make test JPEGs: " + err);
        }
        var files = Directory.GetFiles(dir, "*.jpg").Order(StringComparer.Ordinal).ToArray();
        return (dir, files.Select(File.ReadAllBytes).ToArray());
    }
}

public sealed record ProbeInfo(string? Codec, string? PixFmt, int Width, int Height, int Frames, double Duration);

public static class Probe
{
    public static async Task<ProbeInfo> RunAsync(string file)
    {
        var ffprobe = new FfmpegProcess("ffprobe");
        var run = await ffprobe.RunAsync(
            ["-v", "error", "-count_frames", "-select_streams", "v:0",
             "-show_entries", "stream=codec_name,pix_fmt,width,height,nb_read_frames", "-show_entries", "format=duration",
             "-of", "json", file], null, TimeSpan.FromSeconds(60), CancellationToken.None, captureStdout: true);
        using var doc = JsonDocument.Parse(run.Stdout!);
        var s = doc.RootElement.GetProperty("streams")[0];
        var fmt = doc.RootElement.GetProperty("format");
        static string? Str(JsonElement e, string n) => e.TryGetProperty(n, out var v) ? v.GetString() : null;
        return new ProbeInfo(Str(s, "codec_name"), Str(s, "pix_fmt"), s.GetProperty("width").GetInt32(), s.GetProperty("height").GetInt32(),
            int.Parse(Str(s, "nb_read_frames") ?? "0"),
            double.Parse(Str(fmt, "duration") ?? "0", System.Globalization.CultureInfo.InvariantCulture));
    }
}

/// <summary>Wraps an engine: signals when a render starts and holds it until the test opens the gate.</summary>
public sealed class GatedEngine(IRenderEngine inner) : IRenderEngine
{
    public TaskCompletionSource Started { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    public TaskCompletionSource Gate { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public async Task<RenderResult> RenderAsync(RenderPlan plan, CancellationToken ct)
    {
        Started.TrySetResult();
        await Gate.Task.WaitAsync(ct);
        return await inner.RenderAsync(plan, ct);
    }
}

public sealed class TempDir : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("lookback-render-").FullName;
    public void Dispose() { try { Directory.Delete(Path, true); } catch (IOException) { } }
}
