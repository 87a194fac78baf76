#!/usr/bin/env python3
"""Test ONVIF cameras: N WS-Discovery responders (UDP 3702, group 239.255.255.250 joined on --ip) and, per
responder, an ONVIF device + media service over HTTP (SOAP 1.2; ONVIF Core/Media ver10 message shapes).

--modes is a comma-separated list, responder i uses modes[i % len]:
  normal      ProbeMatches + a working device/media service (2 profiles: main 1920x1080, sub 640x360)
  wrongns     ProbeMatches in the WS-Discovery 2009/01 namespace (not what ONVIF uses)
  bomb        a "billion laughs" reply (DTD with nested entities)
  huge        a 65000-byte datagram
  garbage     bytes that are not XML
  http-hang   ProbeMatches, but the device service never answers
  http-huge   ProbeMatches, the device service answers 5 MB
  http-bomb   ProbeMatches, the device service answers an XML bomb
With --user/--password every request but GetSystemDateAndTime needs a valid WS-UsernameToken PasswordDigest.
Prints "READY <n>" when listening.
"""
import argparse, base64, datetime, hashlib, re, socket, struct, sys, threading, uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
import xml.etree.ElementTree as ET

ENV = "http://www.w3.org/2003/05/soap-envelope"
WSSE = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"
WSU = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd"
NS = ('xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing" '
      'xmlns:d="%s" xmlns:dn="http://www.onvif.org/ver10/network/wsdl" xmlns:tds="http://www.onvif.org/ver10/device/wsdl" '
      'xmlns:trt="http://www.onvif.org/ver10/media/wsdl" xmlns:tt="http://www.onvif.org/ver10/schema" '
      'xmlns:ter="http://www.onvif.org/ver10/error"')
WSD_2005 = "http://schemas.xmlsoap.org/ws/2005/04/discovery"
WSD_2009 = "http://docs.oasis-open.org/ws-dd/ns/discovery/2009/01"
BOMB = ('<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
        '<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">'
        '<!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">'
        '<!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">]>'
        '<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body>&lol5;</s:Body></s:Envelope>')


def envelope(body, header="", wsd=WSD_2005):
    return ('<?xml version="1.0" encoding="UTF-8"?><s:Envelope %s><s:Header>%s</s:Header><s:Body>%s</s:Body></s:Envelope>'
            % (NS % wsd, header, body)).encode()


def fault(reason):
    return envelope('<s:Fault><s:Code><s:Value>s:Sender</s:Value><s:Subcode><s:Value>ter:NotAuthorized</s:Value></s:Subcode></s:Code>'
                    '<s:Reason><s:Text xml:lang="en">%s</s:Text></s:Reason></s:Fault>' % reason)


