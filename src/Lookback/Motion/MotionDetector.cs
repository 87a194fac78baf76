namespace Lookback.Motion;

/// <summary>
/// Motion detector for small 8-bit gray frames (160–640 px wide), pure managed code, no I/O, allocation-free per frame.
/// <para>Per frame: 3x3 Gaussian blur → robust global gain/offset estimate against the background (folded into the
/// background, so light switches, clouds and auto-exposure ramps don't fire; a scene that changes as a whole
/// recalibrates instead) → per-pixel comparison with the min/max of the background in a (2r+1)² neighbourhood
/// (tolerates 1–2 px camera shake) → mask → flicker suppression (pixels whose state keeps flipping) → 3x3 opening →
/// 8-connected components, small ones dropped → area decision confirmed on consecutive frames → background update
/// (slow under changed pixels).</para>
/// Not thread-safe: one detector per camera, called from one analysis loop.
/// </summary>
public sealed class MotionDetector
{
    public int Width { get; }
    public int Height { get; }
    public MotionSettings Settings { get; }

    readonly int _n;
    readonly byte[] _cur, _bgByte, _tmp, _state, _prevState, _activity, _changed, _mask, _rowBuf, _sceneColumns, _clipped;
    byte[]? _lookState; // ConfirmWithPrevious only
    readonly ushort[] _bg, _blurTmp;
    readonly int _unmasked;
    readonly string[] _zoneNames;
    readonly ushort[][] _zonePrefix; // per zone, per row: prefix counts of zone pixels, (w+1) per row
    readonly int[] _zoneArea, _zoneCount;
    readonly ConnectedComponents _cc;
    readonly Component[] _components;
    readonly MotionFrameResult _result = new();
    readonly BrightnessEstimator _estimator;
    readonly int _minBlobPixels;
    readonly int _kBg, _kFg, _sceneStep;

    int _threshold;
    double _minAreaPercent;
    int _framesSinceReset = -1; // −1: no background yet
    int _streak, _smallStreak, _coherentStreak;
    (int X0, int Y0, int X1, int Y1) _smallBox; // the largest blob of the last small-mover frame
    bool _smallMoved;
    long _smallAt; // capture time of the last coherent-candidate frame
    (int X, int Y) _streakStart; // centre (×2) of the blob where the coherent streak began
    readonly int _coherentMinPixels;
    double _level = -1, _noise = -1; // smoothed scene brightness and noise (gray levels), −1: not yet seen
    int _clippedCount; // background pixels whose brightness fold clipped (at 0 or 255): unknown until re-learned

    /// <summary>Bench hook: when set, Process adds the Stopwatch ticks of each stage (see <see cref="StageNames"/>).</summary>
    internal static long[]? StageTicks;
    internal static readonly string[] StageNames = ["blur", "brightness fit", "apply gain", "bg→bytes", "min/max + difference", "scene change", "flicker", "opening", "label", "boxes/zones", "bg update", "start over"];

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    static void Mark(int stage, ref long t)
    {
        if (StageTicks is { } s) { long now = System.Diagnostics.Stopwatch.GetTimestamp(); s[stage] += now - t; t = now; }
    }

