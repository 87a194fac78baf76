using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Lookback.Buffer;
using Lookback.Config;

namespace Lookback.Sources.Streaming;

/// <summary>
/// An ffmpeg-read camera (RTSP/RTSPS, HTTP video streams, USB /dev/videoN): ONE ffmpeg per camera decodes the
/// stream once and writes (a) JPEG frames at <c>interval</c> to stdout → the ring, (b) small gray frames at
/// <c>motion.fps</c> to a loopback TCP listener → <see cref="IGrayFrameSink"/> (when the sink is one), (c) stream-copied
/// HLS segments when the camera records, (d) the stream-copied video as MPEG-TS to another loopback listener →
/// <see cref="TsDemuxer"/> → the sink's <see cref="PacketRing"/> (when the sink is an <see cref="IPacketSink"/>).
/// </summary>
/// <remarks>
/// Gray frames travel over <c>tcp://127.0.0.1:PORT</c> (a listener opened per run, one connection accepted) rather
/// than a named pipe: the socket gives cancellable async reads, EOF when ffmpeg dies, and no files to clean up, while a
/// FIFO's open() blocks both sides until the other appears (hung forever when ffmpeg fails before opening it).
/// Watchdog: no JPEG or gray frame for <c>timeout</c> seconds (plus one <c>interval</c> without gray frames) kills
/// ffmpeg; every end of a run is reported through <see cref="IFrameSink.OnError"/> with ffmpeg's exit status and the
/// last lines of its stderr, with the credentials removed, then ffmpeg is restarted with <see cref="Backoff"/>.
/// </remarks>
public sealed class StreamSource : IFrameSource
{
    private readonly CameraOptions _options;
    private readonly StreamInputKind _kind;
    private readonly IStreamRecording? _recording;
    private readonly TimeProvider _time;
    private readonly Backoff _backoff;
    private readonly string _ffmpeg;
    private readonly string _safeUrl;
    private readonly string _secretUrl;
    private long _framesDelivered, _grayDelivered, _packetsDelivered, _previewsDelivered;
    private volatile int _pid;
    private volatile bool _transcodeAudio;
    private volatile bool _jpegForRenders;

    /// <summary>Extra time for a run's first frame: ffmpeg's connection and stream probing.</summary>
    public static readonly TimeSpan StartupGrace = TimeSpan.FromSeconds(10);

    public StreamSource(CameraOptions options, StreamInputKind kind, IStreamRecording? recording = null,
        TimeProvider? time = null, Backoff? backoff = null, string ffmpeg = "ffmpeg")
    {
        _options = options;
        _kind = kind;
        _recording = recording;
        _time = time ?? TimeProvider.System;
        _backoff = backoff ?? new Backoff();
        _ffmpeg = ffmpeg;
        _safeUrl = Redaction.Redact(options.Url); // devices and paths come back as they are
        _secretUrl = StreamArgs.InputUrl(options);
    }

    public StreamInputKind InputKind => _kind;
    public string SafeUrl => _safeUrl;
    public IStreamRecording? Recording => _recording;
    public long FramesDelivered => Interlocked.Read(ref _framesDelivered);
    public long GrayFramesDelivered => Interlocked.Read(ref _grayDelivered);
    public long PacketsDelivered => Interlocked.Read(ref _packetsDelivered);
    /// <summary>Process id of the running ffmpeg (0 when none): for tests and the benchmark.</summary>
    public int ProcessId => _pid;
    /// <summary>True once the stream showed audio that is not AAC: the packet output encodes it to AAC.</summary>
    public bool TranscodesAudio => _transcodeAudio;
    /// <summary>Runs started so far.</summary>
    public int Runs { get; private set; }

    public async Task RunAsync(IFrameSink sink, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(sink);
        while (true)
        {
            ct.ThrowIfCancellationRequested();
            var before = FramesDelivered + GrayFramesDelivered;
            var error = await RunOnceAsync(sink, ct).ConfigureAwait(false);
            if (FramesDelivered + GrayFramesDelivered > before) _backoff.Reset();
            if (error is null) continue; // a planned restart (audio to transcode): at once, nothing to report
            SourceSink.Error(sink, error);
            await Task.Delay(_backoff.Next(), _time, ct).ConfigureAwait(false);
        }
    }

