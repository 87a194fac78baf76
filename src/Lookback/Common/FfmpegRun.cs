namespace Lookback.Common;

/// <summary>What a finished ffmpeg run left behind.</summary>
public sealed record FfmpegRun(int ExitCode, string StderrTail, TimeSpan Elapsed, byte[]? Stdout);
