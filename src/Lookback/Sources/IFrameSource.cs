namespace Lookback.Sources;

/// <summary>Where a source delivers what it reads. Implemented by the camera; called from the source's task.</summary>
public interface IFrameSink
{
    /// <summary>A complete JPEG read from the camera (not yet validated). The span is valid only during the call.</summary>
    void OnFrame(ReadOnlySpan<byte> jpeg, DateTimeOffset capturedAt);
    /// <summary>The source failed (connect, HTTP status, timeout, bad data). It keeps retrying with backoff.</summary>
    void OnError(string error);
}

/// <summary>One camera's source: reads frames until cancelled, retrying with backoff, never throwing for camera faults.</summary>
public interface IFrameSource
{
    Task RunAsync(IFrameSink sink, CancellationToken ct);
}
