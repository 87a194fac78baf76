using System.Collections.Concurrent;
using Lookback.Cameras;
using Lookback.Config;
using Lookback.Imaging;
using Lookback.Sources;
using Microsoft.Extensions.Logging;

namespace Lookback.Media.Timelapse;

/// <summary>
/// The daily timelapse: samples every camera's newest ring frame every <see cref="TimelapseOptions.SamplePeriod"/>
/// (48 s by default: 1800 frames a day, 60 s at 30 fps) into the day's samples file — a frame already sampled is not
/// sampled again, so a camera that is offline (or a folder camera between uploads) adds nothing; frames wider than
/// <c>timelapse.width</c> are scaled down first. After midnight (local) it encodes the previous day's MP4 for every camera,
/// and at start every past day whose MP4 is missing or older than its samples. Encodes run one at a time; asking for
/// a day that is being encoded waits for that encode.
/// </summary>
public sealed class TimelapseService : IAsyncDisposable
{
    private readonly ICameraDirectory _cameras;
    private readonly TimelapseEncoder _encoder;
    private readonly TimelapseOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _log;
    private readonly TimeSpan _period;
    private readonly SemaphoreSlim _encodeGate = new(1, 1);
    private readonly ConcurrentDictionary<(string, DateOnly), Task<TimelapseResult>> _encoding = new();
    private readonly Dictionary<string, long> _lastSequence = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _cts = new();
    private Task? _loop;
    private long _samples;

    public TimelapseService(ICameraDirectory cameras, TimelapseEncoder encoder, TimelapseOptions options, TimeProvider? time = null,
        ILogger? log = null, TimeSpan? period = null)
    {
        _cameras = cameras; _encoder = encoder; _options = options;
        _time = time ?? TimeProvider.System;
        _log = log ?? Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance;
        _period = period ?? options.SamplePeriod;
    }

    public TimelapseStore Store => _encoder.Store;
    public TimelapseOptions Options => _options;
    /// <summary>Samples written since start.</summary>
    public long SamplesWritten => Interlocked.Read(ref _samples);

    /// <summary>Cameras that are sampled.</summary>
    public bool Samples(ICamera camera) => _options.Enabled && camera.Options.Timelapse;

    /// <summary>Starts sampling and the daily encodes (nothing when <c>timelapse.enabled</c> is false).</summary>
    public void Start()
    {
        if (_loop is not null || !_options.Enabled) return;
        _loop = Task.Run(() => RunAsync(_cts.Token));
    }

