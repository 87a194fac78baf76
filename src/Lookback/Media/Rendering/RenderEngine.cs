using Lookback.Buffer;
using Lookback.Config;
using Lookback.Media.Storage;
using Lookback.Imaging;
using Lookback.Media.Recording;

namespace Lookback.Media.Rendering;

/// <summary>Renders one validated request into a media file. Runs inside a queue worker.</summary>
public interface IRenderEngine
{
    Task<RenderResult> RenderAsync(RenderPlan plan, CancellationToken ct);
}

/// <summary>
/// GIF, MP4, snapshot and moment renders: ring window → frame selection → encoder (GIF: <paramref name="gifEncoder"/>,
/// by default our own with the ffmpeg CLI as fallback; MP4: ffmpeg) → atomic media file. A GIF larger than
/// <paramref name="gifMaxBytes"/> (default 10 MB) is made again narrower / at a lower rate (result field <c>reduced</c>).
/// </summary>
public sealed class RenderEngine(MediaStore store, FfmpegProcess ffmpeg, ISnapshotScaler? scaler = null,
    IFrameOverlay? overlay = null, TimeSpan? timeout = null, GifQuality? gifQuality = null,
    IGifEncoder? gifEncoder = null, long? gifMaxBytes = null) : IRenderEngine
{
    private readonly ISnapshotScaler _scaler = scaler ?? new JpegSnapshotScaler();
    private readonly TimeSpan _timeout = timeout ?? TimeSpan.FromMinutes(2);
    private readonly long _gifMaxBytes = gifMaxBytes ?? GifBudget.DefaultMaxBytes;
    private readonly IGifEncoder _gif = gifEncoder ?? new FallbackGifEncoder(new NativeGifEncoder(),
        new FfmpegGifEncoder(ffmpeg, timeout ?? TimeSpan.FromMinutes(2), gifQuality));

    public MediaStore Store => store;
    public FfmpegProcess Ffmpeg => ffmpeg;

    public Task<RenderResult> RenderAsync(RenderPlan plan, CancellationToken ct) => plan.Kind switch
    {
        RenderKind.Snapshot => SnapshotAsync(plan, ct),
        RenderKind.Gif => GifAsync(plan, ct),
        RenderKind.Mp4 => Mp4Async(plan, ct),
        _ => MomentAsync(plan, ct),
    };

    private async Task<RenderResult> SnapshotAsync(RenderPlan plan, CancellationToken ct)
    {
        using var latest = plan.Camera.Ring.Latest();
        if (latest is null || latest.Count == 0) return RenderResult.Failed(plan.Request, plan.WindowText, RenderErrorCode.NoFrames);
        var frame = latest[0];
        var (sw, sh) = SourceSize(frame);
        ReadOnlyMemory<byte> jpeg = frame.Jpeg;
        int ow = sw, oh = sh;
        if (plan.Width is { } w && (sw == 0 || w < sw))
        {
            jpeg = await _scaler.ScaleAsync(frame.Jpeg, w, ct).ConfigureAwait(false);
            if (!JpegValidator.TryGetSize(jpeg.Span, out ow, out oh)) (ow, oh) = (w, FfmpegArgs.ScaledHeight(sw, sh, w));
        }
        var file = await store.WriteAsync(plan.Camera.Slug, plan.RequestedAt, "snapshot", "jpg", jpeg, ct).ConfigureAwait(false);
        return Ok(plan, file, 1, ow, oh, frame.Time, frame.Time);
    }

    /// <summary>
    /// The ring's frames for the plan, with the frame on screen at its start (up to 1 s older) so that a late first frame
    /// does not drop the GIF's first output frame; the cctv-gif-buffer `interval` mode takes the window's own frames.
    /// </summary>
    private static FrameWindow RenderWindow(RenderPlan plan) =>
        plan.Camera.Ring.Window(plan.From, plan.To, plan.Request.FrameInterval is null ? TimeSpan.FromSeconds(1) : TimeSpan.Zero);

    private async Task<RenderResult> GifAsync(RenderPlan plan, CancellationToken ct)
    {
        if (await PreviewGifAsync(plan, plan.Fps!.Value, plan.Speed, plan.Width!.Value, "gif", ct).ConfigureAwait(false) is { } p)
            return Ok(plan, p.File, p.Frames, p.Width, p.Height, p.Start, p.End) with { Source = RenderResult.SourcePreview, Reduced = p.Reduced };
        string? fallback = null;
        if (PacketCutFor(plan, ct) is { } cutTask && await cutTask.ConfigureAwait(false) is { } cut)
        {
            using var held = cut; // holds the packets' slabs until the render is done
            try
            {
                var pg = await WritePacketGifAsync(plan, cut, plan.Fps!.Value, plan.Speed, plan.Width!.Value, "gif", ct).ConfigureAwait(false);
                return Ok(plan, pg.File, pg.Frames, pg.Width, pg.Height, pg.Start, pg.End) with
                { Gap = cut.Gap ? true : null, Source = RenderResult.SourcePackets, Reduced = pg.Reduced };
            }
            catch (Exception ex) when (PacketsFailed(ex, ct)) { fallback = FallbackNote(ex); }
        }
        using var window = RenderWindow(plan);
        if (window.Count == 0) return RenderResult.Failed(plan.Request, plan.WindowText, RenderErrorCode.NoFrames);
        var g = await WriteGifAsync(plan, window, plan.Fps!.Value, plan.Speed, plan.Width!.Value, "gif", ct).ConfigureAwait(false);
        return Ok(plan, g.File, g.Frames, g.Width, g.Height, g.Start, g.End) with { Reduced = g.Reduced, Fallback = fallback };
    }

    /// <summary>A render from the packet ring failed for a reason of its own (not a cancellation): the JPEG frames make it.</summary>
    private static bool PacketsFailed(Exception ex, CancellationToken ct) => !ct.IsCancellationRequested && ex is not OutOfMemoryException;

    private static string FallbackNote(Exception ex) => "packets: " + (ex is FfmpegException ? ex.Message : $"{ex.GetType().Name}: {ex.Message}");

    private async Task<RenderResult> Mp4Async(RenderPlan plan, CancellationToken ct)
    {
        string? fallback = null;
        if (PacketCutFor(plan, ct) is { } cutTask && await cutTask.ConfigureAwait(false) is { } cut)
        {
            using var held = cut; // holds the packets' slabs until the render is done
            try { return await PacketRender.Mp4Async(plan, cut, store, ffmpeg, "mp4", _timeout, ct).ConfigureAwait(false); }
            catch (Exception ex) when (PacketsFailed(ex, ct)) { fallback = FallbackNote(ex); }
        }
        using var window = RenderWindow(plan);
        if (window.Count == 0) return RenderResult.Failed(plan.Request, plan.WindowText, RenderErrorCode.NoFrames);
        var m = await WriteMp4Async(plan, window, "mp4", ct).ConfigureAwait(false);
        return Ok(plan, m.File, m.Frames, m.Width, m.Height, m.Start, m.End) with { Fallback = fallback };
    }

    private async Task<RenderResult> MomentAsync(RenderPlan plan, CancellationToken ct)
    {
        // cameras that record their stream: a window that starts before the packet ring (older than it, or a camera whose
        // moments cannot come from packets) is cut from the segments; the packets, then the JPEG ring, do what they do not cover
        if (plan.Camera.Recorder is SegmentRecorder recorder && !PacketsCover(plan)
            && await StreamMoment.RenderAsync(plan, recorder, store, ffmpeg, _timeout, ct).ConfigureAwait(false) is { } cut)
            return cut;
        // stream cameras: remux the stream's own packets from RAM
        string? fallback = null;
        if (PacketCutFor(plan, ct) is { } cutTask && await cutTask.ConfigureAwait(false) is { } packetCut)
        {
            using var held = packetCut; // holds the packets' slabs until the render is done
            try { return await PacketMomentAsync(plan, packetCut, ct).ConfigureAwait(false); }
            catch (Exception ex) when (PacketsFailed(ex, ct)) { fallback = FallbackNote(ex); }
        }
        using var window = RenderWindow(plan);
        if (window.Count == 0) return RenderResult.Failed(plan.Request, plan.WindowText, RenderErrorCode.NoFrames);
        // The MP4 and the GIF are encoded at once (two ffmpeg processes) from the same held window.
        var mp4 = WriteMp4Async(plan, window, "moment", ct);
        var gifTask = WriteGifAsync(plan, window, plan.Fps ?? plan.Camera.Options.Gif.Fps, 1, plan.MomentGifWidth, "moment", ct);
        await Task.WhenAll(mp4, gifTask).ConfigureAwait(false);
        var (m, g) = (mp4.Result, gifTask.Result);
        return Ok(plan, m.File, m.Frames, m.Width, m.Height, m.Start, m.End) with
        {
            GifUrl = store.Url(g.File.RelativePath), GifMedia = store.Media(g.File.RelativePath), GifPath = g.File.FullPath,
            Reduced = g.Reduced is null ? null : "gif " + g.Reduced, Fallback = fallback,
        };
    }

    private sealed record Written(StoredMedia File, int Frames, int Width, int Height, DateTimeOffset Start, DateTimeOffset End,
        string? Reduced = null);

    /// <summary>The packet-ring cut for the plan, when the camera keeps packets and the request can be served from them.</summary>
    private static Task<PacketCut?>? PacketCutFor(RenderPlan plan, CancellationToken ct) =>
        ServingRing(plan) is { } ring ? PacketRender.CutAsync(plan, ring, ct) : null;

    /// <summary>The packet ring that may serve the plan (cctv-gif-buffer intervals and drawn timestamps stay on the JPEG frames).</summary>
    private static PacketRing? ServingRing(RenderPlan plan) =>
        plan.Request.FrameInterval is null && !plan.Camera.Options.Timestamp ? PacketRender.UsableRing(plan.Camera) : null;

    /// <summary>The packet ring reaches back to the plan's start (within <see cref="PacketRing.GapTolerance"/>).</summary>
    private static bool PacketsCover(RenderPlan plan) =>
        ServingRing(plan) is { OldestTime: { } oldest } && oldest <= plan.From + PacketRing.GapTolerance;

    /// <summary>
    /// A moment from the packet ring: the MP4 remuxed, and the GIF beside it from frames decoded out of the same cut (from
    /// the JPEG frames when that decode fails; a failed remux fails this, and the caller makes the moment from the JPEG frames).
    /// </summary>
    private async Task<RenderResult> PacketMomentAsync(RenderPlan plan, PacketCut cut, CancellationToken ct)
    {
        var mp4 = PacketRender.Mp4Async(plan, cut, store, ffmpeg, "moment", _timeout, ct);
        var gif = MomentGifAsync(plan, cut, ct);
        await Task.WhenAll(mp4, gif).ConfigureAwait(false);
        var (g, fallback) = gif.Result;
        return mp4.Result with
        {
            GifUrl = store.Url(g.File.RelativePath), GifMedia = store.Media(g.File.RelativePath), GifPath = g.File.FullPath,
            Reduced = g.Reduced is null ? null : "gif " + g.Reduced, Fallback = fallback,
        };
    }

    private async Task<(Written Gif, string? Fallback)> MomentGifAsync(RenderPlan plan, PacketCut cut, CancellationToken ct)
    {
        var fps = plan.Fps ?? plan.Camera.Options.Gif.Fps;
        if (await PreviewGifAsync(plan, fps, 1, plan.MomentGifWidth, "moment", ct).ConfigureAwait(false) is { } p) return (p, null);
        try { return (await WritePacketGifAsync(plan, cut, fps, 1, plan.MomentGifWidth, "moment", ct).ConfigureAwait(false), null); }
        catch (Exception ex) when (PacketsFailed(ex, ct))
        {
            using var window = RenderWindow(plan);
            if (window.Count == 0) throw;
            return (await WriteGifAsync(plan, window, fps, 1, plan.MomentGifWidth, "moment", ct).ConfigureAwait(false), "gif " + FallbackNote(ex));
        }
    }

    /// <summary>A GIF of frames decoded from the cut; with <see cref="RenderRequest.LeadFrame"/> the frame of the request time comes first.</summary>
    private async Task<Written> WritePacketGifAsync(RenderPlan plan, PacketCut cut, double fps, double speed, int width, string kind,
        CancellationToken ct)
    {
        var (frames, first, last) = await PacketRender.FramesAsync(cut, plan.From, plan.To, fps, width, ffmpeg, _timeout,
            plan.Camera.Options.MaxFrameBytes, ct).ConfigureAwait(false);
        var (sw, sh) = Imaging.JpegValidator.TryGetSize(frames[^1].Span, out var fw, out var fh) ? (fw, fh) : (0, 0);
        if (plan.Request.LeadFrame && frames.Count > 1)
        {
            var times = Enumerable.Range(0, frames.Count).Select(i => first.AddSeconds(i / fps)).ToArray();
            frames.Insert(0, frames[LeadIndex(times, plan.RequestedAt)]);
        }
        return await EncodeGifAsync(plan, frames, first, last, sw, sh, fps, speed, width, kind, ct).ConfigureAwait(false);
    }

    /// <summary>A GIF of the camera's preview frames when they cover the plan (<see cref="PreviewGif"/>), else null.</summary>
    private async Task<Written?> PreviewGifAsync(RenderPlan plan, double fps, double speed, int width, string kind, CancellationToken ct)
    {
        if (ServingRing(plan) is not { } packets) return null; // the previews stand in for the packets' decode only
        using var window = await PreviewGif.WindowAsync(plan.Camera, plan.From, plan.To, fps, width, packets.OldestTime, TimeProvider.System, ct)
            .ConfigureAwait(false);
        if (window is null) return null;
        return await WriteGifAsync(plan, window, fps, speed, width, kind, ct).ConfigureAwait(false);
    }

    private async Task<Written> WriteGifAsync(RenderPlan plan, FrameWindow window, double fps, double speed, int width,
        string kind, CancellationToken ct)
    {
        var (sw, sh) = SourceSize(window[^1]);
        var (frames, first, last) = Pick(plan, window, fps, lead: plan.Request.LeadFrame);
        return await EncodeGifAsync(plan, frames, first, last, sw, sh, fps, speed, width, kind, ct).ConfigureAwait(false);
    }

    /// <summary>The GIF encode step: JPEG frames (from the JPEG ring or decoded from the packet ring) → GIF file.</summary>
    private async Task<Written> EncodeGifAsync(RenderPlan plan, List<ReadOnlyMemory<byte>> frames, DateTimeOffset first, DateTimeOffset last,
        int sw, int sh, double fps, double speed, int width, string kind, CancellationToken ct)
    {
        var ow = sw > 0 ? Math.Min(width, sw) : width;
        var asked = new GifJob(frames, fps * speed, ow, FfmpegArgs.ScaledHeight(sw, sh, ow));
        var made = asked;
        var file = await store.WriteAsync(plan.Camera.Slug, plan.RequestedAt, kind, "gif",
            async (tmp, c) => made = await GifBudget.EncodeWithinAsync(_gif, asked, _gifMaxBytes, tmp, c).ConfigureAwait(false), ct)
            .ConfigureAwait(false);
        return new Written(file, made.Frames.Count, made.Width, made.Height, first, last, GifBudget.Describe(asked, made, fps, _gifMaxBytes));
    }

    private async Task<Written> WriteMp4Async(RenderPlan plan, FrameWindow window, string kind, CancellationToken ct)
    {
        var (sw, sh) = SourceSize(window[^1]);
        var ow = plan.Width is { } w && (sw == 0 || w < sw) ? w : sw;
        ow &= ~1; // yuv420p needs even sizes
        if (ow <= 0) throw new FfmpegException("cannot read the frame size of the newest frame");
        var fps = FrameSelection.NaturalFps(window.Select(f => f.Time).ToArray());
        var (frames, first, last) = Pick(plan, window, fps);
        var file = await store.WriteAsync(plan.Camera.Slug, plan.RequestedAt, kind, "mp4",
            (tmp, c) => ffmpeg.RunAsync(FfmpegArgs.Mp4(fps, ow, tmp), FfmpegProcess.JpegFrames(frames), _timeout, c), ct).ConfigureAwait(false);
        return new Written(file, frames.Count, ow, FfmpegArgs.ScaledHeight(sw, sh, ow), first, last);
    }

    /// <summary>The frames to pipe (duplicates included) for the output rate, and the capture times of the first and last used.</summary>
    /// <param name="lead">Put the frame of the request time first (see <see cref="RenderRequest.LeadFrame"/>).</param>
    private (List<ReadOnlyMemory<byte>> Frames, DateTimeOffset First, DateTimeOffset Last) Pick(RenderPlan plan, FrameWindow window, double fps,
        bool lead = false)
    {
        var times = new DateTimeOffset[window.Count];
        for (var i = 0; i < times.Length; i++) times[i] = window[i].Time;
        // cctv-gif-buffer (`interval`): every buffered frame of the window, each shown `interval` s.
        var idx = plan.Request.FrameInterval is not null
            ? Enumerable.Range(0, times.Length).ToArray()
            : FrameSelection.Select(times, plan.To, fps, FrameSelection.OutputCount(plan.From, plan.To, times[0], fps));
        var (firstTime, lastTime) = (times[idx[0]], times[idx[^1]]);
        if (lead && idx.Length > 1) idx = [LeadIndex(times, plan.RequestedAt), .. idx];
        var stamp = overlay is not null && plan.Camera.Options.Timestamp;
        var stamped = stamp ? new Dictionary<int, ReadOnlyMemory<byte>>() : null;
        var frames = new List<ReadOnlyMemory<byte>>(idx.Length);
        foreach (var i in idx)
        {
            if (stamped is null) { frames.Add(window[i].Jpeg); continue; }
            if (!stamped.TryGetValue(i, out var j)) stamped[i] = j = overlay!.Stamp(window[i], plan.Camera.Options);
            frames.Add(j);
        }
        return (frames, firstTime, lastTime);
    }

    /// <summary>The newest frame captured at or before <paramref name="at"/> (the window's first when none is).</summary>
    internal static int LeadIndex(IReadOnlyList<DateTimeOffset> times, DateTimeOffset at)
    {
        var i = times.Count - 1;
        while (i > 0 && times[i] > at) i--;
        return i;
    }

    private static (int W, int H) SourceSize(Frame f)
    {
        if (f.Width > 0 && f.Height > 0) return (f.Width, f.Height);
        return JpegValidator.TryGetSize(f.Jpeg.Span, out var w, out var h) ? (w, h) : (0, 0);
    }

    private RenderResult Ok(RenderPlan plan, StoredMedia file, int frames, int width, int height, DateTimeOffset start, DateTimeOffset end) => new()
    {
        RequestId = plan.Request.RequestId, Camera = plan.Camera.Slug, Kind = ResultKinds.Of(plan.Kind), Status = RenderStatus.Ok,
        Url = store.Url(file.RelativePath), Media = store.Media(file.RelativePath), Path = file.FullPath,
        Bytes = file.Bytes, Frames = frames, Width = width, Height = height, Start = start, End = end,
    };
}
