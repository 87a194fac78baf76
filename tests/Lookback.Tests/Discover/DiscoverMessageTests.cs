using System.Text;
using System.Xml.Linq;
using Lookback.Discover;

namespace Lookback.Tests.Discover;

/// <summary>The WS-Discovery and ONVIF messages and their parsers, hostile replies included. No sockets.</summary>
public sealed class DiscoverMessageTests
{
    private const string Id = "uuid:11111111-2222-3333-4444-555555555555";

    private static byte[] Matches(string body, string wsd = "http://schemas.xmlsoap.org/ws/2005/04/discovery", string relatesTo = Id) =>
        Encoding.UTF8.GetBytes($"""
            <?xml version="1.0" encoding="UTF-8"?>
            <SOAP-ENV:Envelope xmlns:SOAP-ENV="http://www.w3.org/2003/05/soap-envelope"
              xmlns:wsa="http://schemas.xmlsoap.org/ws/2004/08/addressing" xmlns:d="{wsd}">
              <SOAP-ENV:Header><wsa:RelatesTo>{relatesTo}</wsa:RelatesTo></SOAP-ENV:Header>
              <SOAP-ENV:Body>{body}</SOAP-ENV:Body>
            </SOAP-ENV:Envelope>
            """);

    private const string OneMatch = """
        <d:ProbeMatches><d:ProbeMatch>
          <wsa:EndpointReference><wsa:Address>urn:uuid:abc</wsa:Address></wsa:EndpointReference>
          <d:Types>dn:NetworkVideoTransmitter</d:Types>
          <d:Scopes>onvif://www.onvif.org/name/Front%20Door onvif://www.onvif.org/hardware/IPC_123</d:Scopes>
          <d:XAddrs>http://192.0.2.7/onvif/device_service http://[fe80::1]/onvif/device_service soap.udp://x</d:XAddrs>
        </d:ProbeMatch></d:ProbeMatches>
        """;

    [Fact]
    public void Probe_is_a_SOAP12_WS_Discovery_2005_04_probe_for_video_transmitters()
    {
        var doc = XDocument.Parse(WsDiscovery.Probe(Id));
        Assert.Equal(Soap.Env + "Envelope", doc.Root!.Name);
        var header = doc.Root.Element(Soap.Env + "Header")!;
        Assert.Equal(Id, header.Element(Soap.Wsa + "MessageID")!.Value);
        Assert.Equal("http://schemas.xmlsoap.org/ws/2005/04/discovery/Probe", header.Element(Soap.Wsa + "Action")!.Value);
        Assert.Equal("urn:schemas-xmlsoap-org:ws:2005:04:discovery", header.Element(Soap.Wsa + "To")!.Value);
        var types = doc.Root.Element(Soap.Env + "Body")!.Element(Soap.Wsd + "Probe")!.Element(Soap.Wsd + "Types")!;
        Assert.Equal("dn:NetworkVideoTransmitter", types.Value);
        Assert.Equal(Soap.Dn.NamespaceName, types.GetNamespaceOfPrefix("dn")!.NamespaceName);
    }

    [Fact]
    public void ProbeMatches_give_endpoint_name_hardware_and_http_XAddrs()
    {
        var m = Assert.Single(WsDiscovery.ParseProbeMatches(Matches(OneMatch), Id, "reply from 192.0.2.7"));
        Assert.Equal("urn:uuid:abc", m.Endpoint);
        Assert.Equal("Front Door", m.Name);
        Assert.Equal("IPC 123", m.Hardware);
        Assert.Equal(["http://192.0.2.7/onvif/device_service", "http://[fe80::1]/onvif/device_service"], m.XAddrs);
    }

    [Fact]
    public void A_reply_to_another_probe_is_ignored()
    {
        Assert.Empty(WsDiscovery.ParseProbeMatches(Matches(OneMatch, relatesTo: "uuid:other"), Id, "x"));
    }

