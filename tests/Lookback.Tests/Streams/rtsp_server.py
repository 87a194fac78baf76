#!/usr/bin/python3
"""Test RTSP camera for Lookback: GStreamer's RTSP server on 127.0.0.1.

  rtsp_server.py [--port N] [--codec h264|h265] [--size 320x240] [--fps 15] [--gop 15]
                 [--clip FILE.mp4] [--user U --password P] [--path /cam]

Without --clip it encodes a live test pattern (moving ball) with x264enc/x265enc; with --clip it serves an
H.264/H.265 MP4 (demuxed, not re-encoded) in a loop. Prints "READY <port>" on stdout once it listens.
"""
import argparse
import signal
import sys

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtspServer  # noqa: E402


class LoopingClipFactory(GstRtspServer.RTSPMediaFactory):
    """Serves an MP4 in a loop: segment seeks at EOS keep timestamps running."""

    def __init__(self, clip, codec):
        super().__init__()
        self.clip = clip
        self.codec = codec

    def do_create_element(self, url):
        parse = "h265parse" if self.codec == "h265" else "h264parse"
        pay = "rtph265pay" if self.codec == "h265" else "rtph264pay"
        # multifilesrc loop=true re-reads the file; qtdemux + parse + pay with timestamps kept monotonic
        launch = (f"( multifilesrc location={self.clip} loop=true ! qtdemux ! {parse} config-interval=-1 ! "
                  f"{pay} name=pay0 pt=96 config-interval=-1 )")
        return Gst.parse_launch(launch)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--codec", choices=["h264", "h265"], default="h264")
    ap.add_argument("--size", default="320x240")
    ap.add_argument("--fps", type=int, default=15)
    ap.add_argument("--gop", type=int, default=0, help="keyframe interval in frames (default: fps)")
    ap.add_argument("--clip")
    ap.add_argument("--user")
    ap.add_argument("--password")
    ap.add_argument("--path", default="/cam")
    a = ap.parse_args()

    Gst.init(None)
    w, h = a.size.split("x")
    gop = a.gop or a.fps
    server = GstRtspServer.RTSPServer()
    server.set_address("127.0.0.1")
    server.set_service(str(a.port))

    if a.clip:
        factory = LoopingClipFactory(a.clip, a.codec)
    else:
        factory = GstRtspServer.RTSPMediaFactory()
        if a.codec == "h265":
            enc = f"x265enc tune=zerolatency speed-preset=ultrafast key-int-max={gop} ! h265parse config-interval=-1 ! rtph265pay"
        else:
            enc = f"x264enc tune=zerolatency speed-preset=ultrafast key-int-max={gop} ! h264parse config-interval=-1 ! rtph264pay"
        factory.set_launch(
            f"( videotestsrc is-live=true pattern=ball ! video/x-raw,width={w},height={h},framerate={a.fps}/1 ! "
            f"timeoverlay ! {enc} name=pay0 pt=96 config-interval=-1 )")
    factory.set_shared(True)

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
