namespace Lookback.Sources.Streaming;

/// <summary>
/// Optional second face of an <see cref="IFrameSink"/>: small gray frames for motion analysis, straight from the
/// source's decoder (ffmpeg streams), so motion does not have to decode JPEGs. Called from the source's task.
/// </summary>
public interface IGrayFrameSink
{
    /// <summary>One 8-bit gray frame, rows packed (stride = width). The span is valid only during the call.</summary>
    void OnGrayFrame(ReadOnlySpan<byte> gray, int width, int height, DateTimeOffset at);
}

/// <summary>What a recording camera's ffmpeg also writes (stream-copied segments); implemented in Lookback.Media.Recording.</summary>
public interface IStreamRecording
{
    /// <summary>ffmpeg's working directory (segment paths in its playlist are relative to it).</summary>
    string WorkingDirectory { get; }
    /// <summary>The output options to append to the camera's ffmpeg command (creates the folders they need).</summary>
    IReadOnlyList<string> OutputArgs();
    /// <summary>The ffmpeg that writes the segments started or ended (a new run starts a new timeline).</summary>
    void OnRunStarted(DateTimeOffset at);
    void OnRunEnded(DateTimeOffset at);
}

/// <summary>
/// Optional face of an <see cref="IFrameSink"/>: a camera that keeps its stream's own video packets. When the sink has
/// a ring, the camera's ffmpeg also writes the stream-copied video, and its access units go into that ring.
/// </summary>
public interface IPacketSink
{
    Lookback.Buffer.PacketRing? Packets { get; }
}

/// <summary>
/// Optional face of an <see cref="IFrameSink"/> that has a packet ring: small JPEG frames at the camera's GIF rate and
/// width from the same decode, kept for <c>preview_seconds</c>, so that GIFs within them need no second decode.
/// </summary>
public interface IPreviewSink
{
    /// <summary>The ring of preview frames; null when the camera keeps none.</summary>
    Lookback.Buffer.FrameRing? Previews { get; }
    /// <summary>One preview JPEG (valid only during the call), at its arrival time.</summary>
    void OnPreviewFrame(ReadOnlySpan<byte> jpeg, DateTimeOffset at);
}
