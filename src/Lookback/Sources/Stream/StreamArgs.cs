using System.Globalization;
using Lookback.Config;

namespace Lookback.Sources.Streaming;

/// <summary>
/// Pure building of the per-camera ffmpeg command line (no I/O, unit-tested): one input, and up to five outputs from
/// the one decode: (a) JPEG frames for the ring at <c>interval</c> on stdout, (b) small gray frames for motion at
/// <c>motion.fps</c> as YUV4MPEG (self-describing: width and height in its header) to a loopback TCP listener,
/// (c) stream-copied HLS segments when recording, (d) the stream-copied video as MPEG-TS for the packet ring,
/// (e) small preview JPEGs for GIFs; (b) and (e) share one scale when both are asked for (<see cref="GrayAndPreviewOutputs"/>).
/// </summary>
public static class StreamArgs
{
    /// <summary>Gray frames for motion are scaled to this height (never upscaled), width keeping the aspect (even).</summary>
    public const int GrayHeight = 180;

    private static string F(double v) => v.ToString("0.######", CultureInfo.InvariantCulture);

    /// <summary>The input kind for a camera's options and URL (<see cref="CameraKindResolver.Route"/>), or null when it is
    /// not an ffmpeg stream.</summary>
    public static StreamInputKind? InputKindFor(CameraOptions o) => CameraKindResolver.Route(o.Kind, o.Url) switch
    {
        CameraRoute.Rtsp => StreamInputKind.Rtsp,
        CameraRoute.HttpVideo => StreamInputKind.HttpVideo,
        CameraRoute.Usb => StreamInputKind.Usb,
        _ => null,
    };

    /// <summary>
    /// The URL given to ffmpeg: the configured URL with the credentials put back as percent-encoded user info.
    /// Never log or show it (use <see cref="Redaction.Redact"/> on <see cref="CameraOptions.Url"/> instead).
    /// </summary>
    public static string InputUrl(CameraOptions o)
    {
        if (string.IsNullOrEmpty(o.Username) || !Uri.TryCreate(o.Url, UriKind.Absolute, out var u)) return o.Url;
        var userInfo = Uri.EscapeDataString(o.Username) + (string.IsNullOrEmpty(o.Password) ? "" : ":" + Uri.EscapeDataString(o.Password));
        var schemeEnd = o.Url.IndexOf("://", StringComparison.Ordinal);
        return o.Url[..(schemeEnd + 3)] + userInfo + "@" + o.Url[(schemeEnd + 3)..];
    }

    /// <summary>Input options and <c>-i</c> for the camera.</summary>
    public static List<string> Input(CameraOptions o, StreamInputKind kind, string transport = "tcp")
    {
        var timeoutUs = ((long)(Math.Max(1, o.Timeout) * 1_000_000)).ToString(CultureInfo.InvariantCulture);
        // -filter_threads 1: the outputs' filters (fps, a small scale) are light; a pool of filter threads per output
        // only added threads and context switches (the stream bench: 14 threads instead of 6, no CPU saved)
        var a = new List<string> { "-hide_banner", "-nostdin", "-loglevel", "error", "-filter_threads", "1", "-analyzeduration", "2000000", "-fpsprobesize", "2" };
        switch (kind)
        {
            case StreamInputKind.Rtsp:
                a.AddRange(["-rtsp_transport", transport, "-timeout", timeoutUs]);
                break;
            case StreamInputKind.HttpVideo:
                // -re: a file served over HTTP plays at its own rate, like a camera; live streams are not slowed.
                a.AddRange(["-re", "-rw_timeout", timeoutUs, "-reconnect", "1", "-reconnect_streamed", "1"]);
                break;
            case StreamInputKind.Usb:
                a.AddRange(["-f", "v4l2"]);
                break;
        }
        // decoder threads: one thread decodes a 1080p stream with ~5 % less CPU than frame threads (no hand-offs between
        // them; the stream cost bench: 5.56 against 5.84 CPU s per minute of the PETS clip at 1080p25)
        if (o.DecodeThreads > 0) a.AddRange(["-threads", o.DecodeThreads.ToString(CultureInfo.InvariantCulture)]);
        a.AddRange(["-i", InputUrl(o)]);
        return a;
    }

