using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;

namespace Lookback.Rendering;

/// <summary>ffmpeg failed: non-zero exit, timeout, or it could not be started. The message is user-facing.</summary>
public sealed class FfmpegException(string message, int? exitCode = null, string? stderrTail = null) : Exception(message)
{
    public int? ExitCode { get; } = exitCode;
    public string? StderrTail { get; } = stderrTail;
}

/// <summary>What a finished ffmpeg run left behind.</summary>
public sealed record FfmpegRun(int ExitCode, string StderrTail, TimeSpan Elapsed, byte[]? Stdout);

/// <summary>
/// Runs ffmpeg (or ffprobe) without a shell: arguments as an ArgumentList, stdin streamed by the caller
/// (e.g. one JPEG after another for <c>-f image2pipe</c>), the last ~4 KB of stderr kept for errors, optional
/// stdout capture. Timeout and cancellation kill the whole process tree. Tracks its live processes so a
/// shutdown can end them all.
/// </summary>
public sealed class FfmpegProcess
{
    public const int StderrTailBytes = 4096;
    private readonly ConcurrentDictionary<int, Process> _live = new();

    public FfmpegProcess(string executable = "ffmpeg") => Executable = executable;

    public string Executable { get; }

    /// <summary>Number of child processes currently running.</summary>
    public int Running => _live.Count;

    /// <summary>
    /// Runs to completion. Throws <see cref="FfmpegException"/> on a non-zero exit or a timeout (with the stderr
    /// tail in the message), <see cref="OperationCanceledException"/> when <paramref name="ct"/> is cancelled.
    /// The process (tree) is killed in both cases before this returns.
    /// </summary>
    public async Task<FfmpegRun> RunAsync(IReadOnlyList<string> args, Func<Stream, CancellationToken, Task>? writeStdin,
        TimeSpan timeout, CancellationToken ct, bool captureStdout = false)
    {
        ct.ThrowIfCancellationRequested();
        var psi = new ProcessStartInfo(Executable)
        {
            RedirectStandardInput = true,
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
            CreateNoWindow = true,
        };
        foreach (var a in args) psi.ArgumentList.Add(a);

        var sw = Stopwatch.StartNew();
        using var p = new Process { StartInfo = psi };
        try { p.Start(); }
        catch (Exception ex) { throw new FfmpegException($"cannot start {Executable}: {ex.Message}"); }
        var pid = p.Id;
        _live[pid] = p;

        using var timeoutCts = new CancellationTokenSource(timeout);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, timeoutCts.Token);
        using var killReg = linked.Token.Register(static o => Kill((Process)o!), p);
        var tail = new TailBuffer(StderrTailBytes);
        var stderrTask = PumpAsync(p.StandardError.BaseStream, tail, CancellationToken.None);
        MemoryStream? stdout = captureStdout ? new MemoryStream() : null;
        var stdoutTask = stdout is null
            ? p.StandardOutput.BaseStream.CopyToAsync(Stream.Null, CancellationToken.None)
            : p.StandardOutput.BaseStream.CopyToAsync(stdout, CancellationToken.None);

        Exception? stdinError = null;
        try
        {
            var stdin = p.StandardInput.BaseStream;
            try
            {
                if (writeStdin is not null) await writeStdin(stdin, linked.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is IOException or ObjectDisposedException)
            {
                // ffmpeg closed its input (it failed or finished early): the exit code and stderr tell why.
                stdinError = ex;
            }
            catch (OperationCanceledException) when (linked.IsCancellationRequested) { }
            try { stdin.Close(); } catch (Exception ex) when (ex is IOException or ObjectDisposedException) { }

            await p.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
            await Task.WhenAll(stderrTask, stdoutTask).ConfigureAwait(false);
        }
        finally
        {
            _live.TryRemove(pid, out _);
            if (!p.HasExited) Kill(p);
        }

        ct.ThrowIfCancellationRequested();
        var err = tail.ToString().Trim();
        if (timeoutCts.IsCancellationRequested)
            throw new FfmpegException($"{Path.GetFileName(Executable)} timed out after {timeout.TotalSeconds:0.#} s"
                                      + (err.Length > 0 ? ": " + LastLines(err) : ""), null, err);
        if (p.ExitCode != 0)
            throw new FfmpegException($"{Path.GetFileName(Executable)} exited with code {p.ExitCode}"
                                      + (err.Length > 0 ? ": " + LastLines(err) : stdinError is not null ? ": " + stdinError.Message : ""),
                                      p.ExitCode, err);
        return new FfmpegRun(p.ExitCode, err, sw.Elapsed, stdout?.ToArray());
    }

    /// <summary>Kills every running child (shutdown).</summary>
    public void KillAll()
    {
        foreach (var p in _live.Values) Kill(p);
    }

    /// <summary>Writes JPEG frames back to back (image2pipe input), in order; an index may repeat (duplicated frames).</summary>
    public static Func<Stream, CancellationToken, Task> JpegFrames(IReadOnlyList<ReadOnlyMemory<byte>> frames) =>
        async (stdin, ct) =>
        {
            foreach (var f in frames) await stdin.WriteAsync(f, ct).ConfigureAwait(false);
            await stdin.FlushAsync(ct).ConfigureAwait(false);
        };

    private static void Kill(Process p)
    {
        try { if (!p.HasExited) p.Kill(entireProcessTree: true); }
        catch (Exception ex) when (ex is InvalidOperationException or System.ComponentModel.Win32Exception or NotSupportedException) { }
    }

    private static string LastLines(string s)
    {
        var lines = s.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return string.Join(" | ", lines.TakeLast(3));
    }

    private static async Task PumpAsync(Stream s, TailBuffer tail, CancellationToken ct)
    {
        var buf = new byte[4096];
        int n;
        try
        {
            while ((n = await s.ReadAsync(buf, ct).ConfigureAwait(false)) > 0) tail.Append(buf.AsSpan(0, n));
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException) { }
    }

    /// <summary>Keeps the last N bytes written to it.</summary>
    private sealed class TailBuffer(int capacity)
    {
        private readonly byte[] _buf = new byte[capacity];
        private long _written;

        public void Append(ReadOnlySpan<byte> data)
        {
            lock (_buf)
            {
                if (data.Length >= _buf.Length) data = data[^_buf.Length..];
                foreach (var b in data) _buf[(int)(_written++ % _buf.Length)] = b;
            }
        }

        public override string ToString()
        {
            lock (_buf)
            {
                if (_written <= _buf.Length) return Encoding.UTF8.GetString(_buf, 0, (int)_written);
                var start = (int)(_written % _buf.Length);
                var ordered = new byte[_buf.Length];
                Array.Copy(_buf, start, ordered, 0, _buf.Length - start);
                Array.Copy(_buf, 0, ordered, _buf.Length - start, start);
                return Encoding.UTF8.GetString(ordered);
            }
        }
    }
}
