using Lookback.Config;
using Lookback.Motion;

namespace Lookback.Tests.Motion;

/// <summary>What to draw in one synthetic frame.</summary>
internal sealed class SceneFrame
{
    public int ShiftX, ShiftY;                 // whole-scene shift (camera shake), pixels, |s| <= SyntheticScene.Margin
    public double Gain = 1, Offset;            // global lighting
    public bool Night;                          // the other (IR, low contrast) rendition of the scene
    public bool Moved;                          // a different scene of the same kind (camera turned)
    public readonly List<(int X, int Y, int W, int H, byte Value)> Objects = [];
    public (int X, int Y, int Size, bool On)? Led;
    public (int X, int Y, int W, int H)? Foliage; // region whose texture changes every frame
    public double NoiseSigma = 3;

    public SceneFrame Clear()
    {
        ShiftX = ShiftY = 0; Gain = 1; Offset = 0; Night = false; Moved = false; Objects.Clear(); Led = null; Foliage = null; NoiseSigma = 3;
        return this;
    }
}

/// <summary>
/// Draws gray test scenes with a known truth (tests and benchmarks only): a textured background (gradients,
/// rectangles with hard edges, 2x2-block noise texture) plus objects, lights, shake and seeded sensor noise.
/// </summary>
internal sealed class SyntheticScene
{
    public const int Margin = 4;
    public int Width { get; }
    public int Height { get; }
    readonly int _cw, _ch;
    readonly byte[] _day, _night, _moved;
    readonly float[] _gauss = new float[1 << 16];
    uint _rng;

    public SyntheticScene(int width, int height, int seed = 1)
    {
        Width = width; Height = height;
        _cw = width + 2 * Margin; _ch = height + 2 * Margin;
        _day = Texture(seed, contrast: 1.0);
        _night = Texture(seed * 7919 + 13, contrast: 0.35);
        _moved = Texture(seed * 31 + 7, contrast: 1.0, mirrored: true);
        var r = new Random(seed + 1);
        for (int i = 0; i < _gauss.Length; i++)
        {
            double u1 = 1 - r.NextDouble(), u2 = r.NextDouble();
            _gauss[i] = (float)(Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2));
        }
        _rng = (uint)seed * 2654435761u | 1;
    }

    byte[] Texture(int seed, double contrast, bool mirrored = false)
    {
        var r = new Random(seed);
        var t = new double[_cw * _ch];
        for (int y = 0; y < _ch; y++)
            for (int x = 0; x < _cw; x++)
                t[y * _cw + x] = mirrored ? 150 - 70.0 * x / _cw - 30.0 * y / _ch : 60 + 60.0 * x / _cw + 20.0 * y / _ch;
        for (int k = 0; k < 14; k++)
        {
            int rw = r.Next(_cw / 12, _cw / 4), rh = r.Next(_ch / 12, _ch / 3);
            int rx = r.Next(0, _cw - rw), ry = r.Next(0, _ch - rh);
            double d = r.Next(-45, 46);
            for (int y = ry; y < ry + rh; y++)
                for (int x = rx; x < rx + rw; x++) t[y * _cw + x] += d;
        }
        for (int y = 0; y < _ch; y += 2)
            for (int x = 0; x < _cw; x += 2)
            {
                double d = r.Next(-35, 36);
                for (int yy = y; yy < Math.Min(_ch, y + 2); yy++)
                    for (int xx = x; xx < Math.Min(_cw, x + 2); xx++) t[yy * _cw + xx] += d;
            }
        var b = new byte[_cw * _ch];
        for (int i = 0; i < b.Length; i++) b[i] = (byte)Math.Clamp(110 + (t[i] - 110) * contrast, 10, 200);
        return b;
    }

    uint Next()
    {
        _rng ^= _rng << 13; _rng ^= _rng >> 17; _rng ^= _rng << 5;
        return _rng;
    }

    /// <summary>Renders <paramref name="f"/> into <paramref name="dst"/> (Width x Height, given stride).</summary>
    public void Render(SceneFrame f, Span<byte> dst, int stride)
    {
        var tex = f.Moved ? _moved : f.Night ? _night : _day;
        int w = Width, h = Height;
        float gain = (float)f.Gain, off = (float)f.Offset, sigma = (float)f.NoiseSigma;
        for (int y = 0; y < h; y++)
        {
            int sy = y + Margin - f.ShiftY;
            for (int x = 0; x < w; x++)
            {
                int sx = x + Margin - f.ShiftX;
                float v = tex[sy * _cw + sx];
                // objects live in scene coordinates, so they shake with the scene
                foreach (var o in f.Objects)
                    if (sx - Margin >= o.X && sx - Margin < o.X + o.W && sy - Margin >= o.Y && sy - Margin < o.Y + o.H)
                        v = o.Value + ((tex[sy * _cw + sx] - 110) * 0.15f);
                if (f.Led is { } led && led.On && sx - Margin >= led.X && sx - Margin < led.X + led.Size
                    && sy - Margin >= led.Y && sy - Margin < led.Y + led.Size)
                    v = 250;
                if (f.Foliage is { } fo && sx - Margin >= fo.X && sx - Margin < fo.X + fo.W && sy - Margin >= fo.Y
                    && sy - Margin < fo.Y + fo.H && ((sx >> 1) + (sy >> 1)) % 2 == 0)
                    v += (int)(Next() % 81) - 40;
                v = v * gain + off + sigma * _gauss[Next() & 0xFFFF];
                dst[y * stride + x] = (byte)Math.Clamp(MathF.Round(v), 0, 255);
            }
        }
    }
}

