using System.Text;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;
using Lookback.Config;

namespace Lookback.Discover;

/// <summary>One stream (ONVIF profile or nothing for USB) of a found camera, URLs without credentials.</summary>
public sealed record FoundStream(
    [property: JsonPropertyName("profile")] string Profile,
    [property: JsonPropertyName("width")] int Width,
    [property: JsonPropertyName("height")] int Height,
    [property: JsonPropertyName("encoding")] string? Encoding,
    [property: JsonPropertyName("stream_url")] string? StreamUrl,
    [property: JsonPropertyName("snapshot_url")] string? SnapshotUrl,
    [property: JsonPropertyName("error")] string? Error = null);

/// <summary>A camera found on the network (ONVIF) or on this machine (USB), with a proposed configuration block.</summary>
public sealed record FoundCamera(
    [property: JsonPropertyName("kind")] string Kind,
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("address")] string Address,
    [property: JsonPropertyName("model")] string? Model,
    [property: JsonPropertyName("device_url")] string? DeviceUrl,
    [property: JsonPropertyName("streams")] IReadOnlyList<FoundStream> Streams,
    [property: JsonPropertyName("formats")] IReadOnlyList<string> Formats,
    [property: JsonPropertyName("error")] string? Error,
    [property: JsonPropertyName("slug")] string Slug,
    [property: JsonPropertyName("yaml")] string Yaml);

/// <summary>
/// The <c>cameras:</c> block proposed for a found camera. ONVIF: <c>url</c> is the RTSP stream of the largest
/// profile (else its snapshot URL, kind snapshot), <c>motion_url</c> the snapshot URL of the smallest other profile
/// (motion_url takes an http(s) snapshot; the sub-stream's RTSP URL is given as a comment). Credentials are never
/// copied: with a username the block has <c>password: "&lt;password&gt;"</c> to fill in. Pure.
/// </summary>
public static partial class ConfigProposal
{
    public const string PasswordPlaceholder = "<password>";

    [GeneratedRegex("[^a-z0-9]+")]
    private static partial Regex NonSlug();

    public static string Slug(string name, ISet<string> taken)
    {
        var s = NonSlug().Replace(name.ToLowerInvariant(), "_").Trim('_');
        if (s.Length > 32) s = s[..32].TrimEnd('_');
        if (s.Length == 0) s = "camera";
        var slug = s;
        for (var i = 2; !taken.Add(slug); i++) slug = $"{s}_{i}";
        return slug;
    }

    public static FoundCamera Onvif(string name, string address, string? model, OnvifDevice device, string? username, ISet<string> taken)
    {
        var streams = device.Profiles.Select(p => new FoundStream(p.Name, p.Width, p.Height, p.Encoding,
            Clean(p.StreamUri), Clean(p.SnapshotUri), p.Error)).ToList();
        var slug = Slug(name, taken);
        var ranked = streams.OrderByDescending(s => (long)s.Width * s.Height).ToList();
        var main = ranked.FirstOrDefault(s => s.StreamUrl is not null) ?? ranked.FirstOrDefault(s => s.SnapshotUrl is not null);
        var y = new StringBuilder("cameras:\n");
        y.Append($"  {slug}:\n    name: {Q(name)}\n");
        var sub = main is null ? null : ranked.LastOrDefault(s => s != main && (long)s.Width * s.Height < (long)main.Width * main.Height);
        if (main is null)
            y.Append($"    # {device.Error ?? "no stream or snapshot URL"}\n    url: \"\"\n");
        else
        {
            y.Append($"    # ONVIF{(model is null ? "" : " " + Comment(model))} at {address}; {string.Join(", ", ranked.Select(Describe))}\n");
            if (main.StreamUrl is not null) y.Append($"    url: {Q(main.StreamUrl)}\n    kind: rtsp\n");
            else y.Append($"    url: {Q(main.SnapshotUrl!)}\n    kind: snapshot\n");
            if (!string.IsNullOrEmpty(username)) y.Append($"    username: {Q(username)}\n    password: {Q(PasswordPlaceholder)}\n");
            if (sub?.SnapshotUrl is { } motion && IsHttp(motion) && motion != main.SnapshotUrl) y.Append($"    motion_url: {Q(motion)}\n");
            if (main.SnapshotUrl is not null && main.StreamUrl is not null) y.Append($"    # snapshot: {main.SnapshotUrl}\n");
            if (sub?.StreamUrl is not null) y.Append($"    # sub-stream ({sub.Width}x{sub.Height}): {sub.StreamUrl}\n");
        }
        return new FoundCamera("onvif", name, address, model, Clean(device.DeviceUrl), streams, [], device.Error, slug, y.ToString());
    }

    public static FoundCamera Usb(UsbCamera cam, ISet<string> taken)
    {
        var slug = Slug(cam.Name, taken);
        var formats = cam.Formats.Select(f => $"{f.Name} {string.Join(' ', f.Sizes)}".Trim()).ToList();
        var y = new StringBuilder("cameras:\n");
        y.Append($"  {slug}:\n    name: {Q(cam.Name)}\n    url: {Q(cam.Device)}\n    kind: usb\n");
        y.Append(formats.Count > 0 ? $"    # formats: {Comment(string.Join("; ", formats))}\n" : $"    # {Comment(cam.Error ?? "formats unknown")}\n");
        return new FoundCamera("usb", cam.Name, cam.Device, null, null, [], formats, cam.Error, slug, y.ToString());
    }

    /// <summary>All blocks as one <c>cameras:</c> section.</summary>
    public static string Combined(IEnumerable<FoundCamera> cams)
    {
        var sb = new StringBuilder("cameras:\n");
        foreach (var c in cams) sb.Append(c.Yaml["cameras:\n".Length..]);
        return sb.ToString();
    }

    private static string Describe(FoundStream s) =>
        $"{Comment(s.Profile)} {(s.Width > 0 ? $"{s.Width}x{s.Height}" : "?")}{(s.Encoding is null ? "" : " " + Comment(s.Encoding))}";

    private static bool IsHttp(string u) => u.StartsWith("http://", StringComparison.OrdinalIgnoreCase) || u.StartsWith("https://", StringComparison.OrdinalIgnoreCase);

    /// <summary>No credentials in anything shown or proposed; only absolute URLs.</summary>
    private static string? Clean(string? url) =>
        url is not null && Uri.TryCreate(url, UriKind.Absolute, out _) ? Redaction.Redact(url) : null;

    private static string Comment(string s) => Soap.Clip(s.Replace('\n', ' ').Replace('\r', ' '), 120);

    /// <summary>A double-quoted YAML scalar.</summary>
    private static string Q(string s)
    {
        var sb = new StringBuilder("\"");
        foreach (var ch in s)
        {
            if (ch is '"' or '\\') sb.Append('\\').Append(ch);
            else if (ch < ' ') sb.Append($"\\x{(int)ch:x2}");
            else sb.Append(ch);
        }
        return sb.Append('"').ToString();
    }
}