    /// <summary>(a) JPEG frames for the ring, one every <paramref name="interval"/> seconds, back to back on stdout.
    /// <c>-huffman default</c>: the standard tables, one pass (ffmpeg's default "optimal" builds tables per frame: ~15 %
    /// of the 1080p JPEG's encode for ~5 % smaller files). JPEG is full range: with <paramref name="zscale"/> zimg expands a
    /// limited-range frame (<c>zscale=range=full</c>, the same pixels as swscale's, which cost as much as the JPEG encode
    /// itself: valgrind on the PETS clip at 1080p, 105 M instructions a JPEG with swscale against 60 M; a full-range input is
    /// left as it is); without zscale (an ffmpeg built without libzimg) swscale converts to <c>yuvj420p</c>.</summary>
    public static List<string> JpegOutput(double interval, int quality = 4, bool zscale = false) =>
    [
        "-map", "0:v:0", "-vf", $"fps={F(1 / interval)}" + (zscale ? ",zscale=range=full" : ""), "-c:v", "mjpeg", "-q:v", quality.ToString(CultureInfo.InvariantCulture), "-huffman", "default",
        .. (zscale ? new[] { "-pix_fmt", "yuv420p", "-color_range", "pc" } : new[] { "-pix_fmt", "yuvj420p" }),
        "-f", "image2pipe", "-flush_packets", "1", "pipe:1",
    ];

    /// <summary>
    /// (b) Small gray frames for motion at <paramref name="fps"/>, YUV4MPEG mono, to <paramref name="url"/>. Area downscale
    /// first (in the decoder's YUV), then gray: swscale treats gray as full range, so converting a limited-range frame
    /// to gray is a range conversion; done at 1080p that cost more than the whole H.264 decode (measured by the stream
    /// bench), done on the small frame it is nothing. Full-range input (yuvj, MJPEG USB cameras) comes out unchanged.
    /// </summary>
    public static List<string> GrayOutput(double fps, string url, int height = GrayHeight) =>
    [
        "-map", "0:v:0", "-vf", $"fps={F(fps)},{GrayScale(height)}", .. GrayEncode(url),
    ];

    private static string GrayScale(int height) => $"scale=w=-2:h=min({height}\\,ih):flags=area,format=gray";
    private static string[] GrayEncode(string url) => ["-pix_fmt", "gray", "-f", "yuv4mpegpipe", "-flush_packets", "1", url];

    /// <summary>
    /// B-frames: ffmpeg's RTSP demuxer leaves the first keyframe of a run without a pts (its dts is filled in by ffmpeg
    /// from the frame rate), and the MPEG-TS muxer refuses a first packet without both ("first pts and dts value must be
    /// set"). This bitstream filter gives a packet with no pts its dts: only that first frame of a run is touched, and
    /// without B-frames pts = dts anyway.
    /// </summary>
    public const string FillPtsFilter = @"setts=pts=if(eq(PTS\,NOPTS)\,DTS\,PTS)";

    /// <summary>
    /// (d) The stream's own video packets, stream-copied (no re-encode), as MPEG-TS to <paramref name="url"/> for the
    /// packet ring. <c>dump_extra</c> repeats the parameter sets (SPS/PPS/VPS) in front of every keyframe, so that every
    /// GOP kept decodes on its own even when the camera sends them only once (in the SDP). The first audio stream, when
    /// there is one, goes along: copied (AAC), or with <paramref name="transcodeAudio"/> encoded to AAC (G.711 and other
    /// codecs that MPEG-TS and MP4 moments cannot carry as they are). <c>pes_payload_size 0</c> sends every audio frame
    /// in a PES of its own at once: by default the muxer gathers ~2.9 KB of audio first (0.3-0.6 s at 64 kbit/s), so a
    /// moment cut at the newest video frame lacked its last audio.
    /// </summary>
    public static List<string> PacketOutput(string url, bool transcodeAudio = false) =>
    [
        "-map", "0:v:0", "-map", "0:a:0?", "-c:v", "copy", "-bsf:v", FillPtsFilter + ",dump_extra=freq=keyframe",
        .. transcodeAudio ? AacAudio : ["-c:a", "copy"],
        "-f", "mpegts", "-pes_payload_size", "0", "-flush_packets", "1", url,
    ];

    /// <summary>The AAC encode of a stream's non-AAC audio (G.711: 8 kHz mono; the bitrate is capped for low rates).</summary>
    public static readonly string[] AacAudio = ["-c:a", "aac", "-b:a", "64k"];

    /// <summary>
    /// Seconds between the full-size JPEG frames: a camera whose moments and GIFs come from its packet ring needs them
    /// only for snapshots, the MJPEG view and thumbnails, so they come every <c>packet_jpeg_interval</c> s (a 1080p JPEG
    /// costs ffmpeg ~10 ms: at 1 fps that was 0.75 CPU s per camera-minute, over 10 % of the decode itself); otherwise
    /// (no ring, <c>timestamp: true</c> whose renders use the JPEG frames, a ring that cannot cut the stream) every <c>interval</c> s.
    /// </summary>
    public static double JpegInterval(CameraOptions o, bool packetsServe) =>
        packetsServe && !o.Timestamp ? Math.Max(o.Interval, o.PacketJpegInterval) : o.Interval;

