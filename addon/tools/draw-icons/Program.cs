// Draws icon.png (128x128) and logo.png (250x100) for the add-on store.
// Run from the repository root: dotnet run --project addon/tools/draw-icons -- .
using SkiaSharp;

var outDir = args.Length > 0 ? args[0] : ".";
var blue = new SKColor(0x03, 0xA9, 0xF4);      // Home Assistant blue
var navy = new SKColor(0x1C, 0x2A, 0x3A);
var white = SKColors.White;
var amber = new SKColor(0xFF, 0xB3, 0x00);

void DrawMark(SKCanvas c, float cx, float cy, float s)
{
    // s = size of the square mark
    using var p = new SKPaint { IsAntialias = true, Style = SKPaintStyle.Fill };
    // background rounded square
    p.Color = blue;
    c.DrawRoundRect(new SKRect(cx - s / 2, cy - s / 2, cx + s / 2, cy + s / 2), s * 0.22f, s * 0.22f, p);
    // rewind arrow: a 300° arc around the lens with an arrow head (counter-clockwise)
    float r = s * 0.34f;
    using var arc = new SKPaint { IsAntialias = true, Style = SKPaintStyle.Stroke, StrokeWidth = s * 0.075f, Color = white, StrokeCap = SKStrokeCap.Round };
    var oval = new SKRect(cx - r, cy - r, cx + r, cy + r);
    // arc from -60° going counter-clockwise (negative sweep) 290°
    float start = -50f, sweep = -285f;
    using (var path = new SKPath()) { path.AddArc(oval, start, sweep); c.DrawPath(path, arc); }
    // arrow head at the end of the arc (angle start+sweep), pointing along the counter-clockwise tangent
    double endDeg = start + sweep;
    double a = endDeg * Math.PI / 180;
    var tip = new SKPoint(cx + r * (float)Math.Cos(a), cy + r * (float)Math.Sin(a));
    // tangent direction for decreasing angle: (sin a, -cos a)
    var dir = new SKPoint((float)Math.Sin(a), (float)-Math.Cos(a));
    var nrm = new SKPoint(-dir.Y, dir.X);
    float h = s * 0.13f, w = s * 0.11f;
    using (var head = new SKPath())
    {
        head.MoveTo(tip.X + dir.X * h * 0.6f, tip.Y + dir.Y * h * 0.6f);
        head.LineTo(tip.X - dir.X * h * 0.5f + nrm.X * w, tip.Y - dir.Y * h * 0.5f + nrm.Y * w);
        head.LineTo(tip.X - dir.X * h * 0.5f - nrm.X * w, tip.Y - dir.Y * h * 0.5f - nrm.Y * w);
        head.Close();
        p.Color = white;
        c.DrawPath(head, p);
    }
    // camera lens: navy ring, dark glass, highlight
    p.Color = white;
    c.DrawCircle(cx, cy, s * 0.23f, p);
    p.Color = navy;
    c.DrawCircle(cx, cy, s * 0.19f, p);
    p.Color = new SKColor(0x2E, 0x4A, 0x66);
    c.DrawCircle(cx, cy, s * 0.12f, p);
    p.Color = new SKColor(0x0B, 0x14, 0x1E);
    c.DrawCircle(cx, cy, s * 0.065f, p);
    p.Color = white.WithAlpha(220);
    c.DrawCircle(cx - s * 0.055f, cy - s * 0.055f, s * 0.028f, p);
    // small amber recording dot top-right
    p.Color = amber;
    c.DrawCircle(cx + s * 0.33f, cy - s * 0.33f, s * 0.055f, p);
}

void Save(SKSurface surface, string name)
{
    using var img = surface.Snapshot();
    using var data = img.Encode(SKEncodedImageFormat.Png, 100);
    File.WriteAllBytes(Path.Combine(outDir, name), data.ToArray());
}

using (var s = SKSurface.Create(new SKImageInfo(128, 128, SKColorType.Rgba8888, SKAlphaType.Premul)))
{
    s.Canvas.Clear(SKColors.Transparent);
    DrawMark(s.Canvas, 64, 64, 124);
    Save(s, "icon.png");
}
using (var s = SKSurface.Create(new SKImageInfo(250, 100, SKColorType.Rgba8888, SKAlphaType.Premul)))
{
    s.Canvas.Clear(SKColors.Transparent);
    DrawMark(s.Canvas, 50, 50, 88);
    float size = 34;
    using var font = new SKFont(SKTypeface.FromFamilyName("DejaVu Sans", SKFontStyle.Bold), size);
    while (font.MeasureText("Lookback") > 250 - 102 - 6) font.Size = --size;
    using var tp = new SKPaint { IsAntialias = true, Color = navy };
    s.Canvas.DrawText("Lookback", 102, 50 + size * 0.36f, SKTextAlign.Left, font, tp);
    Save(s, "logo.png");
}
Console.WriteLine("ok");