    /// <summary>Removes the credentials (and secret query values) from anything ffmpeg printed.</summary>
    public string Redact(string text)
    {
        if (string.IsNullOrEmpty(text)) return text;
        if (_secretUrl != _options.Url) text = text.Replace(_secretUrl, _safeUrl, StringComparison.Ordinal);
        text = text.Replace(_options.Url, _safeUrl, StringComparison.Ordinal);
        if (!string.IsNullOrEmpty(_options.Password))
        {
            text = Redaction.Scrub(text, _options.Password);
            text = text.Replace(":" + _options.Password + "@", ":***@", StringComparison.Ordinal);
        }
        return text;
    }

    private string Message(string what) => $"{_safeUrl}: {what}";

    /// <summary>One ffmpeg run, until it exits, stalls or is cancelled; returns why it ended (null: a planned restart).</summary>
    private async Task<string?> RunOnceAsync(IFrameSink sink, CancellationToken ct)
    {
        var gray = sink as IGrayFrameSink;
        var ring = _kind == StreamInputKind.Usb ? null : (sink as IPacketSink)?.Packets; // USB: often raw video
        TcpListener? listener = null, packetListener = null, previewListener = null;
        if (gray is not null && _options.Motion.Enabled) listener = Listen();
        if (ring is not null) packetListener = Listen();
        var previews = PreviewsOf(sink, ring);
        if (previews is not null) previewListener = Listen();
        try
        {
            List<string> args;
            string? cwd = null;
            var zscale = await FfmpegFilters.HasAsync(_ffmpeg, "zscale", ct).ConfigureAwait(false);
            try
            {
                args = StreamArgs.Build(_options, _kind, _options.Transport, UrlOf(listener), _recording?.OutputArgs(), UrlOf(packetListener), _transcodeAudio,
                    JpegInterval(ring), UrlOf(previewListener), zscale);
                cwd = _recording?.WorkingDirectory;
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                return Message($"cannot prepare the recording folder: {ex.Message}");
            }

            Process p;
            try { p = await ChildProcessLauncher.StartAsync(ChildProcessLauncher.CreateStartInfo(_ffmpeg, args, cwd)).ConfigureAwait(false); }
            catch (Exception ex) { return Message($"cannot start {_ffmpeg}: {ex.Message}"); }
            using var proc = p;
            _pid = p.Id;
            Runs++;
            var started = _time.GetUtcNow();
            _recording?.OnRunStarted(started);

            using var run = CancellationTokenSource.CreateLinkedTokenSource(ct);
            var lastActivity = _time.GetTimestamp();
            var active = 0;
            void Alive()
            {
                Interlocked.Exchange(ref lastActivity, _time.GetTimestamp());
                Volatile.Write(ref active, 1);
            }

            var tail = new StderrTail();
            var stderrTask = tail.PumpAsync(p.StandardError.BaseStream);
            var jpegTask = ReadJpegsAsync(p.StandardOutput.BaseStream, sink, Alive, run.Token);
            var grayTask = listener is null ? Task.CompletedTask : ReadGrayAsync(listener, gray!, sink, Alive, run.Token);
            var restart = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var packetTask = packetListener is null ? Task.CompletedTask : ReadPacketsAsync(packetListener, ring!, restart, Alive, run.Token);
            var previewTask = previewListener is null ? Task.CompletedTask : ReadPreviewsAsync(previewListener, previews!, Alive, run.Token);
            var exitTask = p.WaitForExitAsync(CancellationToken.None);

            var stallLimit = TimeSpan.FromSeconds(Math.Max(1, _options.Timeout) + (listener is null && packetListener is null ? _options.Interval : 0));
            var stalled = false;
            try
            {
                while (!exitTask.IsCompleted && !restart.Task.IsCompleted)
                {
                    // before the first frame ffmpeg connects and probes the stream (20 frames for the frame rate: 4 s
                    // of a 5 fps MJPEG camera), which must not count as a stall
                    var limit = Volatile.Read(ref active) == 0 ? stallLimit + StartupGrace : stallLimit;
                    var left = limit - _time.GetElapsedTime(Interlocked.Read(ref lastActivity));
                    if (left <= TimeSpan.Zero) { stalled = true; break; }
                    var tick = Task.Delay(left < TimeSpan.FromSeconds(1) ? left : TimeSpan.FromSeconds(1), _time, ct);
                    await Task.WhenAny(exitTask, tick, restart.Task).ConfigureAwait(false);
                    ct.ThrowIfCancellationRequested();
                }
            }
            finally
            {
                if (!exitTask.IsCompleted)
                {
                    // stopping: let ffmpeg close its segment and playlist; a stall: it is stuck, kill it
                    if (stalled) ChildProcessLauncher.KillTree(p);
                    else await ChildProcessLauncher.TerminateAsync(p, TimeSpan.FromSeconds(1.5)).ConfigureAwait(false);
                }
                run.Cancel();
                try { await exitTask.WaitAsync(TimeSpan.FromSeconds(5), CancellationToken.None).ConfigureAwait(false); } catch (TimeoutException) { }
                try { listener?.Stop(); } catch (SocketException) { }
                try { packetListener?.Stop(); } catch (SocketException) { }
                try { previewListener?.Stop(); } catch (SocketException) { }
                await Task.WhenAll(Quiet(stderrTask), Quiet(jpegTask), Quiet(grayTask), Quiet(packetTask), Quiet(previewTask)).WaitAsync(TimeSpan.FromSeconds(5), CancellationToken.None)
                    .ContinueWith(_ => { }, TaskScheduler.Default).ConfigureAwait(false);
                _pid = 0;
                _recording?.OnRunEnded(_time.GetUtcNow());
            }

            if (restart.Task.IsCompleted) return null;
            var err = Redact(tail.LastLines(3));
            if (stalled && Volatile.Read(ref active) == 0)
                return Message($"no frame within {(stallLimit + StartupGrace).TotalSeconds:0.###} s of starting ffmpeg, stopped it" + (err.Length > 0 ? ": " + err : ""));
            if (stalled)
                return Message($"stream stalled (no frames for {stallLimit.TotalSeconds:0.###} s), ffmpeg stopped" + (err.Length > 0 ? ": " + err : ""));
            var code = p.HasExited ? p.ExitCode : -1;
            return Message($"ffmpeg exited with code {code}" + (err.Length > 0 ? ": " + err : " (stream ended)"));
        }
        finally
        {
            try { listener?.Stop(); } catch (SocketException) { }
            try { packetListener?.Stop(); } catch (SocketException) { }
            try { previewListener?.Stop(); } catch (SocketException) { }
        }
    }