    /// <summary>
    /// (e) Small JPEG frames for GIFs at <paramref name="fps"/>, at most <paramref name="width"/> wide, back to back to
    /// <paramref name="url"/>: a GIF within them is encoded without decoding the stream's window again. Bilinear scale
    /// (measured by CPU time before 0.5.3, area cost ~30 % more for no visible gain once palettised; valgrind's instruction
    /// counts in 0.5.4 put area 45 M per 10 s below bilinear in the shared scale, not switched: its GIFs were not compared).
    /// The decoder's own range is kept: <c>-strict -1</c> lets
    /// the JPEG encoder take limited-range yuv420p, which it marks <c>CS=ITU601</c> and the GIF encoder expands
    /// (<see cref="Imaging.LimitedRange"/>). The conversion to full range had cost swscale more than the scale itself
    /// (perf on the PETS clip: swscale 2.5–3.1 % of ffmpeg's CPU against 1.7–1.9 % without). <c>-q:v 4</c>: limited range
    /// has fewer levels, q4 gives the SSIM that full range had at q5 (0.937 against 0.934, ~19 KB at 480x270).
    /// </summary>
    public static List<string> PreviewOutput(double fps, int width, string url) =>
    [
        "-map", "0:v:0", "-vf", $"fps={F(fps)},{PreviewScale(width)}", .. PreviewEncode(url),
    ];

    private static string PreviewScale(int width) => $"scale=w='min({width}\\,iw)':h=-2:flags=bilinear,format=pix_fmts=yuv420p|yuvj420p";
    private static string[] PreviewEncode(string url) => ["-c:v", "mjpeg", "-q:v", "4", "-huffman", "default", "-strict", "-1", "-f", "image2pipe", "-flush_packets", "1", url];

    /// <summary>Previews at least this wide give the gray frames their <see cref="GrayHeight"/> rows for sources up to
    /// 480:180 (2.67:1, 16:9 and 21:9 included), so the gray frames can be scaled from them (<see cref="GrayAndPreviewOutputs"/>).</summary>
    public const int FoldMinWidth = 480;

    /// <summary>
    /// (b) and (e) from one scale: the frames at the higher of the two rates are scaled once to the preview size, then
    /// split; the gray frames are scaled down from the preview frames (a 480x270 area scale instead of one from the
    /// source), each branch keeps its own rate (ffmpeg's <c>fps</c>: a 4 fps preview from a 5 fps grid drops one frame in
    /// five, so its frames are up to 0.1 s off the exact quarter seconds). valgrind on the PETS clip at 1080p25: the two
    /// outputs cost 741 M instructions per 10 s apart and 561 M folded (the decode itself: 9,116 M), 2 % of the decode.
    /// </summary>
    public static List<string> GrayAndPreviewOutputs(double motionFps, double previewFps, int width, string grayUrl, string previewUrl, int height = GrayHeight)
    {
        var grid = Math.Max(motionFps, previewFps);
        string Rate(double fps) => fps < grid ? $"fps={F(fps)}," : "";
        var graph = $"[0:v:0]fps={F(grid)},{PreviewScale(width)},split=2[lbp][lbg];" +
            $"[lbp]{Rate(previewFps)}null[lbpreview];[lbg]{Rate(motionFps)}{GrayScale(height)}[lbgray]";
        return ["-filter_complex_threads", "1", "-filter_complex", graph, "-map", "[lbgray]", .. GrayEncode(grayUrl), "-map", "[lbpreview]", .. PreviewEncode(previewUrl)];
    }

    /// <summary>The preview frames' rate: the camera's GIF rate.</summary>
    public static double PreviewFps(CameraOptions o) => Math.Clamp(o.Gif.Fps, 0.1, 30);

    /// <summary>The whole command line.</summary>
    /// <remarks><paramref name="jpegInterval"/>: seconds between JPEG frames when not <c>interval</c> (<see cref="JpegInterval"/>).</remarks>
    public static List<string> Build(CameraOptions o, StreamInputKind kind, string transport, string? grayUrl,
        IReadOnlyList<string>? recordingOutput, string? packetUrl = null, bool transcodeAudio = false, double? jpegInterval = null,
        string? previewUrl = null, bool zscale = false)
    {
        var a = Input(o, kind, transport);
        a.AddRange(JpegOutput(jpegInterval ?? o.Interval, zscale: zscale));
        var motionFps = Math.Clamp(o.Motion.Fps, 0.1, 30);
        var fold = grayUrl is not null && previewUrl is not null && o.Gif.Width >= FoldMinWidth;
        if (grayUrl is not null && !fold) a.AddRange(GrayOutput(motionFps, grayUrl));
        if (packetUrl is not null) a.AddRange(PacketOutput(packetUrl, transcodeAudio));
        if (fold) a.AddRange(GrayAndPreviewOutputs(motionFps, PreviewFps(o), o.Gif.Width, grayUrl!, previewUrl!));
        else if (previewUrl is not null) a.AddRange(PreviewOutput(PreviewFps(o), o.Gif.Width, previewUrl));
        if (recordingOutput is not null) a.AddRange(recordingOutput);
        return a;
    }
}