    [Theory]
    [InlineData("wrongns", "reply from 192.0.2.9: ProbeMatches in the wrong namespace (http://docs.oasis-open.org/ws-dd/ns/discovery/2009/01, expected http://schemas.xmlsoap.org/ws/2005/04/discovery)")]
    [InlineData("soap11", "reply from 192.0.2.9: not a SOAP 1.2 envelope (root element {http://schemas.xmlsoap.org/soap/envelope/}Envelope)")]
    [InlineData("garbage", "reply from 192.0.2.9: not well-formed XML (line 1, position 1)")]
    [InlineData("other", "reply from 192.0.2.9: expected ProbeMatches, got Hello")]
    [InlineData("noendpoint", "reply from 192.0.2.9: ProbeMatch without EndpointReference/Address")]
    [InlineData("fault", "reply from 192.0.2.9: SOAP fault ter:NotAuthorized: Sender not authorized")]
    public void Malformed_replies_give_one_clear_line(string kind, string expected)
    {
        var bytes = kind switch
        {
            "wrongns" => Matches(OneMatch, "http://docs.oasis-open.org/ws-dd/ns/discovery/2009/01"),
            "soap11" => Encoding.UTF8.GetBytes("<e:Envelope xmlns:e=\"http://schemas.xmlsoap.org/soap/envelope/\"><e:Body/></e:Envelope>"),
            "garbage" => "\0\u0001 not xml <<<"u8.ToArray(),
            "other" => Matches("<d:Hello/>"),
            "noendpoint" => Matches("<d:ProbeMatches><d:ProbeMatch><d:XAddrs>http://x/</d:XAddrs></d:ProbeMatch></d:ProbeMatches>"),
            _ => Matches("""<SOAP-ENV:Fault><SOAP-ENV:Code><SOAP-ENV:Value>SOAP-ENV:Sender</SOAP-ENV:Value><SOAP-ENV:Subcode><SOAP-ENV:Value>ter:NotAuthorized</SOAP-ENV:Value></SOAP-ENV:Subcode></SOAP-ENV:Code><SOAP-ENV:Reason><SOAP-ENV:Text xml:lang="en">Sender not authorized</SOAP-ENV:Text></SOAP-ENV:Reason></SOAP-ENV:Fault>"""),
        };
        var ex = Assert.Throws<DiscoverReplyException>(() => WsDiscovery.ParseProbeMatches(bytes, Id, "reply from 192.0.2.9"));
        Assert.Equal(expected, ex.Message);
    }

