#!/usr/bin/python3
"""Test RTSP camera for Lookback: GStreamer's RTSP server on 127.0.0.1.

  rtsp_server.py [--port N] [--codec h264|h265|mjpeg] [--size 320x240] [--fps 15] [--gop 15] [--bframes 0]
                 [--pattern ball] [--bitrate KBITS] [--no-overlay] [--audio none|aac|pcma|pcmu]
                 [--user U --password P] [--path /cam] [--file clip.mp4]

Encodes a live test pattern (moving ball, is-live: frames at the real rate for as long as the server runs) with
x264enc/x265enc, one shared media for all clients. --bframes N gives H.264 with B-frames (like some cameras).
--audio adds a live sine tone as a second stream: AAC (16 kHz mono, RTP MPEG-4 generic) or G.711 A-law/mu-law (8 kHz
mono, like doorbells).
--file serves an MP4 with H.264 video instead (stream-copied, no encode: the server costs next to no CPU), played at
its own rate from its start for every client (not shared), e.g. real footage for benchmarks.
Prints "READY <port>" on stdout once it listens.
"""
import argparse
import signal
import sys

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtspServer  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--codec", choices=["h264", "h265", "mjpeg"], default="h264")
    ap.add_argument("--pattern", default="ball", help="videotestsrc pattern (snow: noise, needs the bitrate)")
    ap.add_argument("--bitrate", type=int, default=0, help="H.264 bitrate in kbit/s (0: x264enc's default)")
    ap.add_argument("--size", default="320x240")
    ap.add_argument("--fps", type=int, default=15)
    ap.add_argument("--gop", type=int, default=0, help="keyframe interval in frames (default: fps)")
    ap.add_argument("--bframes", type=int, default=0, help="H.264 B-frames between references (0: none)")
    ap.add_argument("--no-overlay", action="store_true", help="no time overlay (less server CPU)")
    ap.add_argument("--audio", choices=["none", "aac", "pcma", "pcmu"], default="none")
    ap.add_argument("--user")
    ap.add_argument("--password")
    ap.add_argument("--path", default="/cam")
    ap.add_argument("--file", help="MP4 (H.264) to serve instead of the test pattern")
    a = ap.parse_args()

    Gst.init(None)
    w, h = a.size.split("x")
    gop = a.gop or a.fps
    server = GstRtspServer.RTSPServer()
    server.set_address("127.0.0.1")
    server.set_service(str(a.port))

    factory = GstRtspServer.RTSPMediaFactory()
    rate = f" bitrate={a.bitrate}" if a.bitrate > 0 else ""
    if a.codec == "mjpeg":
        enc = "videoconvert ! video/x-raw,format=I420 ! jpegenc quality=80 ! rtpjpegpay"  # RTP/JPEG: 4:2:0
    elif a.codec == "h265":
        enc = f"x265enc tune=zerolatency speed-preset=ultrafast key-int-max={gop} ! h265parse config-interval=-1 ! rtph265pay"
    elif a.bframes > 0:
        # zerolatency turns B-frames off: keep its other parts (no lookahead, no sync-lookahead) by hand
        enc = (f"x264enc speed-preset=ultrafast key-int-max={gop} bframes={a.bframes} b-adapt=false rc-lookahead=0 "
               f"sync-lookahead=0 ! video/x-h264,profile=main ! h264parse config-interval=-1 ! rtph264pay")
    else:
        enc = f"x264enc tune=zerolatency speed-preset=ultrafast key-int-max={gop} bframes=0{rate} ! h264parse config-interval=-1 ! rtph264pay"
    overlay = "" if a.no_overlay else "timeoverlay ! "
    pay = "pt=26" if a.codec == "mjpeg" else "pt=96 config-interval=-1"  # JPEG has its static payload type
    tone = "audiotestsrc is-live=true wave=sine freq=440 ! audioconvert ! audioresample ! "
    audio = {
        "none": "",
        "aac": f" {tone}audio/x-raw,rate=16000,channels=1 ! avenc_aac ! rtpmp4gpay name=pay1 pt=97",
        "pcma": f" {tone}audio/x-raw,rate=8000,channels=1 ! alawenc ! rtppcmapay name=pay1 pt=8",
        "pcmu": f" {tone}audio/x-raw,rate=8000,channels=1 ! mulawenc ! rtppcmupay name=pay1 pt=0",
    }[a.audio]
    factory.set_launch(
        f"( videotestsrc is-live=true pattern={a.pattern} ! video/x-raw,width={w},height={h},framerate={a.fps}/1 ! "
        f"{overlay}{enc} name=pay0 {pay}{audio} )")
    factory.set_shared(True)
    if a.file:
        factory.set_launch(f"( filesrc location={a.file} ! qtdemux ! h264parse config-interval=-1 ! rtph264pay name=pay0 pt=96 config-interval=-1 )")
        factory.set_shared(False)

    if a.user:
        auth = GstRtspServer.RTSPAuth()
        token = GstRtspServer.RTSPToken()
        token.set_string("media.factory.role", "user")
        auth.add_basic(GstRtspServer.RTSPAuth.make_basic(a.user, a.password or ""), token)
        server.set_auth(auth)
        perms = GstRtspServer.RTSPPermissions()
        perms.add_permission_for_role("user", "media.factory.access", True)
        perms.add_permission_for_role("user", "media.factory.construct", True)
        factory.set_permissions(perms)

    server.get_mount_points().add_factory(a.path, factory)
    if server.attach(None) == 0:
        print("ERROR cannot listen", flush=True)
        sys.exit(1)
    print(f"READY {server.get_bound_port()}", flush=True)

    loop = GLib.MainLoop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, sig, loop.quit)
    loop.run()


if __name__ == "__main__":
    main()
