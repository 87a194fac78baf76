using System.Diagnostics;

namespace Lookback.Tests;

/// <summary>Condition waits with a deadline: the tests' only polling loop (never a fixed sleep as synchronisation).</summary>
public static class Wait
{
    public static async Task UntilAsync(Func<bool> condition, TimeSpan timeout, string what)
    {
        var sw = Stopwatch.StartNew();
        while (!condition())
        {
            if (sw.Elapsed > timeout) throw new TimeoutException($"timed out after {timeout.TotalSeconds:0.#} s waiting for {what}");
            await Task.Delay(20);
        }
    }

    /// <summary>The same, blocking (for synchronous helpers such as starting mosquitto).</summary>
    public static void Until(Func<bool> condition, TimeSpan timeout, string what)
    {
        var sw = Stopwatch.StartNew();
        while (!condition())
        {
            if (sw.Elapsed > timeout) throw new TimeoutException($"timed out after {timeout.TotalSeconds:0.#} s waiting for {what}");
            Thread.Sleep(10);
        }
    }
}
