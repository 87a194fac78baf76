namespace Lookback.Media.Storage;

/// <summary>One mark on a day's timeline.</summary>
/// <param name="Type">motion | file (events), moment (snapshot/gif/mp4/moment asked for), ring (a doorbell trigger),
/// trigger (another trigger), offline (the camera was offline).</param>
/// <param name="Id">The event's or moment's id (null for offline periods).</param>
public sealed record TimelineItem(string Type, string Camera, DateTimeOffset Start, DateTimeOffset? End, string? Id, string Label);

/// <summary>
/// Builds a day's timeline from the stored rows: events, moments (trigger moments are rings/triggers) and offline
/// periods from the availability changes. Pure.
/// </summary>
public static class Timeline
{
    /// <param name="onlineAtStart">Per camera, whether it was online when the day started (absent: unknown, treated as online).</param>
    /// <param name="now">Offline periods still open end here (or at the day's end).</param>
    public static IReadOnlyList<TimelineItem> Build(IEnumerable<StoredEvent> events, IEnumerable<StoredMoment> moments,
        IEnumerable<AvailabilityChange> changes, IReadOnlyDictionary<string, AvailabilityChange?> onlineAtStart,
        DateTimeOffset start, DateTimeOffset end, DateTimeOffset now)
    {
        var items = new List<TimelineItem>();
        foreach (var e in events)
        {
            if (e.Start >= end || (e.End ?? e.Start) < start) continue;
            var label = e.Type == "file" && e.Metadata.TryGetValue("comment", out var c) ? c
                : e.Zones.Count > 0 ? string.Join(", ", e.Zones) : e.Type;
            items.Add(new TimelineItem(e.Type, e.Camera, e.Start, e.End, e.Id, label));
        }
        foreach (var m in moments)
        {
            if (m.RequestedAt < start || m.RequestedAt >= end) continue;
            var type = m.Origin == "trigger" ? (m.Doorbell ? "ring" : "trigger") : "moment";
            var label = m.Origin == "trigger" ? $"{m.Trigger} → {m.Kind}" : $"{m.Kind} ({m.Origin})";
            items.Add(new TimelineItem(type, m.Camera, m.RequestedAt, m.End is { } me && me > m.RequestedAt ? me : null, m.Id, label));
        }
        var stop = now < end ? now : end;
        var byCamera = changes.GroupBy(c => c.Camera).ToDictionary(g => g.Key, g => g.OrderBy(c => c.At).ToList());
        foreach (var cam in byCamera.Keys.Union(onlineAtStart.Keys))
        {
            DateTimeOffset? offSince = onlineAtStart.TryGetValue(cam, out var before) && before is { Online: false } ? start : null;
            var error = before?.Error;
            foreach (var ch in byCamera.GetValueOrDefault(cam) ?? [])
            {
                if (!ch.Online && offSince is null) { offSince = ch.At; error = ch.Error; }
                else if (ch.Online && offSince is { } since)
                {
                    items.Add(new TimelineItem("offline", cam, since, ch.At, null, error ?? "offline"));
                    offSince = null;
                }
            }
            if (offSince is { } open && open < stop) items.Add(new TimelineItem("offline", cam, open, stop, null, error ?? "offline"));
        }
        return [.. items.OrderBy(i => i.Start).ThenBy(i => i.Camera, StringComparer.Ordinal)];
    }
}
