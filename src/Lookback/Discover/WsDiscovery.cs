using System.Xml.Linq;

namespace Lookback.Discover;

/// <summary>One ProbeMatch: a device's endpoint (urn:uuid:…), its types, scopes and transport addresses.</summary>
public sealed record ProbeMatch(string Endpoint, IReadOnlyList<string> Types, IReadOnlyList<string> Scopes, IReadOnlyList<string> XAddrs)
{
    /// <summary>The ONVIF scope <c>onvif://www.onvif.org/name/…</c> (URL-decoded), if any.</summary>
    public string? Name => Scope("name");
    /// <summary>The ONVIF scope <c>onvif://www.onvif.org/hardware/…</c>, if any.</summary>
    public string? Hardware => Scope("hardware");

    private string? Scope(string what)
    {
        var prefix = $"onvif://www.onvif.org/{what}/";
        var s = Scopes.FirstOrDefault(x => x.StartsWith(prefix, StringComparison.OrdinalIgnoreCase));
        if (s is null || s.Length == prefix.Length) return null;
        try { return Uri.UnescapeDataString(s[prefix.Length..]).Replace('_', ' ').Trim(); }
        catch (UriFormatException) { return s[prefix.Length..]; }
    }
}

/// <summary>
/// WS-Discovery 2005/04 as ONVIF uses it (ONVIF Core §7.3): the Probe for NetworkVideoTransmitters sent to
/// 239.255.255.250:3702, and the ProbeMatches that devices send back (unicast). Pure: no sockets.
/// </summary>
public static class WsDiscovery
{
    public const string MulticastAddress = "239.255.255.250";
    public const int Port = 3702;
    public const int MaxReplyChars = 32 * 1024;

    public static string Probe(string messageId) => Soap.Envelope(
        new XElement(Soap.Wsd + "Probe", new XElement(Soap.Wsd + "Types", "dn:NetworkVideoTransmitter")),
        new XElement(Soap.Wsa + "MessageID", messageId),
        new XElement(Soap.Wsa + "To", new XAttribute(Soap.Env + "mustUnderstand", "true"), "urn:schemas-xmlsoap-org:ws:2005:04:discovery"),
        new XElement(Soap.Wsa + "Action", new XAttribute(Soap.Env + "mustUnderstand", "true"), "http://schemas.xmlsoap.org/ws/2005/04/discovery/Probe"));

    /// <summary>
    /// The matches of one reply datagram. Throws <see cref="DiscoverReplyException"/> (one line naming
    /// <paramref name="from"/>) for anything else: not XML, a DTD, too large, not SOAP 1.2, not ProbeMatches, a
    /// ProbeMatch without an endpoint. A reply to another probe (RelatesTo ≠ <paramref name="messageId"/>) gives none.
    /// </summary>
    public static IReadOnlyList<ProbeMatch> ParseProbeMatches(byte[] datagram, string messageId, string from)
    {
        var doc = SafeXml.Parse(datagram, MaxReplyChars, from);
        var matches = Soap.Expect(doc, Soap.Wsd + "ProbeMatches", from);
        var relatesTo = doc.Root!.Element(Soap.Env + "Header")?.Element(Soap.Wsa + "RelatesTo")?.Value.Trim();
        if (relatesTo is not null && relatesTo != messageId) return [];
        var list = new List<ProbeMatch>();
        foreach (var m in matches.Elements(Soap.Wsd + "ProbeMatch"))
        {
            var endpoint = m.Element(Soap.Wsa + "EndpointReference")?.Element(Soap.Wsa + "Address")?.Value.Trim();
            if (string.IsNullOrEmpty(endpoint)) throw new DiscoverReplyException($"{from}: ProbeMatch without EndpointReference/Address");
            list.Add(new ProbeMatch(Soap.Clip(endpoint, 200), Words(m.Element(Soap.Wsd + "Types")), Words(m.Element(Soap.Wsd + "Scopes")),
                Words(m.Element(Soap.Wsd + "XAddrs")).Where(IsHttpUrl).ToList()));
        }
        return list;
    }

    private static List<string> Words(XElement? e) =>
        e is null ? [] : e.Value.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries).Take(64).ToList();

    private static bool IsHttpUrl(string s) =>
        Uri.TryCreate(s, UriKind.Absolute, out var u) && (u.Scheme == Uri.UriSchemeHttp || u.Scheme == Uri.UriSchemeHttps);
}
