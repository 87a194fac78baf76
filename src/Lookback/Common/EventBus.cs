using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Lookback.Common;

/// <summary>
/// In-process publish/subscribe between the parts of Lookback (camera status, motion, renders).
/// Handlers run synchronously on the publisher's thread and must be quick (hand work to a queue);
/// a handler that throws is logged and never affects the publisher or the other handlers.
/// </summary>
public sealed class EventBus(ILogger<EventBus>? logger = null)
{
    private readonly ConcurrentDictionary<Type, ImmutableHandlers> _handlers = new();

    public IDisposable Subscribe<T>(Action<T> handler) where T : class
    {
        Action<object> h = o => handler((T)o);
        _handlers.AddOrUpdate(typeof(T), _ => new ImmutableHandlers([h]), (_, old) => old.Add(h));
        return new Subscription(() => _handlers.AddOrUpdate(typeof(T), _ => new ImmutableHandlers([]), (_, old) => old.Remove(h)));
    }

    public void Publish<T>(T evt) where T : class
    {
        if (!_handlers.TryGetValue(typeof(T), out var hs)) return;
        foreach (var h in hs.Items)
        {
            try { h(evt); }
            catch (Exception ex) { logger?.LogError(ex, "Handler for {Event} failed", typeof(T).Name); }
        }
    }

    private sealed record ImmutableHandlers(Action<object>[] Items)
    {
        public ImmutableHandlers Add(Action<object> h) => new([.. Items, h]);
        public ImmutableHandlers Remove(Action<object> h) => new(Items.Where(x => x != h).ToArray());
    }

    private sealed class Subscription(Action dispose) : IDisposable
    {
        private int _done;
        public void Dispose() { if (Interlocked.Exchange(ref _done, 1) == 0) dispose(); }
    }
}
