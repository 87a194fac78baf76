using Lookback.Config;
using Lookback.Imaging;

namespace Lookback.Sources;

/// <summary>
/// Polls an HTTP(S) JPEG URL every <see cref="CameraOptions.Interval"/> seconds. Polls are scheduled by start time
/// (steady period); a poll that takes longer than the interval is followed at once by the next, with no catch-up burst.
/// While failing, waits with <see cref="Backoff"/> (at least the interval). Every fault is reported through
/// <see cref="IFrameSink.OnError"/>; only cancellation ends <see cref="RunAsync"/>.
/// </summary>
public sealed class SnapshotSource : IFrameSource
{
    private readonly CameraHttp _http;
    private readonly TimeProvider _time;
    private readonly Backoff _backoff;
    private readonly TimeSpan _interval;
    private byte[] _buf = new byte[64 * 1024];

    public SnapshotSource(CameraOptions options, HttpClient http, TimeProvider? time = null, Backoff? backoff = null)
        : this(options, new CameraHttp(options, http), time, backoff) { }

    internal SnapshotSource(CameraOptions options, CameraHttp http, TimeProvider? time, Backoff? backoff)
    {
        _http = http;
        _time = time ?? TimeProvider.System;
        _backoff = backoff ?? new Backoff();
        _interval = TimeSpan.FromSeconds(Math.Max(0, options.Interval));
    }

    /// <summary>The URL as shown in messages (redacted).</summary>
    public string SafeUrl => _http.SafeUrl;

    public async Task RunAsync(IFrameSink sink, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(sink);
        var freq = _time.TimestampFrequency;
        var intervalTicks = (long)(_interval.TotalSeconds * freq);
        var due = _time.GetTimestamp();
        while (true)
        {
            ct.ThrowIfCancellationRequested();
            var error = await PollOnceAsync(sink, ct).ConfigureAwait(false);
            var now = _time.GetTimestamp();
            due += intervalTicks;
            if (due < now) due = now; // late: start at once, never several to catch up
            if (error is not null)
            {
                SourceSink.Error(sink, error);
                var backoffTicks = (long)(_backoff.Next().TotalSeconds * freq);
                if (now + backoffTicks > due) due = now + backoffTicks;
            }
            else _backoff.Reset();
            var wait = _time.GetElapsedTime(now, due);
            if (wait > TimeSpan.Zero) await Task.Delay(wait, _time, ct).ConfigureAwait(false);
        }
    }

    /// <summary>One request: delivers the frame and returns null, or returns the error (does not call OnError).</summary>
    public async Task<string?> PollOnceAsync(IFrameSink sink, CancellationToken ct)
    {
        using var timeout = new CancellationTokenSource(_http.Timeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, timeout.Token);
        try
        {
            using var resp = await _http.GetAsync(linked.Token).ConfigureAwait(false);
            var mediaType = resp.Content.Headers.ContentType?.MediaType;
            if (CameraKindResolver.IsMultipart(mediaType))
                return _http.Message($"got a stream ({mediaType}), not a snapshot: use kind mjpeg");
            if (!CameraKindResolver.IsJpegLike(mediaType))
                return _http.Message($"not a JPEG (content-type {mediaType})");
            var capturedAt = _time.GetUtcNow();
            var max = _http.MaxFrameBytes;
            var declared = resp.Content.Headers.ContentLength;
            if (declared > max) return _http.Message($"frame larger than {max} bytes");
            var stream = await resp.Content.ReadAsStreamAsync(linked.Token).ConfigureAwait(false);
            await using (stream.ConfigureAwait(false))
            {
                var n = await ReadBodyAsync(stream, declared, max, linked.Token).ConfigureAwait(false);
                if (n < 0) return _http.Message($"frame larger than {max} bytes");
                return Deliver(sink, n, capturedAt);
            }
        }
        catch (Exception) when (ct.IsCancellationRequested)
        {
            throw new OperationCanceledException(ct);
        }
        catch (Exception) when (timeout.IsCancellationRequested)
        {
            return _http.TimeoutMessage();
        }
        catch (Exception ex)
        {
            return _http.Describe(ex);
        }
    }

    private string? Deliver(IFrameSink sink, int n, DateTimeOffset capturedAt)
    {
        var jpeg = _buf.AsSpan(0, n);
        var problem = JpegValidator.Validate(jpeg);
        if (problem is not null) return _http.Message(problem);
        SourceSink.Frame(sink, jpeg, capturedAt);
        return null;
    }

    /// <summary>Reads the body into the reusable buffer; -1 when it is larger than <paramref name="max"/>.</summary>
    private async Task<int> ReadBodyAsync(Stream stream, long? declared, int max, CancellationToken ct)
    {
        if (declared is long d && d > _buf.Length) Grow((int)Math.Min(d + 1, max + 1L));
        var total = 0;
        while (true)
        {
            if (total == _buf.Length)
            {
                if (total > max) return -1;
                Grow((int)Math.Min(_buf.Length * 2L, max + 1L));
            }
            var r = await stream.ReadAsync(_buf.AsMemory(total), ct).ConfigureAwait(false);
            if (r == 0) return total;
            total += r;
            if (total > max) return -1;
        }
    }

    private void Grow(int size)
    {
        if (size <= _buf.Length) return;
        var nb = new byte[size];
        _buf.AsSpan().CopyTo(nb);
        _buf = nb;
    }
}

/// <summary>Calls into the sink without letting a faulty sink stop the source.</summary>
internal static class SourceSink
{
    public static void Frame(IFrameSink sink, ReadOnlySpan<byte> jpeg, DateTimeOffset at)
    {
        try { sink.OnFrame(jpeg, at); }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            Error(sink, $"frame handler failed: {ex.GetType().Name}: {ex.Message}");
        }
    }

    public static void Error(IFrameSink sink, string error)
    {
        try { sink.OnError(error); }
        catch (Exception ex) when (ex is not OperationCanceledException) { /* the sink's own problem; keep running */ }
    }
}