    private async Task RunAsync(CancellationToken ct)
    {
        var lastDay = Store.DayOf(_time.GetUtcNow());
        foreach (var cam in _cameras.All.Where(Samples))
        {
            Store.RemoveEmptySampleFolders(cam.Slug);
            foreach (var d in Store.Days(cam.Slug).Where(d => d.Date < lastDay && d.Frames > 0 && !Store.Mp4Current(cam.Slug, d.Date)))
                EncodeInBackground(cam.Slug, d.Date);
        }
        using var timer = new PeriodicTimer(_period, _time);
        try
        {
            while (await timer.WaitForNextTickAsync(ct).ConfigureAwait(false))
            {
                SampleOnce();
                var today = Store.DayOf(_time.GetUtcNow());
                if (today != lastDay)
                {
                    foreach (var cam in _cameras.All.Where(Samples)) EncodeInBackground(cam.Slug, lastDay);
                    lastDay = today;
                }
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested) { }
    }

    /// <summary>Takes one sample of every camera (the timer does this every period). Returns how many were written.</summary>
    public int SampleOnce()
    {
        var written = 0;
        foreach (var cam in _cameras.All)
        {
            if (!Samples(cam)) continue;
            try
            {
                using var latest = cam.Ring.Latest();
                if (latest is null || latest.Count == 0) continue;
                var frame = latest[0];
                if (_lastSequence.TryGetValue(cam.Slug, out var seq) && seq == frame.Sequence) continue;
                _lastSequence[cam.Slug] = frame.Sequence;
                var jpeg = frame.Jpeg.Span;
                var width = frame.Width > 0 ? frame.Width : JpegValidator.TryGetSize(jpeg, out var w, out _) ? w : 0;
                byte[]? scaled = width > _options.Width ? Jpeg.Resize(jpeg, _options.Width) : null;
                TimelapseSamples.Append(Store.SamplesPath(cam.Slug, Store.DayOf(frame.Time)), frame.Time, scaled ?? jpeg);
                Interlocked.Increment(ref _samples);
                written++;
            }
            catch (Exception ex)
            {
                _log.LogWarning("Camera {Camera}: timelapse sample failed: {Error}", cam.Slug, ex.Message);
            }
        }
        return written;
    }

    private void EncodeInBackground(string camera, DateOnly day) => _ = EncodeAsync(camera, day, CancellationToken.None).ContinueWith(t =>
    {
        if (t.IsFaulted && t.Exception!.InnerException is not TimelapseNoFramesException)
            _log.LogWarning("Camera {Camera}: timelapse of {Day} failed: {Error}", camera, TimelapseStore.DayText(day), t.Exception.InnerException?.Message);
        else if (t.IsCompletedSuccessfully)
            _log.LogInformation("Camera {Camera}: timelapse of {Day} written ({Frames} frames, {Bytes} bytes)", camera,
                TimelapseStore.DayText(day), t.Result.Frames, t.Result.Bytes);
    }, TaskScheduler.Default);

    /// <summary>
    /// The day's MP4: the existing one when it is current, else encoded now (joining an encode already running).
    /// Throws <see cref="TimelapseNoFramesException"/> when the day has no samples and no MP4.
    /// </summary>
    public Task<TimelapseResult> GetOrEncodeAsync(string camera, DateOnly day, CancellationToken ct)
    {
        if (Store.Mp4Current(camera, day))
        {
            var fi = new FileInfo(Store.Mp4Path(camera, day));
            var frames = TimelapseSamples.Count(Store.SamplesPath(camera, day));
            return Task.FromResult(new TimelapseResult(camera, day, fi.FullName, TimelapseStore.Mp4RelativePath(camera, day), frames,
                fi.Length, 0, 0, Math.Round(frames / _options.Fps, 3)));
        }
        return EncodeAsync(camera, day, ct);
    }

    /// <summary>Encodes the day now (one encode at a time; a second caller for the same day joins the first).</summary>
    public Task<TimelapseResult> EncodeAsync(string camera, DateOnly day, CancellationToken ct)
    {
        var key = (camera, day);
        var mine = new TaskCompletionSource<TimelapseResult>(TaskCreationOptions.RunContinuationsAsynchronously);
        var task = _encoding.GetOrAdd(key, mine.Task);
        if (task == mine.Task) _ = Task.Run(async () =>
        {
            TimelapseResult? result = null;
            Exception? error = null;
            try
            {
                await _encodeGate.WaitAsync(_cts.Token).ConfigureAwait(false);
                try { result = await _encoder.EncodeAsync(camera, day, null, _cts.Token).ConfigureAwait(false); }
                finally { _encodeGate.Release(); }
            }
            catch (Exception ex) { error = ex; }
            _encoding.TryRemove(new KeyValuePair<(string, DateOnly), Task<TimelapseResult>>(key, mine.Task));
            if (error is not null) mine.SetException(error); else mine.SetResult(result!);
        });
        return task.WaitAsync(ct);
    }

    public async ValueTask DisposeAsync()
    {
        _cts.Cancel();
        if (_loop is not null) { try { await _loop.WaitAsync(TimeSpan.FromSeconds(3)).ConfigureAwait(false); } catch (Exception) { } }
        try { await Task.WhenAll(_encoding.Values).WaitAsync(TimeSpan.FromSeconds(3)).ConfigureAwait(false); } catch (Exception) { }
    }
}
