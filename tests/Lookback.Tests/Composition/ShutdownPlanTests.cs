using Lookback.Common;
using Lookback.Hosting;
using Lookback.Mqtt;

namespace Lookback.Tests.Composition;

/// <summary>The stop waits live in one table and fit in the host's budget; a stop budget shortens steps and yields to the host's token.</summary>
public class ShutdownPlanTests
{
    [Fact]
    public void The_steps_fit_in_the_hosts_budget_which_fits_in_the_promise_and_the_supervisors()
    {
        Assert.Equal(MqttStopTimeouts.Default, ShutdownPlan.Mqtt);
        Assert.Equal(ShutdownPlan.Cameras + ShutdownPlan.Renders + ShutdownPlan.MotionEvents + ShutdownPlan.Mqtt.Total, ShutdownPlan.Runtime);
        Assert.Equal(ShutdownPlan.Timelapse + ShutdownPlan.Runtime + ShutdownPlan.Warnings + ShutdownPlan.Uploads, ShutdownPlan.Steps);
        Assert.True(ShutdownPlan.Steps < ShutdownPlan.Host, $"steps {ShutdownPlan.Steps} within the host's {ShutdownPlan.Host}");
        // the Supervisor sends SIGKILL 10 s after SIGTERM unless config.yaml sets a longer timeout
        var config = File.ReadAllText(Path.Combine(RepoRoot(), "config.yaml"));
        var timeout = System.Text.RegularExpressions.Regex.Match(config, @"(?m)^timeout:\s*(\d+)");
        var supervisor = TimeSpan.FromSeconds(timeout.Success ? int.Parse(timeout.Groups[1].Value) : 10);
        Assert.True(ShutdownPlan.Host < supervisor, $"host {ShutdownPlan.Host} within the Supervisor's {supervisor}");
        // README: "SIGTERM/SIGINT stop within 5 s"
        var readme = System.Text.RegularExpressions.Regex.Match(File.ReadAllText(Path.Combine(RepoRoot(), "README.md")), @"SIGTERM/SIGINT stop within (\d+) s");
        Assert.True(readme.Success, "README states the stop time");
        Assert.True(ShutdownPlan.Host <= TimeSpan.FromSeconds(int.Parse(readme.Groups[1].Value)), $"host {ShutdownPlan.Host} within README's promise");
    }

    [Fact]
    public async Task A_step_waits_its_share_and_not_past_the_budget()
    {
        var budget = new StopBudget(TimeSpan.FromSeconds(30));
        Assert.Equal(TimeSpan.FromSeconds(2), budget.For(TimeSpan.FromSeconds(2)));
        Assert.True(await budget.WaitAsync(Task.CompletedTask, TimeSpan.FromSeconds(1)));
        Assert.True(await budget.WaitAsync(Task.FromException(new IOException("step failed")), TimeSpan.FromSeconds(1)));
        var never = new TaskCompletionSource().Task;
        Assert.False(await budget.WaitAsync(never, TimeSpan.FromMilliseconds(20)));

        var spent = new StopBudget(TimeSpan.Zero);
        Assert.Equal(TimeSpan.Zero, spent.For(TimeSpan.FromSeconds(2)));
        Assert.False(await spent.WaitAsync(never, TimeSpan.FromSeconds(2)));
    }

    [Fact]
    public async Task The_hosts_stop_token_ends_every_wait_at_once()
    {
        using var host = new CancellationTokenSource();
        var budget = new StopBudget(TimeSpan.FromMinutes(5), host.Token);
        var never = new TaskCompletionSource().Task;
        var waiting = budget.WaitAsync(never, TimeSpan.FromMinutes(5));
        Assert.False(waiting.IsCompleted);
        host.Cancel();
        Assert.False(await waiting.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal(TimeSpan.Zero, budget.Remaining);
        Assert.Equal(TimeSpan.Zero, budget.For(TimeSpan.FromSeconds(1)));
    }

    private static string RepoRoot()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d != null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "config.yaml")) && Directory.Exists(Path.Combine(d.FullName, "src"))) return d.FullName;
        throw new DirectoryNotFoundException("repository root (config.yaml) not found");
    }
}