    [Fact]
    public void An_XML_bomb_is_refused_before_any_entity_grows()
    {
        var lol = new StringBuilder("<?xml version=\"1.0\"?><!DOCTYPE l [<!ENTITY l0 \"lollollollol\">");
        for (var i = 1; i <= 9; i++) lol.Append($"<!ENTITY l{i} \"{string.Concat(Enumerable.Repeat($"&l{i - 1};", 10))}\">");
        lol.Append("]><s:Envelope xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\"><s:Body>&l9;</s:Body></s:Envelope>");
        var before = GC.GetAllocatedBytesForCurrentThread();
        var ex = Assert.Throws<DiscoverReplyException>(() => WsDiscovery.ParseProbeMatches(Encoding.UTF8.GetBytes(lol.ToString()), Id, "reply from 192.0.2.9"));
        Assert.Equal("reply from 192.0.2.9: refused: the reply declares a DTD (entities are not expanded)", ex.Message);
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 16 << 20, "the bomb was expanded"); // 12 GB if it were
    }

    [Fact]
    public void A_reply_over_the_size_cap_is_refused()
    {
        var huge = Matches(OneMatch.Replace("<d:Scopes>", "<d:Scopes>" + string.Concat(Enumerable.Repeat("x ", 20_000))));
        var ex = Assert.Throws<DiscoverReplyException>(() => WsDiscovery.ParseProbeMatches(huge, Id, "reply from 192.0.2.9"));
        Assert.Equal("reply from 192.0.2.9: refused: the reply is larger than 32 KiB", ex.Message);
    }

    [Fact]
    public void PasswordDigest_matches_the_ONVIF_programmers_guide_example()
    {
        // ONVIF Application Programmer's Guide, "Authentication" example
        Assert.Equal("tuOSpGlFlIXsozq4HFNeeGeFLEI=",
            UsernameToken.Digest(Convert.FromBase64String("LKqI6G/AikKCQrN0zqZFlg=="), "2010-09-16T07:50:45Z", "userpassword"));
        var header = UsernameToken.Header("admin", "userpassword", new DateTimeOffset(2010, 9, 16, 7, 50, 45, TimeSpan.Zero),
            Convert.FromBase64String("LKqI6G/AikKCQrN0zqZFlg=="));
        var token = header.Element(Soap.Wsse + "UsernameToken")!;
        Assert.Equal("2010-09-16T07:50:45Z", token.Element(Soap.Wsu + "Created")!.Value);
        Assert.Equal("tuOSpGlFlIXsozq4HFNeeGeFLEI=", token.Element(Soap.Wsse + "Password")!.Value);
        Assert.EndsWith("#PasswordDigest", token.Element(Soap.Wsse + "Password")!.Attribute("Type")!.Value);
    }

    private static XDocument Reply(string body) => XDocument.Parse($"""
        <s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:tds="http://www.onvif.org/ver10/device/wsdl"
          xmlns:trt="http://www.onvif.org/ver10/media/wsdl" xmlns:tt="http://www.onvif.org/ver10/schema"><s:Body>{body}</s:Body></s:Envelope>
        """);

    [Fact]
    public void Onvif_answers_give_media_address_profiles_and_uris()
    {
        Assert.Equal("http://192.0.2.7/onvif/Media", OnvifMessages.ParseCapabilitiesMedia(Reply(
            "<tds:GetCapabilitiesResponse><tds:Capabilities><tt:Media><tt:XAddr>http://192.0.2.7/onvif/Media</tt:XAddr></tt:Media></tds:Capabilities></tds:GetCapabilitiesResponse>"), "x"));
        Assert.Equal("http://192.0.2.7/media", OnvifMessages.ParseServicesMedia(Reply(
            "<tds:GetServicesResponse><tds:Service><tds:Namespace>http://www.onvif.org/ver10/device/wsdl</tds:Namespace><tds:XAddr>http://192.0.2.7/dev</tds:XAddr></tds:Service>" +
            "<tds:Service><tds:Namespace>http://www.onvif.org/ver10/media/wsdl</tds:Namespace><tds:XAddr>http://192.0.2.7/media</tds:XAddr></tds:Service></tds:GetServicesResponse>"), "x"));
        var profiles = OnvifMessages.ParseProfiles(Reply(
            "<trt:GetProfilesResponse><trt:Profiles token=\"p1\"><tt:Name>main</tt:Name><tt:VideoEncoderConfiguration><tt:Encoding>H264</tt:Encoding>" +
            "<tt:Resolution><tt:Width>2560</tt:Width><tt:Height>1440</tt:Height></tt:Resolution></tt:VideoEncoderConfiguration></trt:Profiles>" +
            "<trt:Profiles token=\"p2\"><tt:Name>sub</tt:Name></trt:Profiles><trt:Profiles><tt:Name>no token</tt:Name></trt:Profiles></trt:GetProfilesResponse>"), "x");
        Assert.Equal([new OnvifProfile("p1", "main", "H264", 2560, 1440), new OnvifProfile("p2", "sub", null, 0, 0)], profiles);
        Assert.Equal("rtsp://192.0.2.7:554/s1", OnvifMessages.ParseMediaUri(Reply(
            "<trt:GetStreamUriResponse><trt:MediaUri><tt:Uri>rtsp://192.0.2.7:554/s1</tt:Uri></trt:MediaUri></trt:GetStreamUriResponse>"),
            Soap.Trt + "GetStreamUriResponse", "x"));
        Assert.Equal(new DateTimeOffset(2026, 12, 3, 7, 5, 9, TimeSpan.Zero), OnvifMessages.ParseSystemDateAndTime(Reply(
            "<tds:GetSystemDateAndTimeResponse><tds:SystemDateAndTime><tt:UTCDateTime><tt:Time><tt:Hour>7</tt:Hour><tt:Minute>5</tt:Minute><tt:Second>9</tt:Second></tt:Time>" +
            "<tt:Date><tt:Year>2026</tt:Year><tt:Month>12</tt:Month><tt:Day>3</tt:Day></tt:Date></tt:UTCDateTime></tds:SystemDateAndTime></tds:GetSystemDateAndTimeResponse>"), "x"));
    }

    [Fact]
    public void A_media_uri_answer_without_a_uri_or_in_another_namespace_is_a_clear_line()
    {
        var ex = Assert.Throws<DiscoverReplyException>(() => OnvifMessages.ParseMediaUri(Reply(
            "<trt:GetSnapshotUriResponse><trt:MediaUri><tt:Uri>not a uri</tt:Uri></trt:MediaUri></trt:GetSnapshotUriResponse>"), Soap.Trt + "GetSnapshotUriResponse", "cam"));
        Assert.Equal("cam: GetSnapshotUriResponse without a valid MediaUri/Uri", ex.Message);
        ex = Assert.Throws<DiscoverReplyException>(() => OnvifMessages.ParseCapabilitiesMedia(XDocument.Parse(
            "<s:Envelope xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\"><s:Body><GetCapabilitiesResponse xmlns=\"http://www.onvif.org/ver20/device/wsdl\"/></s:Body></s:Envelope>"), "cam"));
        Assert.Equal("cam: GetCapabilitiesResponse in the wrong namespace (http://www.onvif.org/ver20/device/wsdl, expected http://www.onvif.org/ver10/device/wsdl)", ex.Message);
    }
}
