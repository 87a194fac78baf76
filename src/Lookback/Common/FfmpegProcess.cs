using System.Collections.Concurrent;
using System.Diagnostics;

namespace Lookback.Common;

/// <summary>
/// Runs ffmpeg (or ffprobe) without a shell: arguments as an ArgumentList, stdin streamed by the caller
/// (e.g. one JPEG after another for <c>-f image2pipe</c>), the last ~4 KB of stderr kept for errors, optional
/// stdout capture. Timeout and cancellation kill the whole process tree. Tracks its live processes so a
/// shutdown can end them all; started through <see cref="ChildProcessLauncher"/>, so they also die with Lookback.
/// </summary>
public sealed class FfmpegProcess
{
    public const int StderrTailBytes = StderrTail.DefaultBytes;
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
        var psi = ChildProcessLauncher.CreateStartInfo(Executable, args);

        var sw = Stopwatch.StartNew();
        Process started;
        try { started = await ChildProcessLauncher.StartAsync(psi).ConfigureAwait(false); }
        catch (Exception ex) { throw new FfmpegException($"cannot start {Executable}: {ex.Message}"); }
        using var p = started;
        var pid = p.Id;
        _live[pid] = p;

        using var timeoutCts = new CancellationTokenSource(timeout);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, timeoutCts.Token);
        using var killReg = linked.Token.Register(static o => ChildProcessLauncher.KillTree((Process)o!), p);
        var tail = new StderrTail(StderrTailBytes);
        var stderrTask = tail.PumpAsync(p.StandardError.BaseStream);
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
            if (!p.HasExited) ChildProcessLauncher.KillTree(p);
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
        foreach (var p in _live.Values) ChildProcessLauncher.KillTree(p);
    }

    /// <summary>Writes JPEG frames back to back (image2pipe input), in order; an index may repeat (duplicated frames).</summary>
    public static Func<Stream, CancellationToken, Task> JpegFrames(IReadOnlyList<ReadOnlyMemory<byte>> frames) =>
        async (stdin, ct) =>
        {
            foreach (var f in frames) await stdin.WriteAsync(f, ct).ConfigureAwait(false);
            await stdin.FlushAsync(ct).ConfigureAwait(false);
        };

    private static string LastLines(string s) => StderrTail.JoinLastLines(s, 3);
}