    public MotionDetector(int width, int height, MotionSettings settings)
    {
        if (width < 8 || height < 8) throw new ArgumentOutOfRangeException(nameof(width), "frames must be at least 8x8");
        ArgumentNullException.ThrowIfNull(settings);
        Width = width; Height = height; Settings = settings;
        _n = width * height;
        _cur = new byte[_n]; _bgByte = new byte[_n]; _tmp = new byte[_n];
        _state = new byte[_n]; _prevState = new byte[_n]; _activity = new byte[_n]; _changed = new byte[_n]; _clipped = new byte[_n];
        _rowBuf = new byte[MotionKernels.RowBufferLength(width)];
        _sceneStep = Math.Max(2, (int)Math.Sqrt(_n / 2000.0));
        _sceneColumns = MotionKernels.SampleColumns(width, _sceneStep);
        _bg = new ushort[_n]; _blurTmp = new ushort[_n];
        _mask = PolygonRaster.Rasterize(settings.Mask, width, height);
        _unmasked = Math.Max(1, _n - _mask.Count((byte)255));

        _zoneNames = [.. settings.Zones.Keys];
        _zonePrefix = new ushort[_zoneNames.Length][];
        _zoneArea = new int[_zoneNames.Length];
        _zoneCount = new int[_zoneNames.Length];
        var zmask = new byte[_n];
        for (int z = 0; z < _zoneNames.Length; z++)
        {
            Array.Clear(zmask);
            PolygonRaster.Fill(settings.Zones[_zoneNames[z]], zmask, width, height);
            var pre = new ushort[(width + 1) * height];
            int area = 0;
            for (int y = 0; y < height; y++)
            {
                int acc = 0;
                for (int x = 0; x < width; x++)
                {
                    if (zmask[y * width + x] != 0 && _mask[y * width + x] == 0) acc++;
                    pre[y * (width + 1) + x + 1] = (ushort)acc;
                }
                area += acc;
            }
            _zonePrefix[z] = pre;
            _zoneArea[z] = area;
        }

        _cc = new ConnectedComponents(width, height);
        _components = new Component[Math.Max(256, settings.MaxBoxes)];
        _result.BoxList.Capacity = Math.Max(1, settings.MaxBoxes);
        _result.ZoneList.Capacity = Math.Max(1, _zoneNames.Length);
        _estimator = new BrightnessEstimator(width, height);
        _minBlobPixels = Math.Max(4, (int)Math.Round(settings.MinBlobPercent / 100 * _n));
        _coherentMinPixels = Math.Max(4, (int)Math.Round(settings.CoherentMinBlobPercent / 100 * _n));
        double fps = settings.Fps > 0 ? settings.Fps : 5;
        _kBg = RateShift(settings.BackgroundSeconds * fps);
        _kFg = Math.Max(_kBg, RateShift(settings.ForegroundSeconds * fps));
        Threshold = settings.Threshold;
        MinAreaPercent = settings.MinAreaPercent;
    }

    static int RateShift(double frames) => Math.Clamp((int)Math.Round(Math.Log2(Math.Max(1, frames))), 1, 8);

    /// <summary>Per-pixel change threshold, 1..255; may be changed between frames.</summary>
    public int Threshold
    {
        get => _threshold;
        set => _threshold = Math.Clamp(value, 1, 254);
    }

    /// <summary>Percent of the unmasked frame that must change; may be changed between frames.</summary>
    public double MinAreaPercent
    {
        get => _minAreaPercent;
        set => _minAreaPercent = Math.Clamp(value, 0, 100);
    }

    /// <summary>Forget the background: the next frame starts a new warm-up.</summary>
    public void Reset()
    {
        _framesSinceReset = -1;
        _streak = _smallStreak = _coherentStreak = 0;
    }

