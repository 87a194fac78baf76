using Lookback.Buffer;
using Lookback.Config;
using Lookback.Sources.Streaming;

namespace Lookback.Cameras;

public enum CameraStatus { Starting, Online, Offline }

/// <summary>What the rest of Lookback sees of one running camera: its options, ring and health.</summary>
public interface ICamera
{
    string Slug { get; }
    CameraOptions Options { get; }
    FrameRing Ring { get; }
    CameraStatus Status { get; }
    /// <summary>The current fault; null while online (a recovered camera shows no stale error).</summary>
    string? LastError { get; }
    /// <summary>When the most recent fault happened (kept after the camera recovered).</summary>
    DateTimeOffset? LastErrorAt => null;
    /// <summary>The most recent fault's text, kept after the camera recovered (history; <see cref="LastError"/> is the current one).</summary>
    string? PreviousError => null;
    /// <summary>Frames per second entering the ring, measured over the last few seconds.</summary>
    double Fps { get; }
    DateTimeOffset? LastFrameAt { get; }
    /// <summary>Runtime motion switch (motion/set), persisted across restarts.</summary>
    bool MotionEnabled { get; set; }
    /// <summary>Runtime per-pixel threshold (motion_threshold/set), 1..255, persisted across restarts.</summary>
    int MotionThreshold { get; set; }
    /// <summary>What the camera turned out to be: the configured kind, or what <c>auto</c> detected (Auto until known).</summary>
    CameraKind DetectedKind => Options.Kind;
    /// <summary>What writes this camera's stream-copied segments (record: true), or null.</summary>
    IStreamRecording? Recorder => null;
}

/// <summary>The configured cameras by slug.</summary>
public interface ICameraDirectory
{
    IReadOnlyList<ICamera> All { get; }
    ICamera? Find(string slug);
}
