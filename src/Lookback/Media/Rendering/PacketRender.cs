using System.Buffers;
using System.Globalization;
using Lookback.Buffer;
using Lookback.Sources;
using Lookback.Sources.Streaming;
using Lookback.Media.Storage;

namespace Lookback.Media.Rendering;

/// <summary>
/// Renders from a stream camera's <see cref="PacketRing"/>: MP4 moments are remuxes of the stream's own packets
/// (<c>-c copy -movflags +faststart</c>, <c>hvc1</c> tag for H.265: full rate, full resolution, no re-encode), starting
/// at the keyframe at or before the asked start; GIF frames are decoded from just the asked window at the asked rate and
/// width and handed to the GIF encode step as JPEGs. Returns null when the ring cannot serve the window (the JPEG
/// ring or the recording does then).
/// </summary>
public static class PacketRender
{
    private static string F(double v) => v.ToString("0.###", CultureInfo.InvariantCulture);

    /// <summary>The ring of a camera whose packets can serve renders now, else null.</summary>
    public static PacketRing? UsableRing(Cameras.ICamera camera) =>
        camera is IPacketSink { Packets: { Unusable: null, Count: > 0 } ring } ? ring : null;

    /// <summary>The cut for a plan's window (waiting for packets up to the window's end first); null when the ring cannot serve it.</summary>
    public static async Task<PacketCut?> CutAsync(RenderPlan plan, PacketRing ring, CancellationToken ct)
    {
        var wait = plan.To - DateTimeOffset.UtcNow + RenderLimits.MomentWaitSlack;
        if (wait > TimeSpan.Zero) await ring.WaitForAsync(plan.To, wait, ct).ConfigureAwait(false);
        if (ring.Unusable is not null) return null;
        return ring.Cut(plan.From, plan.To);
    }

    /// <summary>The ffmpeg arguments of a remux (or, with <paramref name="width"/>, a scaled re-encode) of MPEG-TS on stdin to MP4.</summary>
    /// <remarks>The audio (AAC, when the cut has any) is copied either way.</remarks>
    public static List<string> Mp4Args(StreamCodec codec, int? width, string output, bool audio = false)
    {
        var a = new List<string> { "-hide_banner", "-loglevel", "error", "-f", "mpegts", "-i", "pipe:0", "-map", "0:v:0" };
        if (audio) a.AddRange(["-map", "0:a:0"]);
        if (width is { } w)
            a.AddRange(["-vf", $"scale={w & ~1}:-2", "-c:v", "libx264", "-preset", "veryfast", "-crf", "23", "-pix_fmt", "yuv420p", "-c:a", "copy"]);
        else
        {
            a.AddRange(["-c", "copy"]);
            if (codec == StreamCodec.H265) a.AddRange(["-tag:v", "hvc1"]); // iPhones play hvc1, not hev1
        }
        a.AddRange(["-movflags", "+faststart", "-f", "mp4", "-y", output]);
        return a;
    }

    /// <summary>The ffmpeg arguments that decode the window (from <paramref name="skip"/> s into the cut) to JPEGs at fps and width.</summary>
    /// <remarks>The decoder skips the deblocking filter: ~15 % less CPU, invisible once scaled down to GIF size and palette.</remarks>
    public static List<string> FrameArgs(double skip, double seconds, double fps, int width) =>
    [
        "-hide_banner", "-loglevel", "error", "-skip_loop_filter", "all", "-f", "mpegts", "-i", "pipe:0", "-map", "0:v:0",
        "-ss", F(Math.Max(0, skip)), "-t", F(seconds),
        // eof_action=pass: the newest frame of the window comes out even when the stream ends less than half an output
        // frame after it (it would be rounded away: a doorbell GIF would miss the press)
        "-vf", $"fps=fps={F(fps)}:eof_action=pass,scale=w='min({width}\\,iw)':h=-2:flags=bicubic", "-c:v", "mjpeg", "-q:v", "3",
        "-f", "image2pipe", "pipe:1",
    ];

    /// <summary>Writes the cut as one MPEG-TS stream: its program tables, then its access units packetized again.</summary>
    public static Func<Stream, CancellationToken, Task> TsInput(PacketCut cut) => async (stdin, ct) =>
    {
        await stdin.WriteAsync(cut.Header, ct).ConfigureAwait(false);
        var packetizers = new Dictionary<int, TsPacketizer>();
        var buf = ArrayPool<byte>.Shared.Rent(256 * 1024); // pooled: not a large-object-heap array per render
        try
        {
            var used = 0;
            foreach (var p in cut.Packets)
            {
                var need = TsPacketizer.MaxBytes(p.Data.Length);
                if (used + need > buf.Length)
                {
                    await stdin.WriteAsync(buf.AsMemory(0, used), ct).ConfigureAwait(false);
                    used = 0;
                    if (need > buf.Length)
                    {
                        var bigger = ArrayPool<byte>.Shared.Rent(need);
                        ArrayPool<byte>.Shared.Return(buf);
                        buf = bigger;
                    }
                }
                if (!packetizers.TryGetValue(p.Pid, out var packetizer)) packetizers[p.Pid] = packetizer = new TsPacketizer(p.Pid);
                used += packetizer.Packetize(p.Data.Span, p.Key, buf.AsSpan(used));
            }
            if (used > 0) await stdin.WriteAsync(buf.AsMemory(0, used), ct).ConfigureAwait(false);
        }
        finally { ArrayPool<byte>.Shared.Return(buf); }
    };

