using Lookback.Common;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Lookback.Hosting;

/// <summary>
/// A module's long-running loops as a hosted service (uploads, warnings, timelapse): started by the host in
/// registration order, stopped in reverse, each within its share of <see cref="ShutdownPlan"/> and the host's stop token.
/// The module keeps its own Start/DisposeAsync (tests drive them directly); this only gives it its place in the order.
/// </summary>
internal sealed class ModuleService<T>(T module, string name, Action<T> start, TimeSpan share, ILogger<ModuleService<T>> log)
    : IHostedService where T : IAsyncDisposable
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        start(module);
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        var budget = new StopBudget(share, cancellationToken);
        if (!await budget.WaitAsync(module.DisposeAsync().AsTask(), share).ConfigureAwait(false))
            log.LogWarning("Stopping: {Module} still ending after {Ms:0} ms; going on", name, budget.Elapsed.TotalMilliseconds);
    }
}

internal static class ModuleServiceRegistration
{
    /// <summary>Registers <typeparamref name="T"/>'s loops as the next hosted service (its place in the start/stop order).</summary>
    public static IServiceCollection AddModuleService<T>(this IServiceCollection services, string name, Action<T> start, TimeSpan share)
        where T : class, IAsyncDisposable =>
        services.AddSingleton<IHostedService>(sp => new ModuleService<T>(sp.GetRequiredService<T>(), name, start, share,
            sp.GetRequiredService<ILogger<ModuleService<T>>>()));
}