/// <summary>A scripted scene with the number of motion events it should produce.</summary>
internal sealed record SceneScript(
    string Name, int ExpectedEvents, int Frames, Action<int, SceneFrame> Draw,
    Func<MotionSettings, MotionSettings>? Configure = null);

/// <summary>The scenes of the motion tests and benchmark (320x180-ish, 5 fps).</summary>
internal static class MotionScenes
{
    /// <summary>A person-sized object (≈6 % of the frame) walking across left to right between frames <paramref name="from"/> and <paramref name="to"/>.</summary>
    public static (int X, int Y, int W, int H) Walker(int i, int from, int to, int width, int height)
    {
        int ow = width / 7, oh = height * 4 / 9;
        double p = (double)(i - from) / (to - from);
        int x = (int)Math.Round(-ow + p * (width + ow));
        return (x, height / 3, ow, oh);
    }

    public static Polygon Rect(double x0, double y0, double x1, double y1)
        => new([new(x0, y0), new(x1, y0), new(x1, y1), new(x0, y1)]);

    public static IReadOnlyList<SceneScript> All(int w, int h) =>
    [
        new("static noise", 0, 200, (i, f) => { }),
        new("person walks across", 1, 140, (i, f) =>
        {
            if (i is >= 20 and < 50) { var o = Walker(i, 20, 50, w, h); f.Objects.Add((o.X, o.Y, o.W, o.H, 210)); }
        }),
        new("two walkers, 30 s apart", 2, 300, (i, f) =>
        {
            if (i is >= 20 and < 45) { var o = Walker(i, 20, 45, w, h); f.Objects.Add((o.X, o.Y, o.W, o.H, 20)); }
            if (i is >= 220 and < 245) { var o = Walker(i, 220, 245, w, h); f.Objects.Add((o.X, o.Y, o.W, o.H, 220)); }
        }),
        new("lights +40 %", 0, 80, (i, f) => f.Gain = i >= 30 ? 1.4 : 1),
        new("lights -30 %", 0, 80, (i, f) => f.Gain = i >= 30 ? 0.7 : 1),
        new("exposure ramp over 50 frames", 0, 120, (i, f) => f.Gain = 1 + 0.5 * Math.Clamp((i - 30) / 50.0, 0, 1)),
        new("day/night switch", 0, 80, (i, f) => f.Night = i >= 30),
        new("camera turned (new scene)", 0, 80, (i, f) => f.Moved = i >= 30),
        new("shake 1 px", 0, 120, (i, f) => { f.ShiftX = i % 2; f.ShiftY = (i / 2) % 2; }),
        new("shake 2 px", 0, 120, (i, f) => { f.ShiftX = (i % 2) * 2; f.ShiftY = ((i / 2) % 2) * 2 - 1; }),
        new("blinking LED (every frame)", 0, 150, (i, f) => f.Led = (w / 2, h / 5, 10, i % 2 == 0)),
        new("blinking LED (every 2 frames)", 0, 150, (i, f) => f.Led = (w / 2, h / 5, 10, i / 2 % 2 == 0)),
        new("foliage under a mask", 0, 150, (i, f) => f.Foliage = (w * 3 / 4, 0, w / 4 - 1, h / 2),
            s => s with { Mask = [Rect(0.74, 0, 1, 0.52)] }),
        new("walker under a mask", 0, 140, (i, f) =>
        {
            if (i is >= 20 and < 50) { var o = Walker(i, 20, 50, w, h); f.Objects.Add((o.X, o.Y, o.W, o.H, 210)); }
        }, s => s with { Mask = [Rect(0, 0.25, 1, 0.85)] }),
    ];

    /// <summary>Runs a script through a detector and tracker; returns the number of events and the per-frame results.</summary>
    public static (int Events, List<MotionFrameResult> Results) Run(SceneScript s, int w, int h, int seed = 1,
        MotionSettings? settings = null, MotionTrackerSettings? tracker = null)
    {
        var scene = new SyntheticScene(w, h, seed);
        var det = new MotionDetector(w, h, (s.Configure ?? (x => x))(settings ?? new MotionSettings()));
        var tr = new MotionEventTracker("cam", tracker ?? new MotionTrackerSettings());
        var frame = new SceneFrame();
        var buf = new byte[w * h];
        var results = new List<MotionFrameResult>(s.Frames);
        var t0 = new DateTimeOffset(2025, 1, 1, 12, 0, 0, TimeSpan.Zero);
        int events = 0;
        for (int i = 0; i < s.Frames; i++)
        {
            s.Draw(i, frame.Clear());
            scene.Render(frame, buf, w);
            var r = det.Process(buf, w, i * 200L);
            results.Add(r.Clone());
            foreach (var n in tr.Update(r, t0.AddMilliseconds(i * 200))) if (n is MotionEventStarted) events++;
        }
        return (events, results);
    }
}
