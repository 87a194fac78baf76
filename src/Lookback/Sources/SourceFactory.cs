using System.Net;
using Lookback.Config;
using Lookback.Sources.Streaming;

namespace Lookback.Sources;

/// <summary>Builds sources from camera options, and the one <see cref="HttpClient"/> they share.</summary>
public static class SourceFactory
{
    /// <summary>
    /// The shared client for all HTTP cameras: pooled connections recycled every 5 minutes, connect timeout, no cookies,
    /// at most 3 redirects, no automatic decompression, no client-wide timeout (each source applies its own).
    /// </summary>
    public static HttpClient CreateHttpClient(TimeSpan? connectTimeout = null)
    {
        var handler = new SocketsHttpHandler
        {
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            PooledConnectionIdleTimeout = TimeSpan.FromSeconds(60),
            ConnectTimeout = connectTimeout ?? TimeSpan.FromSeconds(10),
            UseCookies = false,
            AllowAutoRedirect = true,
            MaxAutomaticRedirections = 3,
            AutomaticDecompression = DecompressionMethods.None,
            UseProxy = false,
            PreAuthenticate = false,
        };
        return new HttpClient(handler, disposeHandler: true)
        {
            Timeout = Timeout.InfiniteTimeSpan,
            DefaultRequestVersion = HttpVersion.Version11,
        };
    }

    /// <summary>The source for a camera by its <see cref="CameraOptions.Kind"/>; <c>Auto</c> decides from the first response.</summary>
    /// <exception cref="NotSupportedException">rtsp and usb cameras (not yet).</exception>
    public static IFrameSource Create(CameraOptions options, HttpClient http, TimeProvider? time = null) =>
        Create(options, http, time, backoff: null);

    /// <summary>As <see cref="Create(CameraOptions, HttpClient, TimeProvider?)"/>; ffmpeg stream cameras also write
    /// <paramref name="recording"/> (cameras with <c>record: true</c>).</summary>
    public static IFrameSource Create(CameraOptions options, HttpClient http, TimeProvider? time, IStreamRecording? recording) =>
        Create(options, http, time, backoff: null, recording);

    internal static IFrameSource Create(CameraOptions options, HttpClient http, TimeProvider? time, Backoff? backoff,
        IStreamRecording? recording = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(http);
        // rtsp/rtsps, usb (/dev/videoN) and, under auto, http(s) video URLs (.m3u8, .mp4, .ts, .flv, …): one ffmpeg.
        if (StreamArgs.InputKindFor(options) is { } streamKind)
            return new StreamSource(options, streamKind, recording, time, backoff);
        var route = CameraKindResolver.Route(options.Kind, options.Url);
        return route switch
        {
            CameraRoute.Snapshot => new SnapshotSource(options, http, time, backoff),
            CameraRoute.Mjpeg => new MjpegSource(options, http, time, backoff),
            CameraRoute.HttpProbe => new AutoSource(options, http, time, backoff),
            // a directory of uploaded JPEGs; CameraRegistry sets its state folder and event bus.
            CameraRoute.Folder => new Folder.FolderSource(options, time),
            _ => throw new NotSupportedException($"{Redaction.Redact(options.Url)} cannot be read (camera {options.Slug})"),
        };
    }
}

/// <summary>Kind "auto" over HTTP: the first response's Content-Type picks snapshot (image/jpeg) or MJPEG (multipart).</summary>
internal sealed class AutoSource(CameraOptions options, HttpClient client, TimeProvider? time, Backoff? backoff) : IFrameSource
{
    private readonly CameraHttp _http = new(options, client);
    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private readonly Backoff _backoff = backoff ?? new Backoff();

    /// <summary>What the probe decided (Auto until then; Rtsp for a video stream handed to ffmpeg).</summary>
    public CameraKind Detected { get; private set; } = CameraKind.Auto;

    public async Task RunAsync(IFrameSink sink, CancellationToken ct)
    {
        while (true)
        {
            ct.ThrowIfCancellationRequested();
            var (kind, error) = await ProbeAsync(ct).ConfigureAwait(false);
            if (kind != CameraKind.Auto)
            {
                Detected = kind;
                _backoff.Reset();
                IFrameSource inner = kind == CameraKind.Rtsp // a video Content-Type: ffmpeg reads it
                    ? new StreamSource(options, StreamInputKind.HttpVideo, null, _time, _backoff)
                    : kind == CameraKind.Mjpeg
                    ? new MjpegSource(options, _http, _time, _backoff)
                    : new SnapshotSource(options, _http, _time, _backoff);
                await inner.RunAsync(sink, ct).ConfigureAwait(false);
                return;
            }
            SourceSink.Error(sink, error!);
            await Task.Delay(_backoff.Next(), _time, ct).ConfigureAwait(false);
        }
    }

    private async Task<(CameraKind, string?)> ProbeAsync(CancellationToken ct)
    {
        using var timeout = new CancellationTokenSource(_http.Timeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, timeout.Token);
        try
        {
            using var resp = await _http.GetAsync(linked.Token).ConfigureAwait(false);
            var mediaType = resp.Content.Headers.ContentType?.MediaType;
            var kind = CameraKindResolver.FromContentType(mediaType); // Rtsp: a video type, read by ffmpeg
            return kind != CameraKind.Auto ? (kind, null)
                : (CameraKind.Auto, _http.Message($"not a JPEG or MJPEG stream (content-type {mediaType})"));
        }
        catch (Exception) when (ct.IsCancellationRequested) { throw new OperationCanceledException(ct); }
        catch (Exception) when (timeout.IsCancellationRequested) { return (CameraKind.Auto, _http.TimeoutMessage()); }
        catch (Exception ex) { return (CameraKind.Auto, _http.Describe(ex)); }
    }
}
