using System.Diagnostics;
using Lookback.Imaging;
using Lookback.Sources;
using static Lookback.Imaging.TurboJpeg;

namespace Lookback.Bench;

/// <summary>Where the gray scaled decode's time goes (TurboJPEG variants on the bench camera's frames). `decodestudy`</summary>
[Bench("decodestudy")]
public static unsafe class DecodeStudy
{
    public static Task RunAsync(string[] args)
    {
        var q80 = Enumerable.Range(0, 8).Select(i => SourcesBench.MakeJpeg(768, 576, 7, 80, i)).ToArray();
        var q50 = Enumerable.Range(0, 8).Select(i => SourcesBench.MakeJpeg(768, 576, 7, 50, i)).ToArray();
        var clean = Enumerable.Range(0, 8).Select(i => SourcesBench.MakeJpeg(768, 576, 100000, 80, i)).ToArray();
        Console.WriteLine($"q80 {q80.Average(f => f.Length) / 1024:0} KB, q50 {q50.Average(f => f.Length) / 1024:0} KB, no-noise q80 {clean.Average(f => f.Length) / 1024:0} KB");
        var h = tjInitDecompress();
        var buf = new byte[768 * 576 * 4];
        var rows = new List<(string name, byte[][] frames, Action<byte[]> f)>();
        void Row(string name, byte[][] frames, Action<byte[]> f) => rows.Add((name, frames, f));
        void Dec(byte[] j, int denom, int pf, int flags)
        {
            int w = (768 + denom - 1) / denom, hh = (576 + denom - 1) / denom, bpp = pf == TJPF_GRAY ? 1 : 4;
            fixed (byte* s = j) fixed (byte* d = buf)
                if (tjDecompress2(h, s, (nuint)j.Length, d, w, w * bpp, hh, pf, flags) != 0) throw new Exception(ErrorString(h));
        }
        Row("tjDecompressHeader3", q80, j => { fixed (byte* s = j) tjDecompressHeader3(h, s, (nuint)j.Length, out _, out _, out _, out _); });
        Row("JpegValidator.TryGetSize", q80, j => JpegValidator.TryGetSize(j, out _, out _));
        Row("Jpeg.DecodeGray (current)", q80, j => Jpeg.DecodeGray(j, 120, _g));
        foreach (var (fn, fl) in new[] { ("0", 0), ("FASTDCT", TJFLAG_FASTDCT), ("FASTUPSAMPLE", TJFLAG_FASTUPSAMPLE), ("FASTDCT|FASTUPSAMPLE", TJFLAG_FASTDCT | TJFLAG_FASTUPSAMPLE) })
            Row($"tjDecompress2 gray 1/4 flags {fn}", q80, j => Dec(j, 4, TJPF_GRAY, fl));
        foreach (var d in new[] { 1, 2, 8 }) Row($"tjDecompress2 gray 1/{d} FASTDCT", q80, j => Dec(j, d, TJPF_GRAY, TJFLAG_FASTDCT));
        Row("tjDecompress2 RGBA 1/4 FASTDCT", q80, j => Dec(j, 4, 7, TJFLAG_FASTDCT));
        Row("q50: tjDecompress2 gray 1/4", q50, j => Dec(j, 4, TJPF_GRAY, TJFLAG_FASTDCT));
        Row("q50: tjDecompress2 gray 1/8", q50, j => Dec(j, 8, TJPF_GRAY, TJFLAG_FASTDCT));
        Row("no noise: tjDecompress2 gray 1/4", clean, j => Dec(j, 4, TJPF_GRAY, TJFLAG_FASTDCT));
        Row("no noise: tjDecompress2 gray 1/8", clean, j => Dec(j, 8, TJPF_GRAY, TJFLAG_FASTDCT));
        if (args.Contains("--loop")) { var j0 = q80[0]; for (int i = 0; i < 20000; i++) Dec(q80[i % 8], 4, TJPF_GRAY, TJFLAG_FASTDCT); return Task.CompletedTask; }
        int nr = 11;
        var t = new double[rows.Count, nr];
        foreach (var r in rows) for (int w = 0; w < 50; w++) r.f(r.frames[w % 8]);
        for (int round = 0; round < nr; round++)
            for (int k = 0; k < rows.Count; k++)
            {
                var (_, frames, f) = rows[k];
                var sw = Stopwatch.StartNew();
                for (int i = 0; i < 64; i++) f(frames[i % 8]);
                t[k, round] = sw.Elapsed.TotalMicroseconds / 64;
            }
        Console.WriteLine("| variant | min µs | median µs |");
        Console.WriteLine("|---|---:|---:|");
        for (int k = 0; k < rows.Count; k++)
        {
            var v = Enumerable.Range(0, nr).Select(r => t[k, r]).Order().ToArray();
            Console.WriteLine($"| {rows[k].name} | {v[0]:0.0} | {v[nr / 2]:0.0} |");
        }
        tjDestroy(h);
        return Task.CompletedTask;
    }

    static readonly GrayImage _g = new();
}