    /// <summary>Analyses one frame (gray, <paramref name="stride"/> bytes per row, at least Width x Height).
    /// The result is reused by the next call.</summary>
    public MotionFrameResult Process(ReadOnlySpan<byte> gray, int stride, long timestampMs)
    {
        int w = Width, h = Height, n = _n;
        if (stride < w || gray.Length < (h - 1) * stride + w)
            throw new ArgumentException($"frame too small for {w}x{h} with stride {stride}", nameof(gray));
        var r = _result;
        r.BoxList.Clear(); r.ZoneList.Clear();
        r.Motion = false; r.Score = 0; r.Recalibrated = false; r.WarmingUp = false;
        r.GlobalGain = 1; r.GlobalOffset = 0; r.RawChangedPercent = 0; r.SceneChangedPercent = 0; r.TimestampMs = timestampMs;

        long t = StageTicks is null ? 0 : System.Diagnostics.Stopwatch.GetTimestamp();
        MotionKernels.Blur3x3(gray, stride, _cur, _blurTmp, w, h);
        Mark(0, ref t);

        if (_framesSinceReset < 0)
        {
            StartOver();
            r.WarmingUp = true;
            return r;
        }
        _framesSinceReset++;
        bool warm = _framesSinceReset < Settings.WarmupFrames;

        // 1. global brightness: frame ≈ gain·bg + offset, fitted robustly on a sparse grid, folded into the model
        var fit = _estimator.Estimate(_cur, _bg, _mask);
        r.GlobalGain = fit.Gain; r.GlobalOffset = fit.Offset;
        Mark(1, ref t);
        if (!fit.Plausible && !warm)
        {
            Recalibrate(r);
            return r;
        }
        if (fit.Plausible && (Math.Abs(fit.Gain - 1) * 255 + Math.Abs(fit.Offset) >= 1.0 || Math.Abs(fit.Offset) >= 0.75))
        {
            // a light step clips part of the folded background at 0 or 255: its texture is gone there, and when the
            // exposure recovers a flat model would show "change" for a minute. Those pixels are unknown until re-learned.
            if (Math.Abs(fit.Gain - 1) * 255 + Math.Abs(fit.Offset) >= 8)
                _clippedCount += MotionKernels.MarkClipped(_bg, _clipped, n, fit.Gain, fit.Offset);
            MotionKernels.ApplyGain(_bg, n, fit.Gain, fit.Offset);
        }
        Mark(2, ref t);

        // 2. compare with the background's local min/max (shake tolerance)
        MotionKernels.BackgroundToBytes(_bg, _bgByte, n);
        Mark(3, ref t);
        int rad = Math.Clamp(Settings.ShakeRadius, 0, 3);
        int threshold = EffectiveThreshold(fit);
        r.EffectiveThreshold = threshold;
        r.Noise = _noise;
        int raw = MotionKernels.CompareWithNeighbourhood(_cur, _bgByte, _mask, _state, _changed, _rowBuf, w, h, rad, threshold);
        if (_clippedCount > 0) raw -= MotionKernels.ClearClipped(_clipped, _state, _changed, n);
        r.RawChangedPercent = 100.0 * raw / _unmasked;
        Mark(4, ref t);
        r.SceneChangedPercent = 100 * SceneChange();
        Mark(5, ref t);
        if (!warm && (raw >= Settings.RecalibrateFraction * _unmasked || r.SceneChangedPercent >= 100 * Settings.SceneChangeFraction))
        {
            Recalibrate(r);
            return r;
        }

        // 3. flicker suppression, speckle removal (3x3 opening)
        int left = raw;
        if (Settings.FlickerSuppression)
            left = MotionKernels.Flicker(_state, _prevState, _activity, _changed, n,
                Settings.FlickerGain, Settings.FlickerDecay, Settings.FlickerLimit, Settings.FlickerCap);
        Mark(6, ref t);
        // the opening only removes pixels: with fewer changed pixels than the smallest blob nothing can survive
        int count = 0;
        long area = 0;
        bool dark = Settings.CoherentConfirmFrames > 0 && Settings.DarkSceneThreshold && _level >= 0 && _level < Settings.NormalBrightness;
        int least = dark ? Math.Min(_minBlobPixels, _coherentMinPixels) : _minBlobPixels;
        if (left >= least)
        {
            MotionKernels.Open3x3(_changed, _tmp, _rowBuf, w, h);
            Mark(7, ref t);

            // 4. components, boxes, zones
            count = _cc.Label(_changed, _minBlobPixels, _components, out area);
        }
        Mark(8, ref t);
        double score = 100.0 * area / _unmasked;
        r.Score = score;
        if (count > 0)
        {
            int boxes = Math.Min(count, Settings.MaxBoxes);
            LargestFirst(_components.AsSpan(0, count), boxes);
            for (int i = 0; i < boxes; i++)
            {
                ref var c = ref _components[i];
                r.BoxList.Add(MotionBox.FromPixels(c.X0, c.Y0, c.X1 - c.X0, c.Y1 - c.Y0, c.Area, w, h));
            }
            if (_zoneNames.Length > 0) CountZones(r);
        }

        Mark(9, ref t);
        // 5. decision
        bool candidate = !warm && score > 0 && score >= _minAreaPercent;
        _streak = candidate ? _streak + 1 : 0;
        // small, far things (a distant walker at night): less area, but for longer
        bool small = !warm && score > 0 && score >= _minAreaPercent * Settings.SmallAreaFraction;
        _smallStreak = small ? _smallStreak + 1 : 0;
        // the coherent rule: the largest blob; in a dark scene blobs below the speckle size count too
        bool coherent = false;
        if (!warm && dark)
        {
            if (small) coherent = count > 0;
            else if (count == 0 && left >= _coherentMinPixels)
            {
                int k = _cc.Label(_changed, _coherentMinPixels, _components, out _);
                if (k > 0) LargestFirst(_components.AsSpan(0, k), 1);
                coherent = k > 0;
            }
        }
        _coherentStreak = coherent ? CoherentStep() : ResetCoherent();
        r.CoherentFrames = _coherentStreak;
        r.CoherentBlob = coherent ? _components[0].Area : 0;
        r.Motion = _streak >= Math.Max(1, Settings.ConfirmFrames)
            || (Settings.SmallConfirmFrames > 0 && _smallStreak >= Settings.SmallConfirmFrames)
            || (Settings.CoherentConfirmFrames > 0 && _coherentStreak >= Settings.CoherentConfirmFrames && _smallMoved);
        r.WarmingUp = warm;

        // 6. background update: fast while warming up, slow under changed pixels
        if (warm)
        {
            int k = Math.Min(_kBg, 1 + _framesSinceReset / 2);
            MotionKernels.UpdateBackground(_cur, _state, _bg, n, k, k);
        }
        else
            // (the background learns slowly under every pixel that differs, masked or not: _state != 0)
            MotionKernels.UpdateBackground(_cur, _state, _bg, n, _kBg, _kFg);
        if (_clippedCount > 0) _clippedCount -= MotionKernels.RelearnClipped(_cur, _clipped, _bg, n);
        Mark(10, ref t);
        return r;
    }

