using Lookback.Events;
using Lookback.Media.Storage;

namespace Lookback.Media.Rendering;

/// <summary>
/// Records every render a user, an automation or a trigger asked for (HTTP, MQTT command, trigger; not the renders of
/// motion and file events, which their events keep) as a <see cref="StoredMoment"/>, from the one place every render
/// outcome passes: <see cref="RenderCompleted"/> on the bus. Busy answers are not recorded (nothing was made).
/// </summary>
public sealed class MomentRecorder(MomentStore store, MediaStore media, TimeProvider? time = null)
{
    private readonly TimeProvider _time = time ?? TimeProvider.System;

    public IDisposable Subscribe(EventBus bus) => bus.Subscribe<RenderCompleted>(Record);

    public void Record(RenderCompleted done)
    {
        if (ToMoment(done, media.Root, _time.GetUtcNow()) is { } m) store.Insert(m);
    }

    /// <summary>The row for a render outcome, or null when it is not a moment (motion/file events, busy). Pure but for file sizes.</summary>
    public static StoredMoment? ToMoment(RenderCompleted done, string mediaRoot, DateTimeOffset now)
    {
        var (req, res) = (done.Request, done.Result);
        if (req.Origin == RenderOrigin.Motion || res.Status == RenderStatus.Busy) return null;
        var files = new Dictionary<string, string>();
        long bytes = 0;
        if (res.Ok && res.Path is { } path)
        {
            files[res.Kind == ResultKind.Moment ? "mp4" : res.Kind.Name()] = Relative(mediaRoot, path);
            bytes += res.Bytes ?? SizeOf(path);
        }
        if (res.Ok && res.GifPath is { } gif)
        {
            files["gif"] = Relative(mediaRoot, gif);
            bytes += SizeOf(gif);
        }
        var at = req.RequestedAt ?? now;
        return new StoredMoment
        {
            Id = $"{at.ToUnixTimeMilliseconds()}-{Guid.NewGuid().ToString("N")[..8]}",
            Camera = res.Camera, Kind = res.Kind.Name(), Status = res.Ok ? "ok" : "error", Error = res.Ok ? null : res.Error,
            RequestedAt = at, Start = res.Start, End = res.End, Files = files, Bytes = bytes,
            Origin = req.Origin.ToString().ToLowerInvariant(), RequestId = res.RequestId ?? req.RequestId,
            Trigger = req.TriggerTopic, Doorbell = req.Origin == RenderOrigin.Trigger && req.LeadFrame,
        };
    }

    private static string Relative(string root, string full) => Path.GetRelativePath(root, full).Replace('\\', '/');

    private static long SizeOf(string path)
    {
        try { return new FileInfo(path).Length; }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException) { return 0; }
    }
}
