using System.Globalization;
using Lookback.Media.Storage;

using Lookback.Media.Recording;

namespace Lookback.Media.Rendering;

/// <summary>
/// Moments of recording cameras, cut from the recorded segments instead of the JPEG ring: full frame rate, original
/// quality. Waits for the segment that covers the end of the window, then:
/// <list type="bullet">
/// <item>stream copy when a keyframe lies within ±<see cref="CopyTolerance"/> s of the start (and no narrower width is
/// asked): the cut starts at that keyframe and ends at the requested end (any frame);</item>
/// <item>otherwise a re-encode (libx264) with a frame-accurate start.</item>
/// </list>
/// The GIF beside the MP4 is decoded from the cut. Returns null when the recording does not cover the window
/// (the ring-based path renders it then).
/// </summary>
public static class StreamMoment
{
    /// <summary>How far the copied cut may start from the requested start, seconds.</summary>
    public const double CopyTolerance = 0.5;

    public sealed record Cut(IReadOnlyList<Segment> Segments, DateTimeOffset Start, DateTimeOffset End, bool Copy, double SkipSeconds);

    public static async Task<RenderResult?> RenderAsync(RenderPlan plan, SegmentRecorder recorder, MediaStore store,
        FfmpegProcess ffmpeg, TimeSpan timeout, CancellationToken ct)
    {
        var wait = plan.To - DateTimeOffset.UtcNow + TimeSpan.FromSeconds(3 * recorder.SegmentSeconds + 5);
        if (wait < TimeSpan.FromSeconds(1)) wait = TimeSpan.FromSeconds(1);
        await recorder.WaitForRecordingAsync(plan.To, wait, ct).ConfigureAwait(false);
        var segments = Contiguous(recorder.SegmentsBetween(plan.From, plan.To));
        if (segments.Count == 0) return null;

        var keyframes = await KeyframesAsync(segments, ct).ConfigureAwait(false);
        var (sw, sh) = await SizeAsync(segments[0].FullPath, ct).ConfigureAwait(false);
        var wantWidth = plan.Width is { } w && w < sw ? w & ~1 : 0;
        var cut = Plan(segments, keyframes, plan.From, plan.To, allowCopy: wantWidth == 0);

        var input = "concat:" + string.Join('|', segments.Select(s => s.FullPath));
        var offset = (cut.Start - segments[0].Start).TotalSeconds - cut.SkipSeconds;
        var duration = (cut.End - cut.Start).TotalSeconds + cut.SkipSeconds;
        var args = new List<string> { "-hide_banner", "-loglevel", "error", "-i", input, "-ss", F(Math.Max(0, offset)), "-t", F(duration), "-map", "0:v:0" };
        if (cut.Copy) args.AddRange(["-c", "copy"]);
        else
        {
            if (wantWidth > 0) args.AddRange(["-vf", $"scale={wantWidth}:-2"]);
            args.AddRange(["-c:v", "libx264", "-preset", "veryfast", "-crf", "23", "-pix_fmt", "yuv420p"]);
        }
        var mp4 = await store.WriteAsync(plan.Camera.Slug, plan.RequestedAt, "moment", "mp4",
            (tmp, c) => ffmpeg.RunAsync([.. args, "-movflags", "+faststart", "-f", "mp4", "-y", tmp], null, timeout, c), ct).ConfigureAwait(false);

        var (ow, oh, frames) = await ProbeOutputAsync(mp4.FullPath, ct).ConfigureAwait(false);
        var gifFps = plan.Fps ?? plan.Camera.Options.Gif.Fps;
        var gifWidth = Math.Min(plan.MomentGifWidth, ow > 0 ? ow : plan.MomentGifWidth);
        var gif = await store.WriteAsync(plan.Camera.Slug, plan.RequestedAt, "moment", "gif",
            (tmp, c) => ffmpeg.RunAsync(["-hide_banner", "-loglevel", "error", "-i", mp4.FullPath,
                "-vf", $"fps={F(gifFps)}," + FfmpegArgs.GifFilter(gifWidth), "-loop", "0", "-f", "gif", "-y", tmp], null, timeout, c), ct).ConfigureAwait(false);

        return new RenderResult
        {
            RequestId = plan.Request.RequestId, Camera = plan.Camera.Slug, Kind = ResultKinds.Of(plan.Kind), Status = RenderStatus.Ok,
            Url = store.Url(mp4.RelativePath), Media = store.Media(mp4.RelativePath), Path = mp4.FullPath,
            Bytes = mp4.Bytes, Frames = frames, Width = ow, Height = oh, Start = cut.Start, End = cut.End,
            GifUrl = store.Url(gif.RelativePath), GifMedia = store.Media(gif.RelativePath), GifPath = gif.FullPath,
        };
    }