    /// <summary>The sink that keeps preview frames this run: a packet camera whose packets serve renders, with
    /// <c>preview_seconds</c> above 0 and no <c>timestamp</c> (its GIFs stamp the JPEG frames).</summary>
    private IPreviewSink? PreviewsOf(IFrameSink sink, PacketRing? ring) =>
        ring is not null && !_jpegForRenders && !_options.Timestamp && sink is IPreviewSink { Previews: not null } p ? p : null;

    public long PreviewsDelivered => Interlocked.Read(ref _previewsDelivered);

    /// <summary>Reads the preview JPEGs of one run (back to back, as ffmpeg's image2pipe writes them) into the sink.</summary>
    private async Task ReadPreviewsAsync(TcpListener listener, IPreviewSink previews, Action alive, CancellationToken ct)
    {
        using var client = await listener.AcceptTcpClientAsync(ct).ConfigureAwait(false);
        listener.Stop();
        var socket = client.Client;
        await ReaderThread.Run("lookback-previews", socket, ct, () =>
        {
            using var parser = new MjpegParser(null, _options.MaxFrameBytes);
            while (!ct.IsCancellationRequested)
            {
                var n = socket.Receive(parser.GetMemory(64 * 1024).Span);
                if (n == 0) return;
                parser.Advance(n);
                while (parser.TryRead(out var jpeg))
                {
                    alive();
                    Interlocked.Increment(ref _previewsDelivered);
                    previews.OnPreviewFrame(jpeg, _time.GetUtcNow());
                }
            }
        }).ConfigureAwait(false);
    }

    /// <summary>The JPEG frames' interval of the next run (<see cref="StreamArgs.JpegInterval"/>).</summary>
    private double JpegInterval(PacketRing? ring) => StreamArgs.JpegInterval(_options, ring is not null && !_jpegForRenders);

    /// <summary>True once the packet ring could not serve this stream: the JPEG frames come at <c>interval</c> again (renders use them).</summary>
    public bool JpegForRenders => _jpegForRenders;

    private static TcpListener Listen()
    {
        var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start(1);
        return l;
    }

    private static string? UrlOf(TcpListener? l) => l is null ? null : $"tcp://127.0.0.1:{((IPEndPoint)l.LocalEndpoint).Port}";

