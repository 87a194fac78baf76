namespace Lookback.Common;

/// <summary>ffmpeg failed: non-zero exit, timeout, or it could not be started. The message is user-facing.</summary>
public sealed class FfmpegException(string message, int? exitCode = null, string? stderrTail = null) : Exception(message)
{
    public int? ExitCode { get; } = exitCode;
    public string? StderrTail { get; } = stderrTail;
}
