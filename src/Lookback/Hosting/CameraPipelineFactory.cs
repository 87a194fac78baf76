using Lookback.Cameras;
using Lookback.Config;
using Lookback.Events;
using Lookback.Media.Rendering;
using Lookback.Media.Storage;
using Microsoft.Extensions.Logging;

namespace Lookback.Hosting;

/// <summary>Builds each camera's <see cref="CameraPipeline"/>; owns the HTTP client the <c>motion_url</c> feeds share.</summary>
internal sealed class CameraPipelineFactory(EventStore events, MediaStore media, IRenderService renders, EventBus bus,
    TimeProvider time, ILoggerFactory loggers) : IDisposable
{
    private HttpClient? _motionHttp;

    public CameraPipeline Create(Camera cam)
    {
        if (cam.Options.EventsFrom == EventsFrom.Files)
        {
            // a folder camera's new files are its events; no motion analysis of its uploads.
            return new CameraPipeline(new FileEventRecorder(cam.Slug, cam.Options, events, media, renders, bus, time,
                loggers.CreateLogger($"Lookback.Files.{cam.Slug}")));
        }
        var camLog = loggers.CreateLogger($"Lookback.Motion.{cam.Slug}");
        var recorder = new MotionEventRecorder(cam.Slug, events, media, renders, bus, time, camLog,
            cam.Ring, new EventFrameLimits(cam.Options.Motion.FramesFps), new EventGifPace(cam.Options.Gif.Fps, cam.Options.Motion.GifMaxSeconds));
        // motion_url: a small stream or snapshot for motion only (its own HTTP client, shared by such cameras)
        var feed = cam.Options.MotionUrl is null ? null
            : new MotionFeed(cam.Options, _motionHttp ??= Sources.SourceFactory.CreateHttpClient(), time, camLog);
        return new CameraPipeline(new MotionMonitor(cam, recorder, time, camLog, feed));
    }

    public void Dispose() => _motionHttp?.Dispose();
}
