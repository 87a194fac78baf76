using System.Diagnostics;

namespace Lookback.Common;

/// <summary>
/// The time a stop has, shared by its steps in order: each step waits at most its own share, never past the end of
/// the whole budget, and not at all once the host's stop token fired (the host gave up waiting). A step that runs
/// out is left to finish on its own (child processes die with Lookback); the next step starts at once.
/// </summary>
public sealed class StopBudget
{
    private readonly long _start = Stopwatch.GetTimestamp();

    public StopBudget(TimeSpan total, CancellationToken hostToken = default)
    {
        Total = total;
        Token = hostToken;
    }

    public TimeSpan Total { get; }
    /// <summary>The host's stop token: cancelled when the host stops waiting.</summary>
    public CancellationToken Token { get; }
    public TimeSpan Elapsed => Stopwatch.GetElapsedTime(_start);
    public TimeSpan Remaining => Token.IsCancellationRequested ? TimeSpan.Zero : Max(TimeSpan.Zero, Total - Elapsed);

    /// <summary>How long a step with this <paramref name="share"/> may wait now.</summary>
    public TimeSpan For(TimeSpan share) => Min(share, Remaining);

    /// <summary>Waits for <paramref name="task"/> for at most <see cref="For"/>(<paramref name="share"/>) or until the
    /// host's token fires; true when it completed in time. The task's own failure is not thrown (the stop goes on).</summary>
    public async Task<bool> WaitAsync(Task task, TimeSpan share)
    {
        var wait = For(share);
        if (task.IsCompleted) { Observe(task); return true; }
        if (wait <= TimeSpan.Zero) { Observe(task); return false; }
        try { await task.WaitAsync(wait, Token).ConfigureAwait(false); return true; }
        catch (TimeoutException) { Observe(task); return false; }
        catch (OperationCanceledException) when (Token.IsCancellationRequested) { Observe(task); return false; }
        catch (Exception) { return true; } // the step failed, but it ended
    }

    /// <summary>Keeps an abandoned task's exception from going unobserved.</summary>
    private static void Observe(Task task) => task.ContinueWith(t => _ = t.Exception, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously);

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;
    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;
}
