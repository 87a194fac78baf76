using System.Xml.Linq;

namespace Lookback.Discover;

/// <summary>SOAP 1.2 envelopes and the namespaces of WS-Discovery 2005/04 (as ONVIF uses it) and ONVIF.</summary>
public static class Soap
{
    public static readonly XNamespace Env = "http://www.w3.org/2003/05/soap-envelope";
    public static readonly XNamespace Wsa = "http://schemas.xmlsoap.org/ws/2004/08/addressing";
    public static readonly XNamespace Wsd = "http://schemas.xmlsoap.org/ws/2005/04/discovery";
    public static readonly XNamespace Dn = "http://www.onvif.org/ver10/network/wsdl";
    public static readonly XNamespace Tds = "http://www.onvif.org/ver10/device/wsdl";
    public static readonly XNamespace Trt = "http://www.onvif.org/ver10/media/wsdl";
    public static readonly XNamespace Tt = "http://www.onvif.org/ver10/schema";
    public static readonly XNamespace Wsse = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd";
    public static readonly XNamespace Wsu = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd";

    private static readonly (string Prefix, XNamespace Ns)[] Prefixes =
        [("s", Env), ("a", Wsa), ("d", Wsd), ("dn", Dn), ("tds", Tds), ("trt", Trt), ("tt", Tt), ("wsse", Wsse), ("wsu", Wsu)];

    /// <summary>The envelope's Body, or a clear error when the document is not a SOAP 1.2 envelope.</summary>
    public static XElement Body(XDocument doc, string from)
    {
        var root = doc.Root!;
        if (root.Name != Env + "Envelope")
            throw new DiscoverReplyException($"{from}: not a SOAP 1.2 envelope (root element {{{root.Name.NamespaceName}}}{root.Name.LocalName})");
        var body = root.Element(Env + "Body") ?? throw new DiscoverReplyException($"{from}: SOAP envelope without a Body");
        if (body.Element(Env + "Fault") is { } fault)
        {
            var reason = fault.Element(Env + "Reason")?.Element(Env + "Text")?.Value.Trim();
            var code = fault.Descendants(Env + "Value").LastOrDefault()?.Value.Trim();
            throw new DiscoverReplyException($"{from}: SOAP fault {code}{(string.IsNullOrEmpty(reason) ? "" : ": " + Clip(reason))}");
        }
        return body;
    }

    /// <summary>The first child of Body, which must be <paramref name="expected"/>.</summary>
    public static XElement Expect(XDocument doc, XName expected, string from)
    {
        var body = Body(doc, from);
        var first = body.Elements().FirstOrDefault()
            ?? throw new DiscoverReplyException($"{from}: empty SOAP Body (expected {expected.LocalName})");
        if (first.Name != expected)
            throw new DiscoverReplyException(first.Name.LocalName == expected.LocalName
                ? $"{from}: {expected.LocalName} in the wrong namespace ({first.Name.NamespaceName}, expected {expected.NamespaceName})"
                : $"{from}: expected {expected.LocalName}, got {first.Name.LocalName}");
        return first;
    }

    /// <summary>A SOAP 1.2 envelope around <paramref name="body"/>, with optional header elements.</summary>
    public static string Envelope(XElement body, params XElement[] header) =>
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n" +
        new XElement(Env + "Envelope", Prefixes.Select(p => new XAttribute(XNamespace.Xmlns + p.Prefix, p.Ns.NamespaceName)),
            new XElement(Env + "Header", header), new XElement(Env + "Body", body)).ToString(SaveOptions.DisableFormatting);

    public static string Clip(string s, int max = 160)
    {
        s = string.Join(' ', s.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));
        return s.Length <= max ? s : s[..max] + "…";
    }
}
