namespace Lookback.Config;

/// <summary>What kind of input one camera's ffmpeg reads.</summary>
public enum StreamInputKind { Rtsp, HttpVideo, Usb }