    /// <summary>
    /// Pure: where to cut. <paramref name="keyframes"/> are wall-clock times of keyframes (every segment starts with one).
    /// Copy starts at the keyframe nearest <paramref name="from"/> when it is within <see cref="CopyTolerance"/>.
    /// <see cref="Cut.SkipSeconds"/> is a small margin before the keyframe so that the copy keeps it.
    /// </summary>
    public static Cut Plan(IReadOnlyList<Segment> segments, IReadOnlyList<DateTimeOffset> keyframes, DateTimeOffset from,
        DateTimeOffset to, bool allowCopy = true)
    {
        var start = from < segments[0].Start ? segments[0].Start : from;
        var end = to > segments[^1].End ? segments[^1].End : to;
        if (allowCopy)
        {
            var best = keyframes.Where(k => k < end).OrderBy(k => Math.Abs((k - start).TotalSeconds)).Cast<DateTimeOffset?>().FirstOrDefault();
            if (best is { } k && Math.Abs((k - start).TotalSeconds) <= CopyTolerance)
                return new Cut(segments, k, end, true, k > segments[0].Start ? 0.02 : 0);
        }
        return new Cut(segments, start, end, false, 0);
    }

    /// <summary>Only the first unbroken run of segments (a restart of ffmpeg starts a new timeline).</summary>
    public static IReadOnlyList<Segment> Contiguous(IReadOnlyList<Segment> segments)
    {
        var list = new List<Segment>();
        foreach (var s in segments)
        {
            if (list.Count > 0 && Math.Abs((s.Start - list[^1].End).TotalSeconds) > 1) break;
            list.Add(s);
        }
        return list;
    }

    private static string F(double v) => v.ToString("0.###", CultureInfo.InvariantCulture);

    /// <summary>Keyframe times of the first two segments (the cut starts there), from their packet flags.</summary>
    private static async Task<IReadOnlyList<DateTimeOffset>> KeyframesAsync(IReadOnlyList<Segment> segments, CancellationToken ct)
    {
        var result = new List<DateTimeOffset>();
        foreach (var s in segments.Take(2))
        {
            result.Add(s.Start);
            var text = await ProbeAsync(["-v", "error", "-select_streams", "v:0", "-show_entries", "packet=pts_time,flags", "-of", "csv=p=0", s.FullPath], ct).ConfigureAwait(false);
            double? first = null;
            foreach (var line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries))
            {
                var f = line.Split(',');
                if (f.Length < 2 || !double.TryParse(f[0], NumberStyles.Float, CultureInfo.InvariantCulture, out var pts)) continue;
                first ??= pts;
                if (f[1].Contains('K') && pts > first) result.Add(s.Start.AddSeconds(pts - first.Value));
            }
        }
        return result;
    }

    private static async Task<(int W, int H)> SizeAsync(string file, CancellationToken ct)
    {
        var t = await ProbeAsync(["-v", "error", "-select_streams", "v:0", "-show_entries", "stream=width,height", "-of", "csv=p=0", file], ct).ConfigureAwait(false);
        var f = t.Trim().Split(',');
        return f.Length >= 2 && int.TryParse(f[0], out var w) && int.TryParse(f[1], out var h) ? (w, h) : (0, 0);
    }

    /// <summary>Width, height and frame count of a rendered MP4's video.</summary>
    public static async Task<(int W, int H, int? Frames)> ProbeOutputAsync(string file, CancellationToken ct)
    {
        var t = await ProbeAsync(["-v", "error", "-select_streams", "v:0", "-show_entries", "stream=width,height,nb_frames", "-of", "csv=p=0", file], ct).ConfigureAwait(false);
        var f = t.Trim().Split(',');
        return (f.Length > 0 && int.TryParse(f[0], out var w) ? w : 0, f.Length > 1 && int.TryParse(f[1], out var h) ? h : 0,
            f.Length > 2 && int.TryParse(f[2], out var n) ? n : null);
    }

    private static readonly FfmpegProcess Ffprobe = new("ffprobe");

    private static async Task<string> ProbeAsync(IReadOnlyList<string> args, CancellationToken ct)
    {
        var run = await Ffprobe.RunAsync(args, null, TimeSpan.FromSeconds(20), ct, captureStdout: true).ConfigureAwait(false);
        return System.Text.Encoding.UTF8.GetString(run.Stdout ?? []);
    }
}
