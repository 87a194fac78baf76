using Lookback.Config;

namespace Lookback.Motion;

/// <summary>
/// Everything the detector needs. <see cref="Threshold"/>, <see cref="MinAreaPercent"/>, <see cref="Mask"/> and
/// <see cref="Zones"/> come from <see cref="MotionOptions"/>; the rest are internal defaults chosen to work on a typical
/// camera at 160–480 px width and 1–10 analysis fps without tuning.
/// </summary>
public sealed record MotionSettings
{
    /// <summary>Per-pixel change (gray levels, 1..255) beyond the background's local min/max. Config <c>threshold</c>.</summary>
    public int Threshold { get; init; } = 25;
    /// <summary>Percent of the unmasked frame that must change (after speckle and blob filtering). Config <c>min_area</c>.</summary>
    public double MinAreaPercent { get; init; } = 0.1;
    /// <summary>Analysis frames per second; turns the time constants below into per-frame rates.</summary>
    public double Fps { get; init; } = 5;
    /// <summary>Ignored areas (normalised polygons); masked pixels never count.</summary>
    public IReadOnlyList<Polygon> Mask { get; init; } = [];
    /// <summary>Named zones (normalised polygons); a frame's zones are those its changed pixels touch.</summary>
    public IReadOnlyDictionary<string, Polygon> Zones { get; init; } = new Dictionary<string, Polygon>();

    /// <summary>Components smaller than this percent of the frame are dropped (default 0.05 %, at least 4 px).</summary>
    public double MinBlobPercent { get; init; } = 0.05;
    /// <summary>Camera shake tolerated, pixels (0..3): a pixel is compared with the min/max of the background in a
    /// (2r+1)² neighbourhood. Default 2 (5x5).</summary>
    public int ShakeRadius { get; init; } = 2;
    /// <summary>Background time constant in seconds where nothing moves (default 6 s).</summary>
    public double BackgroundSeconds { get; init; } = 6;
    /// <summary>Background time constant in seconds under changed pixels (default 60 s: someone standing still fades
    /// into the background only after about a minute).</summary>
    public double ForegroundSeconds { get; init; } = 60;
    /// <summary>Frames after start or recalibration during which the background learns fast and nothing fires (default 8).</summary>
    public int WarmupFrames { get; init; } = 8;
    /// <summary>Consecutive frames over <see cref="MinAreaPercent"/> needed to report motion (default 2).</summary>
    public int ConfirmFrames { get; init; } = 2;
    /// <summary>Small, far movers: changed area of at least this fraction of <see cref="MinAreaPercent"/> (default
    /// 0.5) on <see cref="SmallConfirmFrames"/> consecutive frames (default 5, 0 = off) is motion too: less area,
    /// but for longer (a distant walker at night is a person too; noise and flicker do not last).</summary>
    public double SmallAreaFraction { get; init; } = 0.5;
    public int SmallConfirmFrames { get; init; } = 5;
    /// <summary>In a dark scene (mean level below <see cref="NormalBrightness"/>, where the threshold is lowered too), a
    /// small change on this many consecutive frames (default 4, 0 = off) is motion sooner when it is coherent: the largest blob of each frame next to the last one,
    /// and travelling on the way (a far walker at night a step further on; noise does not come back at the same place,
    /// a lamp or a hot pixel does not move). In daylight a small mover has the contrast for the other rules.</summary>
    public int CoherentConfirmFrames { get; init; } = 4;
    /// <summary>In a dark scene the coherent rule also follows blobs smaller
    /// than the speckle size, down to this percent of the frame (default 0.015 %: 17 px at 384x288), and the blob must have travelled
    /// <see cref="CoherentMinTravel"/> pixels (default 2) during the streak.</summary>
    public double CoherentMinBlobPercent { get; init; } = 0.015;
    public int CoherentMinTravel { get; init; } = 2;
    /// <summary>Fraction of unmasked pixels changed (after brightness compensation) that means "the scene changed"
    /// (day/night switch, camera moved): the background is reset instead of firing (default 0.5).</summary>
    public double RecalibrateFraction { get; init; } = 0.5;
    /// <summary>Fraction of a sparse grid changed beyond a 3x3 (not 5x5) tolerance that also means "the scene
    /// changed" (default 0.6): catches a new scene of similar texture that the shake tolerance would absorb.</summary>
    public double SceneChangeFraction { get; init; } = 0.6;
    /// <summary>Suppress pixels whose state (same/brighter/darker) keeps flipping: blinking LEDs, TVs, foliage (default on).</summary>
    public bool FlickerSuppression { get; init; } = true;
    /// <summary>Flicker activity added per flip (default 40), removed per frame without a flip (2), suppression limit
    /// (120, i.e. three flips in quick succession) and cap (240: a pixel is released ~1 min after it stops at 5 fps).</summary>
    public byte FlickerGain { get; init; } = 40;
    public byte FlickerDecay { get; init; } = 2;
    public byte FlickerLimit { get; init; } = 120;
    public byte FlickerCap { get; init; } = 240;
    /// <summary>A zone is touched when the changed pixels inside it are at least this fraction of the zone's area
    /// (default 1 %), or at least the pixels of <see cref="MinAreaPercent"/> of the frame, whichever is smaller.</summary>
    public double ZoneMinFraction { get; init; } = 0.01;
    /// <summary>Lower the per-pixel threshold in dark scenes (night, lights off) in proportion to the scene's
    /// brightness against <see cref="NormalBrightness"/> (mean gray level, default 110), never below 4σ of the noise
    /// (default on): a person's contrast shrinks with the light.</summary>
    public bool DarkSceneThreshold { get; init; } = true;
    public double NormalBrightness { get; init; } = 110;
    /// <summary>How fast the threshold falls with the light: (level / NormalBrightness)^this (default 1).</summary>
    public double DarkExponent { get; init; } = 1;
    /// <summary>Largest number of boxes reported per frame (largest first; default 16).</summary>
    public int MaxBoxes { get; init; } = 16;

