using Lookback.Imaging;
using Lookback.Motion;

namespace Lookback.Events;

/// <summary>
/// JPEG camera frames → <see cref="MotionAnalyser"/>: each offered frame is either analysed (decoded straight to small
/// gray, libjpeg-turbo scaled decode at least <see cref="MinHeight"/> high, or half the frame's height if less) or, while the scene is quiet, skipped —
/// then only its bytes are kept, so that when the next analysed frame is the first over min_area the skipped one can
/// confirm the start at once (<see cref="MotionAnalyser.WantsPrevious"/>). One per camera; not thread-safe.
/// </summary>
public sealed class JpegMotionAnalyser(MotionAnalyser analyser, int minHeight)
{
    GrayImage? _gray, _previousGray;
    byte[] _skipped = [];
    int _skippedLength;

    public MotionAnalyser Analyser => analyser;
    public int MinHeight => minHeight;
    /// <summary>Frames decoded for a look back at a skipped frame (diagnostics).</summary>
    public long LookBacks { get; private set; }
    /// <summary>The last analysed frame, decoded (valid until the next call).</summary>
    public GrayImage? Gray => _gray;

    /// <summary>The least analysis height for this frame: <see cref="MinHeight"/>, but at most half the frame's (a
    /// small sub-stream is analysed at half its size, not at full size).</summary>
    int HeightFor(ReadOnlySpan<byte> jpeg) =>
        Jpeg.TryReadHeader(jpeg, out _, out int h) && h > 0 ? Math.Max(1, Math.Min(minHeight, h / 2)) : minHeight;

    /// <summary>Offers the camera frame captured at <paramref name="at"/>: the detector's result when it was analysed,
    /// null when it was skipped (quiet). Throws <see cref="JpegException"/> for a frame that cannot be read.</summary>
    public MotionFrameResult? Offer(ReadOnlySpan<byte> jpeg, DateTimeOffset at, int? threshold = null)
    {
        if (!analyser.Wants(at))
        {
            if (_skipped.Length < jpeg.Length) _skipped = new byte[jpeg.Length + jpeg.Length / 4];
            jpeg.CopyTo(_skipped);
            _skippedLength = jpeg.Length;
            return null;
        }
        var gray = _gray = Jpeg.DecodeGray(jpeg, HeightFor(jpeg), _gray);
        if (gray.Warning is not null) { _skippedLength = 0; return null; }
        var r = analyser.Analyse(gray.Pixels, gray.Width, gray.Height, gray.Stride, at, threshold);
        if (analyser.WantsPrevious && _skippedLength > 0)
        {
            try
            {
                var prev = _previousGray = Jpeg.DecodeGray(_skipped.AsSpan(0, _skippedLength), HeightFor(_skipped.AsSpan(0, _skippedLength)), _previousGray);
                LookBacks++;
                if (prev.Warning is null && prev.Width == gray.Width && prev.Height == gray.Height)
                    r = analyser.ConfirmWithPrevious(prev.Pixels, prev.Width, prev.Height, prev.Stride);
            }
            catch (JpegException) { } // the frame before cannot confirm: the next one will
        }
        _skippedLength = 0;
        return r;
    }
}
