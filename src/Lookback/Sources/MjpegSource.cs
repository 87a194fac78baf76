using Lookback.Config;
using Lookback.Imaging;

namespace Lookback.Sources;

/// <summary>
/// Reads a <c>multipart/x-mixed-replace</c> stream and delivers frames sampled to <see cref="CameraOptions.Interval"/>:
/// the first frame, then each frame that arrives at least 90% of the interval after the last delivered one. Reconnects
/// with <see cref="Backoff"/> (reset once a frame was delivered). No bytes for <see cref="CameraOptions.Timeout"/> seconds
/// is a stall: reported, then reconnect. Bytes without a complete frame for <see cref="CameraOptions.Timeout"/> seconds
/// (a camera trickling a few bytes a second) are reported as "no complete frame in N s", then reconnect.
/// </summary>
public sealed class MjpegSource : IFrameSource
{
    /// <summary>Frames arriving this fraction of the interval early are still delivered.</summary>
    public const double IntervalTolerance = 0.10;
    private static readonly TimeSpan ProblemReportEvery = TimeSpan.FromSeconds(5);

    private readonly CameraHttp _http;
    private readonly TimeProvider _time;
    private readonly Backoff _backoff;
    private readonly long _minGapTicks;
    private long? _lastDelivered;
    private long _lastProblemReport;
    private string? _lastProblem;
    private long _delivered;

    public MjpegSource(CameraOptions options, HttpClient http, TimeProvider? time = null, Backoff? backoff = null)
        : this(options, new CameraHttp(options, http), time, backoff) { }

    internal MjpegSource(CameraOptions options, CameraHttp http, TimeProvider? time, Backoff? backoff)
    {
        _http = http;
        _time = time ?? TimeProvider.System;
        _backoff = backoff ?? new Backoff();
        _minGapTicks = (long)(Math.Max(0, options.Interval) * (1 - IntervalTolerance) * _time.TimestampFrequency);
    }

    public string SafeUrl => _http.SafeUrl;
    /// <summary>Frames delivered to the sink so far.</summary>
    public long FramesDelivered => Interlocked.Read(ref _delivered);
    /// <summary>Frames parsed from the stream so far (delivered or skipped by sampling).</summary>
    public long FramesReceived { get; private set; }

    public async Task RunAsync(IFrameSink sink, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(sink);
        while (true)
        {
            ct.ThrowIfCancellationRequested();
            var before = FramesDelivered;
            var error = await RunConnectionAsync(sink, ct).ConfigureAwait(false);
            if (FramesDelivered > before) _backoff.Reset();
            SourceSink.Error(sink, error);
            await Task.Delay(_backoff.Next(), _time, ct).ConfigureAwait(false);
        }
    }

    /// <summary>One connection, until it fails; returns why.</summary>
    private async Task<string> RunConnectionAsync(IFrameSink sink, CancellationToken ct)
    {
        using var conn = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var stalled = false;
        var streaming = false;
        MjpegParser? current = null;
        using var watchdog = _time.CreateTimer(_ =>
        {
            stalled = true;
            try { conn.Cancel(); } catch (ObjectDisposedException) { }
        }, null, _http.Timeout, Timeout.InfiniteTimeSpan);
        var noFrame = false;
        using var frameWatch = _time.CreateTimer(_ =>
        {
            noFrame = true;
            try { conn.Cancel(); } catch (ObjectDisposedException) { }
        }, null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        try
        {
            using var resp = await _http.GetAsync(conn.Token).ConfigureAwait(false);
            var mediaType = resp.Content.Headers.ContentType?.MediaType;
            if (!CameraKindResolver.IsMultipart(mediaType))
                return _http.Message(CameraKindResolver.IsJpegLike(mediaType) && mediaType is not null
                    ? $"not an MJPEG stream (content-type {mediaType}): use kind snapshot"
                    : $"not an MJPEG stream (content-type {mediaType ?? "missing"})");
            var boundary = MjpegParser.BoundaryFromContentType(CameraHttp.ContentTypeValue(resp));
            using var parser = current = new MjpegParser(boundary, _http.MaxFrameBytes);
            var stream = await resp.Content.ReadAsStreamAsync(conn.Token).ConfigureAwait(false);
            await using (stream.ConfigureAwait(false))
            {
                streaming = true;
                watchdog.Change(_http.Timeout, Timeout.InfiniteTimeSpan);
                frameWatch.Change(_http.Timeout, Timeout.InfiniteTimeSpan);
                while (true)
                {
                    var n = await stream.ReadAsync(parser.GetMemory(32 * 1024), conn.Token).ConfigureAwait(false);
                    watchdog.Change(_http.Timeout, Timeout.InfiniteTimeSpan);
                    if (n == 0)
                        return _http.Message(parser.InFrame ? "connection closed mid-frame" : "stream ended (camera closed the connection)");
                    parser.Advance(n);
                    if (Drain(parser, sink) > 0) frameWatch.Change(_http.Timeout, Timeout.InfiniteTimeSpan);
                }
            }
        }
        catch (Exception) when (ct.IsCancellationRequested)
        {
            throw new OperationCanceledException(ct);
        }
        catch (Exception) when (noFrame && !stalled)
        {
            return _http.Message($"no complete frame in {_http.TimeoutSeconds:0.###} s");
        }
        catch (Exception) when (stalled)
        {
            return streaming ? _http.Message($"stream stalled (no data for {_http.TimeoutSeconds:0.###} s)") : _http.TimeoutMessage();
        }
        catch (Exception ex) when (streaming && ex is IOException or HttpRequestException)
        {
            // the camera dropped the connection while streaming
            return _http.Message(current is { InFrame: true } ? "connection closed mid-frame" : "stream ended (connection lost)");
        }
        catch (Exception ex)
        {
            return _http.Describe(ex);
        }
    }

    /// <summary>Reads every complete part; returns how many complete frames there were (delivered or skipped).</summary>
    private int Drain(MjpegParser parser, IFrameSink sink)
    {
        var complete = 0;
        while (true)
        {
            var problems = parser.OversizeParts + parser.InvalidParts;
            var got = parser.TryRead(out var jpeg);
            if (parser.OversizeParts + parser.InvalidParts != problems && parser.LastProblem is { } p)
                ReportProblem(sink, p, _time.GetTimestamp());
            if (!got) return complete;
            complete++;
            FramesReceived++;
            var now = _time.GetTimestamp();
            if (_lastDelivered is long last && now - last < _minGapTicks) continue;
            var problem = JpegValidator.Validate(jpeg);
            if (problem is not null)
            {
                ReportProblem(sink, problem, now);
                continue;
            }
            _lastDelivered = now;
            Interlocked.Increment(ref _delivered);
            SourceSink.Frame(sink, jpeg, _time.GetUtcNow());
        }
    }

    /// <summary>Bad parts inside a working stream: each kind of problem reported at most once per few seconds.</summary>
    private void ReportProblem(IFrameSink sink, string problem, long now)
    {
        if (problem == _lastProblem && _time.GetElapsedTime(_lastProblemReport, now) < ProblemReportEvery) return;
        _lastProblem = problem;
        _lastProblemReport = now;
        SourceSink.Error(sink, _http.Message(problem));
    }
}
