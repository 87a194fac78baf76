using Lookback.Config;
using Lookback.Sources.Streaming;

namespace Lookback.Cameras;

/// <summary>
/// Makes the recorder of a stream camera with <c>record: true</c> (the host wires Media.Recording's SegmentRecorder,
/// so cameras do not depend on the media writers).
/// </summary>
public delegate IStreamRecording? CameraRecorderFactory(CameraOptions camera);