    /// <summary>
    /// The coherent small-mover streak after a frame with enough small change: it goes on only while the largest blob
    /// stays next to where the last one was (its box touches the last box widened by that box's own size); elsewhere
    /// it starts again at 1. Noise, snow and speckle do not come back at the same place; a walker does, a step further
    /// on. <see cref="_smallMoved"/> says whether the box moved or changed during the streak (a lamp or a screen that
    /// comes on stays the very same box).
    /// </summary>
    int CoherentStep()
    {
        ref var c = ref _components[0];
        var box = (c.X0, c.Y0, c.X1, c.Y1);
        var last = _smallBox;
        _smallBox = box;
        // frames the camera sent since the last analysed one (a busy analysis loop takes the newest and skips some)
        double frameMs = 1000 / (Settings.Fps > 0 ? Settings.Fps : 5);
        int steps = Math.Clamp((int)Math.Round((_result.TimestampMs - _smallAt) / frameMs), 1, 3);
        _smallAt = _result.TimestampMs;
        int mx = steps * Math.Max(2, last.X1 - last.X0), my = steps * Math.Max(2, last.Y1 - last.Y0);
        bool near = _coherentStreak > 0
            && box.X0 < last.X1 + mx && box.X1 > last.X0 - mx && box.Y0 < last.Y1 + my && box.Y1 > last.Y0 - my;
        // centre ×2 (integers)
        int cx = box.X0 + box.X1, cy = box.Y0 + box.Y1;
        if (!near) { _smallMoved = false; _streakStart = (cx, cy); return 1; }
        if (Math.Abs(cx - _streakStart.X) + Math.Abs(cy - _streakStart.Y) >= 2 * Settings.CoherentMinTravel) _smallMoved = true;
        return _coherentStreak + 1;
    }

    int ResetCoherent()
    {
        _smallMoved = false;
        return 0;
    }

    /// <summary>The frame just processed was a first candidate (over min_area, not yet confirmed).</summary>
    public bool FirstCandidate => _streak == 1 && Settings.ConfirmFrames >= 2 && _framesSinceReset >= Settings.WarmupFrames;

    /// <summary>
    /// Confirms a first candidate (<see cref="FirstCandidate"/>) with the camera frame just before it, which was not
    /// analysed (frames are thinned while the scene is quiet): that frame is compared with the same background and
    /// threshold, without learning from it, and when it too shows min_area of change the start is confirmed now, as
    /// if every frame had been analysed. A frame of another brightness than the background (a light step between the
    /// two) never confirms. Updates and returns the last result.
    /// </summary>
    public MotionFrameResult ConfirmWithPrevious(ReadOnlySpan<byte> gray, int stride)
    {
        int w = Width, h = Height, n = _n;
        if (stride < w || gray.Length < (h - 1) * stride + w)
            throw new ArgumentException($"frame too small for {w}x{h} with stride {stride}", nameof(gray));
        var r = _result;
        if (!FirstCandidate || r.Motion) return r;
        MotionKernels.Blur3x3(gray, stride, _cur, _blurTmp, w, h);
        var fit = _estimator.Estimate(_cur, _bg, _mask);
        if (!fit.Plausible || Math.Abs(fit.Gain - 1) * 255 + Math.Abs(fit.Offset) >= 4) return r;
        _lookState ??= new byte[n];
        int raw = MotionKernels.CompareWithNeighbourhood(_cur, _bgByte, _mask, _lookState, _changed, _rowBuf, w, h,
            Math.Clamp(Settings.ShakeRadius, 0, 3), r.EffectiveThreshold);
        if (raw < _minBlobPixels || raw >= Settings.RecalibrateFraction * _unmasked) return r;
        if (Settings.FlickerSuppression) MotionKernels.ClearActive(_activity, _changed, n, Settings.FlickerLimit);
        MotionKernels.Open3x3(_changed, _tmp, _rowBuf, w, h);
        _cc.Label(_changed, _minBlobPixels, _components, out long area);
        double score = 100.0 * area / _unmasked;
        if (score > 0 && score >= _minAreaPercent)
        {
            _streak++;
            r.Motion = _streak >= Settings.ConfirmFrames;
        }
        return r;
    }