    /// <summary>Remuxes the cut into a media file of <paramref name="kind"/>; the result says where it starts and whether it had a gap.</summary>
    public static async Task<RenderResult> Mp4Async(RenderPlan plan, PacketCut cut, MediaStore store, FfmpegProcess ffmpeg,
        string kind, TimeSpan timeout, CancellationToken ct)
    {
        if (plan.Width is null && InProcess(cut) is { } write)
        {
            // the in-process muxer: no process start, probe or faststart pass (a fallback to ffmpeg when it cannot read the packets)
            Mp4.Mp4Muxer.Result? muxed = null;
            try
            {
                var file = await store.WriteAsync(plan.Camera.Slug, plan.RequestedAt, kind, "mp4", async (tmp, c) =>
                {
                    await using var fs = new FileStream(tmp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 256 * 1024);
                    muxed = write(fs);
                }, ct).ConfigureAwait(false);
                return Result(plan, cut, store, file, muxed!.Frames, muxed.Width, muxed.Height);
            }
            catch (Mp4.Mp4MuxException) { }
        }
        var mp4 = await store.WriteAsync(plan.Camera.Slug, plan.RequestedAt, kind, "mp4",
            (tmp, c) => ffmpeg.RunAsync(Mp4Args(cut.Codec, plan.Width, tmp, cut.HasAudio), TsInput(cut), timeout, c), ct).ConfigureAwait(false);
        // a remux keeps the frames of the cut and the size of the camera's frames (the JPEG frames are decoded from the
        // same stream, unscaled): no ffprobe run (a process start, ~0.1-0.5 s) unless that is unknown or it was scaled
        int? frames = cut.Packets.Count(p => !p.Audio);
        var (w, h) = plan.Width is null ? NewestFrameSize(plan.Camera.Ring) : (0, 0);
        if (w == 0 || h == 0) (w, h, frames) = await StreamMoment.ProbeOutputAsync(mp4.FullPath, ct).ConfigureAwait(false);
        return Result(plan, cut, store, mp4, frames, w, h);
    }

    /// <summary>Whether MP4s of the cut are muxed in-process (<see cref="Mp4.Mp4Muxer"/>); a switch for the benchmark's comparison.</summary>
    public static bool InProcessMux { get; set; } = true;

    private static Func<Stream, Mp4.Mp4Muxer.Result>? InProcess(PacketCut cut) =>
        InProcessMux && cut.Codec is StreamCodec.H264 or StreamCodec.H265 ? s => Mp4.Mp4Muxer.Write(cut, s) : null;

    private static RenderResult Result(RenderPlan plan, PacketCut cut, MediaStore store, StoredMedia mp4, int? frames, int w, int h)
    {
        return new RenderResult
        {
            RequestId = plan.Request.RequestId, Camera = plan.Camera.Slug, Kind = ResultKinds.Of(plan.Kind), Status = RenderStatus.Ok,
            Url = store.Url(mp4.RelativePath), Media = store.Media(mp4.RelativePath), Path = mp4.FullPath, Bytes = mp4.Bytes,
            Frames = frames, Width = w, Height = h, Start = cut.Start, End = cut.End,
            LeadMs = (long)Math.Round(cut.Lead.TotalMilliseconds), Gap = cut.Gap ? true : null, Source = RenderResult.SourcePackets,
        };
    }

    /// <summary>The size of the newest JPEG frame of the camera; (0, 0) when there is none or it cannot be read.</summary>
    private static (int W, int H) NewestFrameSize(FrameRing ring)
    {
        using var latest = ring.Latest();
        if (latest is null || latest.Count == 0) return (0, 0);
        var f = latest[0];
        if (f.Width > 0 && f.Height > 0) return (f.Width, f.Height);
        return Imaging.JpegValidator.TryGetSize(f.Jpeg.Span, out var w, out var h) ? (w, h) : (0, 0);
    }

    /// <summary>
    /// GIF frames from the ring: decodes only the window [from, to] of the cut at <paramref name="fps"/>, at most
    /// <paramref name="width"/> wide, to JPEGs (the input of the GIF encode step), with the times of the first and last.
    /// </summary>
    public static async Task<(List<ReadOnlyMemory<byte>> Frames, DateTimeOffset First, DateTimeOffset Last)> FramesAsync(
        PacketCut cut, DateTimeOffset from, DateTimeOffset to, double fps, int width, FfmpegProcess ffmpeg, TimeSpan timeout,
        int maxFrameBytes, CancellationToken ct)
    {
        var start = from > cut.Start ? from : cut.Start;
        var end = to < cut.End ? to : cut.End;
        var seconds = Math.Max(1 / fps, (end - start).TotalSeconds + 1 / fps);
        var run = await ffmpeg.RunAsync(FrameArgs((start - cut.Start).TotalSeconds, seconds, fps, width), TsInput(cut), timeout, ct,
            captureStdout: true).ConfigureAwait(false);
        var frames = new List<ReadOnlyMemory<byte>>();
        using var parser = new MjpegParser(null, maxFrameBytes);
        var data = run.Stdout ?? [];
        for (var o = 0; o < data.Length;)
        {
            var m = parser.GetMemory(Math.Min(64 * 1024, data.Length - o));
            var n = Math.Min(m.Length, data.Length - o);
            data.AsSpan(o, n).CopyTo(m.Span);
            parser.Advance(n);
            o += n;
            while (parser.TryRead(out var jpeg)) frames.Add(jpeg.ToArray());
        }
        if (frames.Count == 0) throw new FfmpegException("decoding the stream's packets gave no frames");
        return (frames, start, start.AddSeconds((frames.Count - 1) / fps));
    }
}
