using Lookback.Media.Rendering;

namespace Lookback.Tests.Rendering;

public class FfmpegProcessTests
{
    // An ffmpeg that never ends on its own: it reads stdin until it is closed.
    private static readonly string[] Endless = ["-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i", "testsrc=rate=5", "-f", "null", "-"];

    [Fact]
    public async Task Cancellation_kills_the_process()
    {
        var ff = new FfmpegProcess();
        using var cts = new CancellationTokenSource();
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var run = ff.RunAsync(Endless, async (stdin, ct) => { started.SetResult(); await Task.Delay(Timeout.Infinite, ct); },
            TimeSpan.FromMinutes(5), cts.Token);
        await started.Task;
        Assert.Equal(1, ff.Running);
        cts.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run);
        Assert.Equal(0, ff.Running);
    }

    [Fact]
    public async Task Timeout_kills_the_process_with_a_clear_error()
    {
        var ff = new FfmpegProcess();
        var ex = await Assert.ThrowsAsync<FfmpegException>(() => ff.RunAsync(Endless,
            (_, ct) => Task.Delay(Timeout.Infinite, ct), TimeSpan.FromMilliseconds(300), CancellationToken.None));
        Assert.StartsWith("ffmpeg timed out after 0.3 s", ex.Message);
        Assert.Equal(0, ff.Running);
    }

    [Fact]
    public async Task Non_zero_exit_carries_the_stderr_tail()
    {
        var ff = new FfmpegProcess();
        var ex = await Assert.ThrowsAsync<FfmpegException>(() => ff.RunAsync(["-hide_banner", "-i", "/nonexistent/x.jpg", "-f", "null", "-"],
            null, TimeSpan.FromSeconds(30), CancellationToken.None));
        Assert.NotEqual(0, ex.ExitCode);
        Assert.Contains("No such file or directory", ex.Message);
        Assert.True(ex.StderrTail!.Length <= FfmpegProcess.StderrTailBytes);
    }

    [Fact]
    public async Task Missing_executable_is_a_clear_error()
    {
        var ex = await Assert.ThrowsAsync<FfmpegException>(() => new FfmpegProcess("/nonexistent/ffmpeg")
            .RunAsync(["-version"], null, TimeSpan.FromSeconds(5), CancellationToken.None));
        Assert.StartsWith("cannot start /nonexistent/ffmpeg", ex.Message);
    }
}
