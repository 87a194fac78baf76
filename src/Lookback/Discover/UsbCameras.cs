using System.Text.RegularExpressions;
using Lookback.Media.Rendering;

namespace Lookback.Discover;

/// <summary>A capture format of a V4L2 device: ffmpeg's pixel format or codec name, its description, the frame sizes.</summary>
public sealed record V4l2Format(bool Compressed, string Name, string Description, IReadOnlyList<string> Sizes);

/// <summary>A local video device: /dev/videoN with its V4L2 name (sysfs) and capture formats (or why they are unknown).</summary>
public sealed record UsbCamera(string Device, string Name, IReadOnlyList<V4l2Format> Formats, string? Error);

/// <summary>Parses the lines of <c>ffmpeg -f v4l2 -list_formats all -i /dev/videoN</c>. Pure.</summary>
public static partial class V4l2Formats
{
    // [video4linux2,v4l2 @ 0x…] Compressed:       mjpeg :          Motion-JPEG : 1280x720 640x480
    [GeneratedRegex(@"\]\s*(?<kind>Raw|Compressed)\s*:\s*(?<name>\S+)\s+:\s+(?<desc>.*?)\s+:\s+(?<sizes>.*?)\s*$", RegexOptions.Multiline)]
    private static partial Regex Line();

    public static IReadOnlyList<V4l2Format> Parse(string ffmpegStderr) =>
        Line().Matches(ffmpegStderr).Select(m => new V4l2Format(m.Groups["kind"].Value == "Compressed", m.Groups["name"].Value,
            m.Groups["desc"].Value, m.Groups["sizes"].Value.Split(' ', StringSplitOptions.RemoveEmptyEntries))).ToList();
}

/// <summary>
/// Lists local video capture devices: every <c>{sys}/class/video4linux/videoN</c> whose <c>index</c> is 0 (a
/// device's other nodes are metadata, not pictures) and whose <c>{dev}/videoN</c> exists, with the sysfs
/// <c>name</c>; formats come from ffmpeg's v4l2 format list (5 s per device). Roots are parameters so tests can
/// point them at a fake tree.
/// </summary>
public sealed class UsbCameras(string sysRoot = "/sys", string devRoot = "/dev", string ffmpeg = "ffmpeg")
{
    public async Task<IReadOnlyList<UsbCamera>> ListAsync(CancellationToken ct)
    {
        var cls = Path.Combine(sysRoot, "class", "video4linux");
        if (!Directory.Exists(cls)) return [];
        var list = new List<UsbCamera>();
        foreach (var dir in Directory.EnumerateDirectories(cls, "video*").Concat(Directory.EnumerateFiles(cls, "video*"))
                     .Select(Path.GetFileName).Where(n => Regex.IsMatch(n!, "^video[0-9]+$")).Distinct()
                     .OrderBy(n => int.Parse(n!.AsSpan(5), System.Globalization.CultureInfo.InvariantCulture)))
        {
            var node = Path.Combine(cls, dir!);
            var index = Read(Path.Combine(node, "index"));
            if (index is not null && index != "0") continue;
            var device = Path.Combine(devRoot, dir!);
            if (!File.Exists(device) && !Directory.Exists(device)) continue;
            var name = Read(Path.Combine(node, "name")) ?? dir!;
            var (formats, error) = await FormatsAsync(device, ct).ConfigureAwait(false);
            list.Add(new UsbCamera(device, name, formats, error));
        }
        return list;
    }

    private async Task<(IReadOnlyList<V4l2Format>, string?)> FormatsAsync(string device, CancellationToken ct)
    {
        string text;
        try
        {
            var run = await new FfmpegProcess(ffmpeg).RunAsync(["-hide_banner", "-nostdin", "-f", "v4l2", "-list_formats", "all", "-i", device],
                null, TimeSpan.FromSeconds(5), ct).ConfigureAwait(false);
            text = run.StderrTail;
        }
        catch (FfmpegException ex) { text = ex.StderrTail ?? ex.Message; } // -list_formats always "fails": the list is on stderr
        var formats = V4l2Formats.Parse(text);
        if (formats.Count > 0) return (formats, null);
        var last = text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault() ?? "no output";
        return ([], $"formats unknown: {Soap.Clip(last)}");
    }

    private static string? Read(string file)
    {
        try { return File.Exists(file) ? File.ReadAllText(file).Trim() is { Length: > 0 } s ? Soap.Clip(s, 80) : null : null; }
        catch (IOException) { return null; }
        catch (UnauthorizedAccessException) { return null; }
    }
}