    /// <summary>The detector settings of a camera's motion options (internal defaults for the rest).</summary>
    public static MotionSettings FromOptions(MotionOptions o) => new()
    {
        Threshold = o.Threshold,
        MinAreaPercent = o.MinArea,
        Fps = o.Fps,
        Mask = o.Mask,
        Zones = o.Zones,
    };
}

/// <summary>A changed region: pixel box in the analysed frame (exclusive right/bottom) and the same box normalised to 0..1.</summary>
public readonly record struct MotionBox(int X, int Y, int Width, int Height, int Area, double Nx, double Ny, double Nw, double Nh)
{
    public int Right => X + Width;
    public int Bottom => Y + Height;

    public static MotionBox FromPixels(int x, int y, int width, int height, int area, int frameWidth, int frameHeight)
        => new(x, y, width, height, area, (double)x / frameWidth, (double)y / frameHeight,
            (double)width / frameWidth, (double)height / frameHeight);

    /// <summary>The smallest box holding both (areas add up).</summary>
    public MotionBox Union(MotionBox o)
    {
        int x0 = Math.Min(X, o.X), y0 = Math.Min(Y, o.Y), x1 = Math.Max(Right, o.Right), y1 = Math.Max(Bottom, o.Bottom);
        double nx0 = Math.Min(Nx, o.Nx), ny0 = Math.Min(Ny, o.Ny);
        double nx1 = Math.Max(Nx + Nw, o.Nx + o.Nw), ny1 = Math.Max(Ny + Nh, o.Ny + o.Nh);
        return new(x0, y0, x1 - x0, y1 - y0, Area + o.Area, nx0, ny0, nx1 - nx0, ny1 - ny0);
    }
}

/// <summary>
/// What the detector saw in one frame. The detector reuses one instance (and its lists) for every frame: read it
/// before the next <see cref="MotionDetector.Process"/>, or keep <see cref="Clone"/>.
/// </summary>
public sealed class MotionFrameResult
{
    internal readonly List<MotionBox> BoxList;
    internal readonly List<string> ZoneList;

    public MotionFrameResult() : this(false, 0, [], []) { }

    /// <summary>A free-standing result (replays, tests).</summary>
    public MotionFrameResult(bool motion, double score, IEnumerable<MotionBox> boxes, IEnumerable<string> zones)
    {
        Motion = motion; Score = score;
        BoxList = [.. boxes]; ZoneList = [.. zones];
        GlobalGain = 1;
    }

    /// <summary>Motion in this frame (changed area ≥ min_area on the confirming number of consecutive frames).</summary>
    public bool Motion { get; internal set; }
    /// <summary>Changed percent of the unmasked frame (after speckle/flicker/blob filtering), 0..100.</summary>
    public double Score { get; internal set; }
    /// <summary>Changed regions, largest first (at most <see cref="MotionSettings.MaxBoxes"/>).</summary>
    public IReadOnlyList<MotionBox> Boxes => BoxList;
    /// <summary>Zones touched by changed pixels, in configuration order.</summary>
    public IReadOnlyList<string> Zones => ZoneList;
    /// <summary>The scene changed as a whole (day/night switch, camera moved): the background was reset, no motion.</summary>
    public bool Recalibrated { get; internal set; }
    /// <summary>Still learning the background (first frames, or after a recalibration): no motion is reported.</summary>
    public bool WarmingUp { get; internal set; }
    /// <summary>Estimated global brightness change of this frame against the background: frame ≈ gain·bg + offset.</summary>
    public double GlobalGain { get; internal set; } = 1;
    public double GlobalOffset { get; internal set; }
    /// <summary>Percent of unmasked pixels changed before speckle/flicker/blob filtering (diagnostics).</summary>
    public double RawChangedPercent { get; internal set; }
    /// <summary>Percent of a sparse grid changed beyond a 3x3 tolerance (the recalibration signal; diagnostics).</summary>
    public double SceneChangedPercent { get; internal set; }
    /// <summary>The per-pixel threshold used for this frame (lower than the configured one in a dark scene).</summary>
    public int EffectiveThreshold { get; internal set; }
    /// <summary>The sensor noise seen against the background, σ in gray levels (smoothed; diagnostics).</summary>
    public double Noise { get; internal set; }
    /// <summary>Frames of the coherent small-mover streak so far and the pixels of its blob in this frame (diagnostics).</summary>
    public int CoherentFrames { get; internal set; }
    public int CoherentBlob { get; internal set; }
    /// <summary>Capture time of the analysed frame, as given to the detector.</summary>
    public long TimestampMs { get; internal set; }

    /// <summary>An independent copy.</summary>
    public MotionFrameResult Clone() => new(Motion, Score, BoxList, ZoneList)
    {
        Recalibrated = Recalibrated, WarmingUp = WarmingUp, GlobalGain = GlobalGain, GlobalOffset = GlobalOffset,
        RawChangedPercent = RawChangedPercent, SceneChangedPercent = SceneChangedPercent, TimestampMs = TimestampMs,
    };
}
