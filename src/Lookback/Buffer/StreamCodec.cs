namespace Lookback.Buffer;

/// <summary>The video codec of a stream, as its MPEG-TS program map tells it.</summary>
public enum StreamCodec { Unknown, H264, H265, Other }
