using Lookback.Buffer;
using Lookback.Config;

namespace Lookback.Media.Rendering;

/// <summary>Draws the capture time into frames of cameras with <c>timestamp: true</c> (decode, draw, encode).</summary>
public sealed class TimestampOverlay : IFrameOverlay
{
    public ReadOnlyMemory<byte> Stamp(Frame frame, CameraOptions camera)
    {
        var img = Lookback.Imaging.Jpeg.DecodeRgb(frame.Jpeg.Span);
        var text = frame.Time.ToLocalTime().ToString("yyyy-MM-dd HH:mm:ss", System.Globalization.CultureInfo.InvariantCulture);
        Lookback.Imaging.Overlay.DrawTimestamp(img.Pixels, img.Width, img.Height, img.Stride, text, img.Format);
        return Lookback.Imaging.Jpeg.Encode(img, 90);
    }
}

/// <summary>
/// The camera's <c>timestamp</c> option: draws the capture time into a frame before it is rendered.
/// When <see cref="RenderEngine"/> has no overlay, frames are rendered unstamped.
/// </summary>
public interface IFrameOverlay
{
    /// <summary>A JPEG of <paramref name="frame"/> with its capture time drawn in.</summary>
    ReadOnlyMemory<byte> Stamp(Frame frame, CameraOptions camera);
}