    /// <summary>Reads the stream-copied MPEG-TS of one run into the packet ring (see <see cref="PacketIngest"/>).</summary>
    /// <remarks>Audio that is not AAC completes <paramref name="restart"/> once: the next run encodes it to AAC.</remarks>
    /// <remarks>Packets the ring takes count as the stream being alive (the JPEG frames may be seconds apart). A ring
    /// that cannot serve the stream (codec, no timestamps) while the JPEG frames are reduced restarts the run once with
    /// the JPEG frames at <c>interval</c>.</remarks>
    private async Task ReadPacketsAsync(TcpListener listener, PacketRing ring, TaskCompletionSource restart, Action alive, CancellationToken ct)
    {
        using var client = await listener.AcceptTcpClientAsync(ct).ConfigureAwait(false);
        listener.Stop();
        var socket = client.Client;
        await ReaderThread.Run("lookback-packets", socket, ct, () => ReadPackets(socket, ring, restart, alive, ct)).ConfigureAwait(false);
    }

    /// <summary>The packet reader's loop on its own thread (<see cref="ReaderThread"/>): blocking reads, one buffer.</summary>
    private void ReadPackets(Socket socket, PacketRing ring, TaskCompletionSource restart, Action alive, CancellationToken ct)
    {
        PacketIngest? ingest = new(ring, _options.MaxFrameBytes);
        var buf = new byte[64 * 1024];
        while (!ct.IsCancellationRequested)
        {
            var n = socket.Receive(buf);
            if (n == 0) return;
            if (ingest is null) continue; // drained: a blocked socket would stall ffmpeg's other outputs
            try
            {
                var taken = ingest.Push(buf.AsSpan(0, n), _time.GetUtcNow());
                if (taken > 0) { Interlocked.Add(ref _packetsDelivered, taken); alive(); }
                if (ring.Unusable is not null && !_jpegForRenders && JpegInterval(ring) != _options.Interval)
                {
                    _jpegForRenders = true;
                    restart.TrySetResult();
                }
                if (ingest.AudioNeedsTranscode && !_transcodeAudio)
                {
                    _transcodeAudio = true;
                    restart.TrySetResult();
                }
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                ingest = null;
                ring.Unusable = $"the packet ring stopped reading this stream ({ex.GetType().Name}: {ex.Message}) until ffmpeg restarts: moments and GIFs use the JPEG frames";
            }
        }
    }

    private static async Task Quiet(Task t)
    {
        try { await t.ConfigureAwait(false); } catch { /* ended with the run */ }
    }

    private async Task ReadJpegsAsync(System.IO.Stream stdout, IFrameSink sink, Action alive, CancellationToken ct)
    {
        using var parser = new MjpegParser(null, _options.MaxFrameBytes);
        while (true)
        {
            var n = await stdout.ReadAsync(parser.GetMemory(64 * 1024), ct).ConfigureAwait(false);
            if (n == 0) return;
            parser.Advance(n);
            while (parser.TryRead(out var jpeg))
            {
                alive();
                Interlocked.Increment(ref _framesDelivered);
                SourceSink.Frame(sink, jpeg, _time.GetUtcNow());
            }
        }
    }

    private async Task ReadGrayAsync(TcpListener listener, IGrayFrameSink gray, IFrameSink sink, Action alive, CancellationToken ct)
    {
        using var client = await listener.AcceptTcpClientAsync(ct).ConfigureAwait(false);
        listener.Stop(); // one connection per run: nobody else gets in after ffmpeg
        var socket = client.Client;
        await ReaderThread.Run("lookback-gray", socket, ct, () => ReadGray(socket, gray, sink, alive, ct)).ConfigureAwait(false);
    }

    /// <summary>The gray reader's loop on its own thread (<see cref="ReaderThread"/>): blocking reads into one frame buffer.</summary>
    private void ReadGray(Socket socket, IGrayFrameSink gray, IFrameSink sink, Action alive, CancellationToken ct)
    {
        using var stream = new BufferedStream(new NetworkStream(socket, ownsSocket: false), 64 * 1024);
        var reader = new Y4mReader(stream);
        try
        {
            if (!reader.ReadHeader()) return;
            var buf = new byte[reader.Width * reader.Height];
            while (!ct.IsCancellationRequested && reader.ReadFrame(buf))
            {
                alive();
                Interlocked.Increment(ref _grayDelivered);
                try { gray.OnGrayFrame(buf, reader.Width, reader.Height, _time.GetUtcNow()); }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    SourceSink.Error(sink, $"gray frame handler failed: {ex.GetType().Name}: {ex.Message}");
                }
            }
        }
        catch (InvalidDataException ex)
        {
            SourceSink.Error(sink, Message($"bad gray frame stream: {ex.Message}"));
        }
    }
}