class Camera:
    def __init__(self, i, ip, mode, user, password):
        self.i, self.ip, self.mode, self.user, self.password = i, ip, mode, user, password
        self.uuid = "urn:uuid:%s" % uuid.UUID(int=0x15_0000 + i)
        cam = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *a): pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                status, reply = cam.answer(body)
                if reply is None:  # http-hang
                    threading.Event().wait(3600)
                    return
                self.send_response(status)
                self.send_header("Content-Type", "application/soap+xml; charset=utf-8")
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                try: self.wfile.write(reply)
                except (BrokenPipeError, ConnectionResetError): pass

        self.http = ThreadingHTTPServer((ip, 0), Handler)
        self.http.daemon_threads = True
        self.port = self.http.server_address[1]
        self.base = "http://%s:%d" % (ip, self.port)
        threading.Thread(target=self.http.serve_forever, daemon=True).start()

    def authorized(self, root):
        if not self.user: return True
        tok = root.find("{%s}Header/{%s}Security/{%s}UsernameToken" % (ENV, WSSE, WSSE))
        if tok is None: return False
        name, pw = tok.findtext("{%s}Username" % WSSE), tok.find("{%s}Password" % WSSE)
        nonce, created = tok.findtext("{%s}Nonce" % WSSE), tok.findtext("{%s}Created" % WSU)
        if name != self.user or pw is None or nonce is None or created is None: return False
        want = base64.b64encode(hashlib.sha1(base64.b64decode(nonce) + created.encode() + self.password.encode()).digest()).decode()
        return pw.get("Type", "").endswith("#PasswordDigest") and pw.text == want

    def answer(self, body):
        if self.mode == "http-hang": return 200, None
        if self.mode == "http-huge": return 200, b"<x>" + b"A" * (5 * 1024 * 1024) + b"</x>"
        if self.mode == "http-bomb": return 200, BOMB.encode()
        root = ET.fromstring(body)
        op = list(root.find("{%s}Body" % ENV))[0]
        name = op.tag.split("}")[1]
        if name != "GetSystemDateAndTime" and not self.authorized(root):
            return 400, fault("Sender not authorized")
        token = op.findtext("{http://www.onvif.org/ver10/media/wsdl}ProfileToken")
        if name == "GetSystemDateAndTime":
            n = datetime.datetime.now(datetime.timezone.utc)
            return 200, envelope('<tds:GetSystemDateAndTimeResponse><tds:SystemDateAndTime><tt:DateTimeType>NTP</tt:DateTimeType>'
                '<tt:DaylightSavings>false</tt:DaylightSavings><tt:UTCDateTime><tt:Time><tt:Hour>%d</tt:Hour><tt:Minute>%d</tt:Minute>'
                '<tt:Second>%d</tt:Second></tt:Time><tt:Date><tt:Year>%d</tt:Year><tt:Month>%d</tt:Month><tt:Day>%d</tt:Day></tt:Date>'
                '</tt:UTCDateTime></tds:SystemDateAndTime></tds:GetSystemDateAndTimeResponse>' % (n.hour, n.minute, n.second, n.year, n.month, n.day))
        if name == "GetCapabilities":
            return 200, envelope('<tds:GetCapabilitiesResponse><tds:Capabilities><tt:Device><tt:XAddr>%s/onvif/device_service</tt:XAddr>'
                '</tt:Device><tt:Media><tt:XAddr>%s/onvif/media_service</tt:XAddr><tt:StreamingCapabilities><tt:RTPMulticast>false'
                '</tt:RTPMulticast><tt:RTP_TCP>true</tt:RTP_TCP><tt:RTP_RTSP_TCP>true</tt:RTP_RTSP_TCP></tt:StreamingCapabilities>'
                '</tt:Media></tds:Capabilities></tds:GetCapabilitiesResponse>' % (self.base, self.base))
        if name == "GetProfiles":
            prof = ('<trt:Profiles token="%s" fixed="true"><tt:Name>%s</tt:Name><tt:VideoEncoderConfiguration token="vec_%s">'
                    '<tt:Name>%s</tt:Name><tt:UseCount>1</tt:UseCount><tt:Encoding>H264</tt:Encoding><tt:Resolution><tt:Width>%d</tt:Width>'
                    '<tt:Height>%d</tt:Height></tt:Resolution><tt:Quality>5</tt:Quality></tt:VideoEncoderConfiguration></trt:Profiles>')
            return 200, envelope('<trt:GetProfilesResponse>%s%s</trt:GetProfilesResponse>'
                % (prof % ("main_%d" % self.i, "mainStream", "m", "m", 1920, 1080), prof % ("sub_%d" % self.i, "subStream", "s", "s", 640, 360)))
        if name == "GetStreamUri":
            return 200, envelope('<trt:GetStreamUriResponse><trt:MediaUri><tt:Uri>rtsp://%s:554/cam%d/%s</tt:Uri><tt:InvalidAfterConnect>false'
                '</tt:InvalidAfterConnect><tt:InvalidAfterReboot>false</tt:InvalidAfterReboot><tt:Timeout>PT0S</tt:Timeout></trt:MediaUri>'
                '</trt:GetStreamUriResponse>' % (self.ip, self.i, token))
        if name == "GetSnapshotUri":
            return 200, envelope('<trt:GetSnapshotUriResponse><trt:MediaUri><tt:Uri>%s/snapshot/%s.jpg</tt:Uri><tt:InvalidAfterConnect>false'
                '</tt:InvalidAfterConnect><tt:InvalidAfterReboot>false</tt:InvalidAfterReboot><tt:Timeout>PT0S</tt:Timeout></trt:MediaUri>'
                '</trt:GetSnapshotUriResponse>' % (self.base, token))
        return 400, fault("Action not supported: " + name)

    def probe_reply(self, message_id):
        match = ('<d:ProbeMatches><d:ProbeMatch><a:EndpointReference><a:Address>%s</a:Address></a:EndpointReference>'
                 '<d:Types>dn:NetworkVideoTransmitter</d:Types><d:Scopes>onvif://www.onvif.org/type/video_encoder '
                 'onvif://www.onvif.org/name/Test%%20Camera%%20%d onvif://www.onvif.org/hardware/LB-%d</d:Scopes>'
                 '<d:XAddrs>%s/onvif/device_service</d:XAddrs><d:MetadataVersion>1</d:MetadataVersion></d:ProbeMatch></d:ProbeMatches>'
                 % (self.uuid, self.i, self.i, self.base))
        header = ('<a:MessageID>uuid:%s</a:MessageID><a:RelatesTo>%s</a:RelatesTo><a:To>http://schemas.xmlsoap.org/ws/2004/08/'
                  'addressing/role/anonymous</a:To><a:Action>%s/ProbeMatches</a:Action>' % (uuid.uuid4(), message_id, WSD_2005))
        if self.mode == "wrongns": return envelope(match, header, WSD_2009)
        if self.mode == "bomb": return BOMB.encode()
        if self.mode == "huge": return envelope(match.replace("<d:Scopes>", "<d:Scopes>" + "x " * 32000), header)[:65000]
        if self.mode == "garbage": return b"\x00\x01 not xml at all <<<"
        return envelope(match, header)


def udp_loop(cams, ip):
    sockets = []
    for c in cams:
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM, socket.IPPROTO_UDP)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("", 3702))
        s.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, struct.pack("4s4s", socket.inet_aton("239.255.255.250"), socket.inet_aton(ip)))
        sockets.append((s, c))
    for s, c in sockets:
        threading.Thread(target=serve_udp, args=(s, c), daemon=True).start()


def serve_udp(s, cam):
    while True:
        data, addr = s.recvfrom(65536)
        text = data.decode("utf-8", "replace")
        if "Probe" not in text or "ProbeMatches" in text: continue
        m = re.search(r"MessageID[^>]*>([^<]+)<", text)
        try: s.sendto(cam.probe_reply(m.group(1) if m else ""), addr)
        except OSError as e: print("send failed: %s" % e, file=sys.stderr)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ip", required=True)
    ap.add_argument("--count", type=int, default=1)
    ap.add_argument("--modes", default="normal")
    ap.add_argument("--user", default="")
    ap.add_argument("--password", default="")
    a = ap.parse_args()
    modes = a.modes.split(",")
    cams = [Camera(i, a.ip, modes[i % len(modes)], a.user, a.password) for i in range(a.count)]
    udp_loop(cams, a.ip)
    print("READY %d" % len(cams), flush=True)
    threading.Event().wait()


if __name__ == "__main__":
    main()
