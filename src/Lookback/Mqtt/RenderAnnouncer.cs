using Lookback.Cameras;
using Lookback.Media.Rendering;

namespace Lookback.Mqtt;

/// <summary>
/// The one place a render's outcome goes onto the bus, whichever door asked: for every <see cref="RenderCompleted"/>,
/// first the result (P/&lt;cam&gt;/result and the response topic) when the request has a <see cref="RenderRequest.Reply"/>
/// (MQTT commands, triggers), then <c>snapshot_ready</c> / <c>gif_ready</c> / <c>moment_ready</c> for an ok render of a
/// camera this node serves. Motion events' own renders are announced by <c>motion_end</c> instead.
/// </summary>
public sealed class RenderAnnouncer(ResultPublisher results, ICameraDirectory served)
{
    public IDisposable Subscribe(EventBus bus) => bus.Subscribe<RenderCompleted>(Announce);

    public void Announce(RenderCompleted done)
    {
        var (request, result) = done;
        if (result.RequestId is null && request.RequestId is not null) result = result with { RequestId = request.RequestId };
        if (request.Reply is { } reply) results.PublishResult(result, reply.ResponseTopic, reply.CorrelationData);
        if (request.Origin != RenderOrigin.Motion && served.Find(result.Camera) is not null) results.PublishReady(result);
    }
}
