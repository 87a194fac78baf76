using Lookback.Buffer;
using Lookback.Sources.Streaming;

namespace Lookback.Media.Rendering;

/// <summary>
/// GIFs from a stream camera's preview frames (<c>preview_seconds</c>): small JPEGs at the camera's GIF rate and width
/// that its one decode also writes. A GIF whose window, rate and width they cover is encoded from them at once, with no
/// second decode of the stream's packets (which takes ~0.5 s of both cores for 10 s of 1080p25). Anything else (a
/// higher rate or width, a window older than they reach, a break inside it) decodes the packets as before.
/// </summary>
public static class PreviewGif
{
    /// <summary>How long a render waits for the preview frame at its window's end, beyond one frame interval
    /// (the frames come out of the decoder a little after the packets that make them).</summary>
    public static readonly TimeSpan EndWait = TimeSpan.FromSeconds(0.75);

    /// <summary>The preview frames for a GIF of [from, to] at <paramref name="fps"/> and <paramref name="width"/>, held until
    /// disposed; null when the camera keeps none or they do not cover the request.</summary>
    /// <param name="packetsOldest">The oldest packet of the camera's packet ring: a window that starts before both rings
    /// is made from where the previews begin (decoding the packets would not reach further back).</param>
    public static async Task<FrameWindow?> WindowAsync(Cameras.ICamera camera, DateTimeOffset from, DateTimeOffset to, double fps, int width,
        DateTimeOffset? packetsOldest, TimeProvider time, CancellationToken ct)
    {
        if (camera is not IPreviewSink { Previews: { } ring } || ring.Count == 0) return null;
        var previewFps = StreamArgs.PreviewFps(camera.Options);
        if (!RateFits(fps, previewFps)) return null;
        var step = TimeSpan.FromSeconds(1 / previewFps);
        if (ring.OldestTime is { } oldest) from = Start(from, oldest, packetsOldest, previewFps);
        await WaitForEndAsync(ring, to, step + EndWait, time, ct).ConfigureAwait(false);
        var window = ring.Window(from, to, step);
        var times = new DateTimeOffset[window.Count];
        for (var i = 0; i < times.Length; i++) times[i] = window[i].Time;
        if (times.Length > 0 && WidthFits(width, window[^1].Width, camera.Options.Gif.Width) && Covers(times, from, to, previewFps))
            return window;
        window.Dispose();
        return null;
    }

    /// <summary>
    /// Pure: where a preview GIF of a window asked from <paramref name="from"/> starts. A window that starts before the
    /// oldest preview frame, when the packets reach no further back than that frame (by more than 3 s and one interval: a
    /// GOP and the decoder's delay), starts at that frame, as a decode of the packets would (nearly): a camera that has
    /// just started, with a motion event's pre-capture before its first frame, or an event longer than both rings.
    /// Otherwise it starts where asked (and the packets make it, when older).
    /// </summary>
    public static DateTimeOffset Start(DateTimeOffset from, DateTimeOffset previewOldest, DateTimeOffset? packetsOldest, double previewFps)
    {
        if (from >= previewOldest) return from;
        var reach = TimeSpan.FromSeconds(3 + 1 / previewFps);
        return packetsOldest is null || packetsOldest >= previewOldest - reach ? previewOldest : from;
    }

    /// <summary>Pure: the asked rate is at most the preview frames' rate (each output frame is a distinct preview frame).</summary>
    public static bool RateFits(double askedFps, double previewFps) => askedFps <= previewFps * 1.001;

    /// <summary>Pure: the preview frames are at least as wide as asked, or as wide as the camera's picture (narrower than
    /// the preview width: a GIF is never wider than its source).</summary>
    public static bool WidthFits(int askedWidth, int frameWidth, int previewWidth) =>
        frameWidth > 0 && (askedWidth <= frameWidth || frameWidth < previewWidth);

    /// <summary>
    /// Pure: the frames (times ascending) cover [from, to]: the first within one frame interval (plus slack) of the start,
    /// the last within one interval plus <see cref="EndWait"/> of the end, and no break longer than a second or three
    /// intervals between two (an ffmpeg restart: the packets make such a GIF, and say <c>gap</c>).
    /// </summary>
    public static bool Covers(IReadOnlyList<DateTimeOffset> times, DateTimeOffset from, DateTimeOffset to, double previewFps)
    {
        if (times.Count == 0) return false;
        var step = TimeSpan.FromSeconds(1 / previewFps);
        var slack = TimeSpan.FromSeconds(0.1);
        if (times[0] > from + step + slack) return false;
        if (times[^1] < to - step - EndWait) return false;
        var maxGap = TimeSpan.FromSeconds(Math.Max(1, 3 / previewFps));
        for (var i = 1; i < times.Count; i++)
            if (times[i] - times[i - 1] > maxGap) return false;
        return true;
    }

    /// <summary>Waits (at most <paramref name="limit"/>) until the ring has a frame at or after <paramref name="to"/>.</summary>
    private static async Task WaitForEndAsync(FrameRing ring, DateTimeOffset to, TimeSpan limit, TimeProvider time, CancellationToken ct)
    {
        if (ring.NewestTime is { } newest && newest >= to) return;
        if (time.GetUtcNow() - to > TimeSpan.FromSeconds(5)) return; // an old window gets no newer frame
        using var timeout = new CancellationTokenSource(limit, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, timeout.Token);
        try
        {
            while (true)
            {
                var seq = ring.NewestSequence;
                if (ring.NewestTime is { } n && n >= to) return;
                await ring.WaitForFrameAsync(seq, linked.Token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !ct.IsCancellationRequested) { }
    }
}
