using System.Collections.Concurrent;
using System.Diagnostics;

namespace Lookback.Common;

/// <summary>
/// Starts every child process of Lookback (the per-camera ffmpeg, renders, ffprobe) so that it cannot outlive Lookback,
/// even when Lookback is killed with SIGKILL and has no chance to clean up.
/// </summary>
/// <remarks>
/// <para>.NET cannot call <c>prctl(PR_SET_PDEATHSIG)</c> between fork and exec, so the child is started through
/// util-linux <c>setpriv --pdeathsig KILL -- ffmpeg …</c>: setpriv sets the parent-death signal and then execs ffmpeg
/// (the setting survives exec), so ffmpeg gets SIGKILL as soon as its parent goes away.</para>
/// <para>The kernel's "parent" is the <em>thread</em> that forked the child, not the process: a child started from a
/// thread-pool thread would be killed when that worker retires. Every start therefore happens on one dedicated
/// thread that lives as long as the process.</para>
/// <para>Without setpriv (not on the PATH) children are started directly and only the normal stop path (kill of the
/// process tree) ends them; <see cref="ParentDeathSignal"/> tells which case applies.</para>
/// </remarks>
public static class ChildProcessLauncher
{
    private static readonly BlockingCollection<(ProcessStartInfo Psi, TaskCompletionSource<Process> Done)> Queue = new();
    private static readonly Lazy<string?> SetprivPath = new(() => FindOnPath("setpriv"));
    private static readonly Lazy<Thread> Starter = new(() =>
    {
        var t = new Thread(StartLoop) { IsBackground = true, Name = "lookback-child-launcher" };
        t.Start();
        return t;
    });

    /// <summary>True when children get SIGKILL on Lookback's death (setpriv available).</summary>
    public static bool ParentDeathSignal => SetprivPath.Value is not null;

    /// <summary>
    /// The start info that runs <paramref name="executable"/> with <paramref name="args"/> under the parent-death
    /// wrapper (when available). stdin/stdout/stderr are redirected; no shell.
    /// </summary>
    public static ProcessStartInfo CreateStartInfo(string executable, IEnumerable<string> args, string? workingDirectory = null)
    {
        // an executable that is not there is started directly, so that Process.Start reports it (not setpriv's exit code)
        var setpriv = Exists(executable) ? SetprivPath.Value : null;
        var psi = new ProcessStartInfo(setpriv ?? executable)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            CreateNoWindow = true,
        };
        if (workingDirectory is not null) psi.WorkingDirectory = workingDirectory;
        if (setpriv is not null)
        {
            psi.ArgumentList.Add("--pdeathsig");
            psi.ArgumentList.Add("KILL");
            psi.ArgumentList.Add("--");
            psi.ArgumentList.Add(executable);
        }
        foreach (var a in args) psi.ArgumentList.Add(a);
        return psi;
    }

    /// <summary>Starts the process on the launcher thread (see remarks). Throws what <see cref="Process.Start()"/> throws.</summary>
    public static Task<Process> StartAsync(ProcessStartInfo psi)
    {
        var done = new TaskCompletionSource<Process>(TaskCreationOptions.RunContinuationsAsynchronously);
        _ = Starter.Value;
        Queue.Add((psi, done));
        return done.Task;
    }

    /// <summary>Kills the process and its children; never throws.</summary>
    public static void KillTree(Process p)
    {
        try { if (!p.HasExited) p.Kill(entireProcessTree: true); }
        catch (Exception ex) when (ex is InvalidOperationException or System.ComponentModel.Win32Exception or NotSupportedException) { }
    }

    /// <summary>
    /// Asks the process to finish (SIGTERM: ffmpeg closes its outputs, writing the last segment and playlist), and
    /// kills its tree when it has not exited within <paramref name="grace"/>. Never throws.
    /// </summary>
    public static async Task TerminateAsync(Process p, TimeSpan grace)
    {
        try
        {
            if (p.HasExited) return;
            if (!OperatingSystem.IsWindows() && SysKill(p.Id, 15) == 0)
            {
                using var cts = new CancellationTokenSource(grace);
                try { await p.WaitForExitAsync(cts.Token).ConfigureAwait(false); return; }
                catch (OperationCanceledException) { }
            }
        }
        catch (Exception ex) when (ex is InvalidOperationException or System.ComponentModel.Win32Exception) { }
        KillTree(p);
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int SysKill(int pid, int signal);

    private static void StartLoop()
    {
        foreach (var (psi, done) in Queue.GetConsumingEnumerable())
        {
            try
            {
                var p = new Process { StartInfo = psi };
                p.Start();
                done.SetResult(p);
            }
            catch (Exception ex) { done.SetException(ex); }
        }
    }

    private static bool Exists(string executable) =>
        Path.IsPathRooted(executable) || executable.Contains('/') ? File.Exists(executable) : FindOnPath(executable) is not null;

    private static string? FindOnPath(string name)
    {
        if (OperatingSystem.IsWindows()) return null;
        var path = Environment.GetEnvironmentVariable("PATH") ?? "/usr/local/bin:/usr/bin:/bin";
        foreach (var dir in path.Split(':', StringSplitOptions.RemoveEmptyEntries).Concat(["/usr/bin", "/bin"]))
        {
            var f = Path.Combine(dir, name);
            if (File.Exists(f)) return f;
        }
        return null;
    }
}
