using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Xml.Linq;

namespace Lookback.Discover;

/// <summary>A media profile: token, name, video encoding and resolution, and the URIs the camera gave for it.</summary>
public sealed record OnvifProfile(string Token, string Name, string? Encoding, int Width, int Height)
{
    public string? StreamUri { get; init; }
    public string? SnapshotUri { get; init; }
    public string? Error { get; init; }
    public long Pixels => (long)Width * Height;
}

/// <summary>
/// The ONVIF requests Lookback sends (device service: GetSystemDateAndTime, GetCapabilities, GetServices; media
/// service ver10: GetProfiles, GetStreamUri, GetSnapshotUri) and the parsers of their answers. Pure: no I/O.
/// </summary>
public static class OnvifMessages
{
    public const int MaxReplyChars = 1024 * 1024;

    public static string GetSystemDateAndTime() => Soap.Envelope(new XElement(Soap.Tds + "GetSystemDateAndTime"));

    public static string GetCapabilities(XElement? security) =>
        Soap.Envelope(new XElement(Soap.Tds + "GetCapabilities", new XElement(Soap.Tds + "Category", "All")), Header(security));

    public static string GetServices(XElement? security) =>
        Soap.Envelope(new XElement(Soap.Tds + "GetServices", new XElement(Soap.Tds + "IncludeCapability", "false")), Header(security));

    public static string GetProfiles(XElement? security) => Soap.Envelope(new XElement(Soap.Trt + "GetProfiles"), Header(security));

    public static string GetStreamUri(string token, XElement? security) => Soap.Envelope(
        new XElement(Soap.Trt + "GetStreamUri",
            new XElement(Soap.Trt + "StreamSetup",
                new XElement(Soap.Tt + "Stream", "RTP-Unicast"),
                new XElement(Soap.Tt + "Transport", new XElement(Soap.Tt + "Protocol", "RTSP"))),
            new XElement(Soap.Trt + "ProfileToken", token)), Header(security));

    public static string GetSnapshotUri(string token, XElement? security) => Soap.Envelope(
        new XElement(Soap.Trt + "GetSnapshotUri", new XElement(Soap.Trt + "ProfileToken", token)), Header(security));

    private static XElement[] Header(XElement? security) => security is null ? [] : [security];

    /// <summary>The device's UTC clock (to stamp UsernameTokens with the camera's time), or null if it gave none.</summary>
    public static DateTimeOffset? ParseSystemDateAndTime(XDocument doc, string from)
    {
        var utc = Soap.Expect(doc, Soap.Tds + "GetSystemDateAndTimeResponse", from).Descendants(Soap.Tt + "UTCDateTime").FirstOrDefault();
        if (utc is null) return null;
        int N(XName parent, string child) =>
            int.TryParse(utc.Element(parent)?.Element(Soap.Tt + child)?.Value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) ? v : -1;
        try
        {
            return new DateTimeOffset(N(Soap.Tt + "Date", "Year"), N(Soap.Tt + "Date", "Month"), N(Soap.Tt + "Date", "Day"),
                N(Soap.Tt + "Time", "Hour"), N(Soap.Tt + "Time", "Minute"), N(Soap.Tt + "Time", "Second"), TimeSpan.Zero);
        }
        catch (ArgumentOutOfRangeException) { return null; }
    }

    /// <summary>The media service address from GetCapabilitiesResponse (Capabilities/Media/XAddr).</summary>
    public static string? ParseCapabilitiesMedia(XDocument doc, string from) =>
        Soap.Expect(doc, Soap.Tds + "GetCapabilitiesResponse", from)
            .Element(Soap.Tds + "Capabilities")?.Element(Soap.Tt + "Media")?.Element(Soap.Tt + "XAddr")?.Value.Trim() is { Length: > 0 } x
            ? x : null;

    /// <summary>The media (ver10) service address from GetServicesResponse.</summary>
    public static string? ParseServicesMedia(XDocument doc, string from) =>
        Soap.Expect(doc, Soap.Tds + "GetServicesResponse", from).Elements(Soap.Tds + "Service")
            .FirstOrDefault(s => s.Element(Soap.Tds + "Namespace")?.Value.Trim() == Soap.Trt.NamespaceName)
            ?.Element(Soap.Tds + "XAddr")?.Value.Trim() is { Length: > 0 } x ? x : null;

    public static IReadOnlyList<OnvifProfile> ParseProfiles(XDocument doc, string from)
    {
        var list = new List<OnvifProfile>();
        foreach (var p in Soap.Expect(doc, Soap.Trt + "GetProfilesResponse", from).Elements(Soap.Trt + "Profiles").Take(32))
        {
            var token = p.Attribute("token")?.Value;
            if (string.IsNullOrWhiteSpace(token)) continue;
            var vec = p.Element(Soap.Tt + "VideoEncoderConfiguration");
            var res = vec?.Element(Soap.Tt + "Resolution");
            int Dim(string n) => int.TryParse(res?.Element(Soap.Tt + n)?.Value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) ? v : 0;
            list.Add(new OnvifProfile(Soap.Clip(token, 64), Soap.Clip(p.Element(Soap.Tt + "Name")?.Value ?? token, 64),
                vec?.Element(Soap.Tt + "Encoding")?.Value.Trim(), Dim("Width"), Dim("Height")));
        }
        return list;
    }

    /// <summary>MediaUri/Uri of a GetStreamUriResponse or GetSnapshotUriResponse.</summary>
    public static string ParseMediaUri(XDocument doc, XName response, string from)
    {
        var uri = Soap.Expect(doc, response, from).Element(Soap.Trt + "MediaUri")?.Element(Soap.Tt + "Uri")?.Value.Trim();
        if (string.IsNullOrEmpty(uri) || !Uri.TryCreate(uri, UriKind.Absolute, out _))
            throw new DiscoverReplyException($"{from}: {response.LocalName} without a valid MediaUri/Uri");
        return uri;
    }
}

/// <summary>WS-Security UsernameToken with PasswordDigest (ONVIF Core §5.12): Base64(SHA-1(nonce + created + password)).</summary>
public static class UsernameToken
{
    public const string DigestType = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#PasswordDigest";
    public const string Base64Type = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-soap-message-security-1.0#Base64Binary";

    public static string Digest(byte[] nonce, string created, string password)
    {
        var c = Encoding.UTF8.GetBytes(created);
        var p = Encoding.UTF8.GetBytes(password);
        var all = new byte[nonce.Length + c.Length + p.Length];
        nonce.CopyTo(all, 0);
        c.CopyTo(all, nonce.Length);
        p.CopyTo(all, nonce.Length + c.Length);
        return Convert.ToBase64String(SHA1.HashData(all));
    }

    /// <summary>The wsse:Security header for one request, stamped with <paramref name="now"/> (the camera's clock).</summary>
    public static XElement Header(string username, string password, DateTimeOffset now, byte[]? nonce = null)
    {
        nonce ??= RandomNumberGenerator.GetBytes(16);
        var created = now.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
        return new XElement(Soap.Wsse + "Security", new XAttribute(Soap.Env + "mustUnderstand", "true"),
            new XElement(Soap.Wsse + "UsernameToken",
                new XElement(Soap.Wsse + "Username", username),
                new XElement(Soap.Wsse + "Password", new XAttribute("Type", DigestType), Digest(nonce, created, password)),
                new XElement(Soap.Wsse + "Nonce", new XAttribute("EncodingType", Base64Type), Convert.ToBase64String(nonce)),
                new XElement(Soap.Wsu + "Created", created)));
    }
}
