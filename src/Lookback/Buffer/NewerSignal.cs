namespace Lookback.Buffer;

/// <summary>
/// Wakes those waiting for something newer than what they saw (a frame ring's or a slot's sequence, which only grows).
/// The owner calls <see cref="Advance"/> under its lock once its sequence grew and completes the task it returns
/// outside the lock; a new task is made only when someone waited on the last one.
/// </summary>
public sealed class NewerSignal
{
    private TaskCompletionSource _next = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private bool _observed;

    /// <summary>Under the owner's lock, after the sequence grew: the waiters to wake outside the lock (null: none).</summary>
    public TaskCompletionSource? Advance()
    {
        if (!_observed) return null;
        var waiters = _next;
        _next = new(TaskCreationOptions.RunContinuationsAsynchronously);
        _observed = false;
        return waiters;
    }

    /// <summary>Completes once <paramref name="isNewer"/> (checked under <paramref name="gate"/>, the owner's lock) is true;
    /// throws on cancel.</summary>
    public async Task WaitAsync(object gate, Func<bool> isNewer, CancellationToken ct)
    {
        while (true)
        {
            Task t;
            lock (gate)
            {
                if (isNewer()) return;
                t = _next.Task;
                _observed = true;
            }
            await t.WaitAsync(ct).ConfigureAwait(false);
        }
    }
}
