using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Unicode;
using Lookback.Cameras;
using Lookback.Config;
using Lookback.Media.Rendering;
using Microsoft.Extensions.Logging;

namespace Lookback.Mqtt;

/// <summary>
/// Trigger topics (config <c>triggers</c>): a message on a trigger topic (wildcards allowed) that satisfies its
/// <c>match</c> runs the action on each listed camera (Origin Trigger); results go to P/&lt;cam&gt;/result with
/// request_id <c>trigger-&lt;unix ms&gt;</c>; <c>doorbell</c> publishes <c>{"event_type":"ring"}</c> first.
/// Retained messages (replayed on subscribe) never fire a trigger.
/// </summary>
public sealed class TriggerRouter(IReadOnlyList<TriggerOptions> triggers, ICameraDirectory cameras, IRenderService renders,
    ResultPublisher results, ILogger logger, Func<DateTimeOffset>? clock = null)
{
    private readonly Func<DateTimeOffset> _clock = clock ?? (() => DateTimeOffset.UtcNow);
    private int _inFlight;
    private readonly object _gate = new();
    private TaskCompletionSource _idle = Done();

    /// <summary>Accepted trigger renders are journaled here until answered (null: no journal).</summary>
    public CommandJournal? Journal { get; init; }
    /// <summary>"Trigger fired" lines: at most 60 a minute (a flood of matching messages must not flood the log).</summary>
    public LogThrottle LogLimit { get; init; } = new(60, TimeSpan.FromMinutes(1));
    /// <summary>Configured cameras that another node serves now: skipped without a warning.</summary>
    public Func<string, bool> OnStandby { get; init; } = _ => false;

    public IReadOnlyList<string> Subscriptions => [.. triggers.Select(t => t.Topic).Distinct()];
    public long Fired => Interlocked.Read(ref _fired);
    private long _fired;

    /// <summary>True when <paramref name="payload"/> satisfies <paramref name="match"/> (empty match: always).</summary>
    public static bool IsMatch(IReadOnlyDictionary<string, string> match, ReadOnlySpan<byte> payload)
    {
        if (match.Count == 0) return true;
        if (payload.IsEmpty || !Utf8.IsValid(payload)) return false;
        try
        {
            using var d = JsonDocument.Parse(payload.ToArray());
            if (d.RootElement.ValueKind != JsonValueKind.Object) return false;
            foreach (var (key, want) in match)
            {
                if (!d.RootElement.TryGetProperty(key, out var v)) return false;
                var got = v.ValueKind == JsonValueKind.String ? v.GetString() : v.GetRawText();
                if (!string.Equals(got, want, StringComparison.Ordinal)) return false;
            }
            return true;
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException) { return false; } // e.g. a lone surrogate escape
    }

    /// <summary>Handles a message on any trigger topic; returns true when at least one trigger fired.</summary>
    public bool TryHandle(IncomingMessage m)
    {
        if (triggers.Count == 0 || m.Retain) return false;
        var fired = false;
        foreach (var trig in triggers)
        {
            if (!Topics.Matches(trig.Topic, m.Topic) || !IsMatch(trig.Match, m.Payload.Span)) continue;
            fired = true;
            Interlocked.Increment(ref _fired);
            var rid = $"trigger-{_clock().ToUnixTimeMilliseconds()}";
            if (LogLimit.TryEnter(out var suppressed))
            {
                if (suppressed > 0) logger.LogInformation("Triggers: {Count} more lines suppressed", suppressed);
                logger.LogInformation("Trigger {Topic}: {Action} on {Cameras}", LogText.Topic(m.Topic), trig.Action, string.Join(", ", trig.Cameras));
            }
            foreach (var cam in trig.Cameras)
            {
                if (cameras.Find(cam) == null)
                {
                    if (OnStandby(cam)) continue; // the active node renders it
                    logger.LogWarning("Trigger {Topic}: unknown camera '{Camera}'", trig.Topic, cam);
                    continue;
                }
                if (trig.Doorbell)
                    results.PublishEvent(cam, new JsonObject { ["event_type"] = "ring", ["camera"] = cam, ["request_id"] = rid });
                var req = new RenderRequest { Camera = cam, Kind = trig.Action, RequestId = rid, Origin = RenderOrigin.Trigger, LeadFrame = trig.Doorbell, TriggerTopic = m.Topic, Reply = new ResultReply() };
                Enter();
                var journalId = Journal?.Accept(new JournalEntry(cam, ResultKinds.Of(req.Kind).Name(), rid));
                _ = Task.Run(async () =>
                {
                    try
                    {
                        // the result and its *_ready event leave through RenderAnnouncer (the request carries a reply)
                        try { await renders.SubmitAsync(req, CancellationToken.None).ConfigureAwait(false); }
                        catch (Exception ex) { results.PublishResult(RenderResult.Failed(req, "render failed: " + ex.Message)); }
                    }
                    catch (Exception ex) { logger.LogError(ex, "Trigger render for {Camera} failed", cam); }
                    finally { if (journalId is { } id) Journal!.Done(id); Leave(); }
                });
            }
        }
        return fired;
    }

    public Task WhenIdleAsync() { lock (_gate) return _idle.Task; }
    private void Enter() { lock (_gate) { if (_inFlight++ == 0) _idle = new(TaskCreationOptions.RunContinuationsAsynchronously); } }
    private void Leave() { lock (_gate) { if (--_inFlight == 0) _idle.TrySetResult(); } }
    private static TaskCompletionSource Done() { var t = new TaskCompletionSource(); t.SetResult(); return t; }
}