    /// <summary>
    /// The per-pixel threshold for this frame: the configured one in a normally lit scene; in a dark one (night, lights
    /// off) contrast shrinks with the light, so it shrinks too, in proportion to the scene's brightness (smoothed), but
    /// never below 4σ of the sensor noise seen against the background (nor below a third of the configured value).
    /// </summary>
    int EffectiveThreshold(in BrightnessFit fit)
    {
        if (!Settings.DarkSceneThreshold) return _threshold;
        _level = _level < 0 ? fit.Level : _level + (fit.Level - _level) * 0.1;
        _noise = _noise < 0 ? fit.Noise : _noise + (fit.Noise - _noise) * 0.1;
        double t = _threshold * Math.Pow(Math.Min(1, _level / Settings.NormalBrightness), Settings.DarkExponent);
        t = Math.Max(t, Math.Max(4 * _noise, _threshold / 3.0));
        return Math.Clamp((int)Math.Round(t), 1, _threshold);
    }

    /// <summary>
    /// Fraction of a sparse grid of unmasked pixels that differ from the background by more than the threshold
    /// beyond its 3x3 min/max: a stricter look than the 5x5 shake tolerance, to notice a scene replaced by another
    /// of similar texture (camera turned, IR switch) that a wide tolerance band would swallow.
    /// </summary>
    double SceneChange()
    {
        int changed = MotionKernels.SceneChangeCount(_cur, _bgByte, _mask, _sceneColumns, _rowBuf, Width, Height, _sceneStep,
            _threshold, out int total);
        return total == 0 ? 0 : (double)changed / total;
    }

    void StartOver()
    {
        MotionKernels.ResetBackground(_cur, _bg, _n);
        Array.Clear(_activity);
        Array.Clear(_prevState);
        Array.Clear(_clipped);
        _clippedCount = 0;
        _level = _noise = -1;
        _framesSinceReset = 0;
        _streak = _smallStreak = _coherentStreak = 0;
    }

    void Recalibrate(MotionFrameResult r)
    {
        long t = StageTicks is null ? 0 : System.Diagnostics.Stopwatch.GetTimestamp();
        StartOver();
        Mark(11, ref t);
        r.Recalibrated = true;
        r.WarmingUp = true;
        r.Score = 0;
        r.Motion = false;
    }

    void CountZones(MotionFrameResult r)
    {
        Array.Clear(_zoneCount);
        int w1 = Width + 1;
        for (int i = 0, runs = _cc.RunCount; i < runs; i++)
        {
            if (_cc.RunComponent(i) < 0) continue;
            int y = _cc.RunY(i), x0 = _cc.RunX0(i), x1 = _cc.RunX1(i);
            for (int z = 0; z < _zoneNames.Length; z++)
            {
                var pre = _zonePrefix[z];
                _zoneCount[z] += pre[y * w1 + x1] - pre[y * w1 + x0];
            }
        }
        double minAreaPixels = Math.Max(1, _minAreaPercent / 100 * _unmasked);
        for (int z = 0; z < _zoneNames.Length; z++)
        {
            double need = Math.Max(1, Math.Min(Settings.ZoneMinFraction * _zoneArea[z], minAreaPixels));
            if (_zoneCount[z] > 0 && _zoneCount[z] >= need) r.ZoneList.Add(_zoneNames[z]);
        }
    }

    static void LargestFirst(Span<Component> c, int k)
    {
        // partial selection sort: the k largest first, no delegate, no allocation
        for (int i = 0; i < k; i++)
        {
            int best = i;
            for (int j = i + 1; j < c.Length; j++) if (c[j].Area > c[best].Area) best = j;
            if (best != i) (c[i], c[best]) = (c[best], c[i]);
        }
    }
}
