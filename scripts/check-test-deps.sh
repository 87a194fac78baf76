#!/usr/bin/env bash
# Fails early, naming the Debian package, when a program, GStreamer element or Python module the tests use is
# missing. `bash scripts/dev.sh test` runs it after installing its packages and before the build, so a machine
# that happens to have a package from earlier work cannot hide a hole in the package lists of dev.sh.
#   bash scripts/check-test-deps.sh        exit 0 when everything is there, else 1 and one line per missing piece
set -uo pipefail

missing=()
need() { missing+=("$1 (Debian package: $2)"); }

# Programs the tests (and Lookback itself) start.
bins=(
  "ffmpeg:ffmpeg" "ffprobe:ffmpeg" "/usr/sbin/mosquitto:mosquitto" "/usr/bin/chromium:chromium"
  "/usr/bin/python3:python3" "gst-inspect-1.0:gstreamer1.0-tools" "setpriv:util-linux" "bash:bash" "kill:procps" "ip:iproute2"
)
for entry in "${bins[@]}"; do
  bin=${entry%%:*}; pkg=${entry#*:}
  command -v "$bin" >/dev/null 2>&1 || need "program $bin" "$pkg"
done

# GStreamer elements of the test RTSP camera (tests/Lookback.Tests/Streams/rtsp_server.py).
elements=(
  "videotestsrc:gstreamer1.0-plugins-base" "timeoverlay:gstreamer1.0-x" "capsfilter:libgstreamer1.0-0"
  "videoconvert:gstreamer1.0-plugins-base" "jpegenc:gstreamer1.0-plugins-good" "rtpjpegpay:gstreamer1.0-plugins-good"
  "x264enc:gstreamer1.0-plugins-ugly" "x265enc:gstreamer1.0-plugins-bad" "h264parse:gstreamer1.0-plugins-bad"
  "h265parse:gstreamer1.0-plugins-bad" "rtph264pay:gstreamer1.0-plugins-good" "rtph265pay:gstreamer1.0-plugins-good"
  "audiotestsrc:gstreamer1.0-plugins-base" "audioconvert:gstreamer1.0-plugins-base" "audioresample:gstreamer1.0-plugins-base"
  "avenc_aac:gstreamer1.0-libav" "rtpmp4gpay:gstreamer1.0-plugins-good" "alawenc:gstreamer1.0-plugins-good"
  "rtppcmapay:gstreamer1.0-plugins-good" "mulawenc:gstreamer1.0-plugins-good" "rtppcmupay:gstreamer1.0-plugins-good"
  "filesrc:libgstreamer1.0-0" "qtdemux:gstreamer1.0-plugins-good"
)
if command -v gst-inspect-1.0 >/dev/null 2>&1; then
  for entry in "${elements[@]}"; do
    el=${entry%%:*}; pkg=${entry#*:}
    gst-inspect-1.0 --exists "$el" 2>/dev/null || need "GStreamer element $el" "$pkg"
  done
fi

# Python modules: the RTSP camera runs /usr/bin/python3; the add-on manifest checks run python3 from PATH.
pymods() { # interpreter, then module:package pairs
  local py=$1; shift
  command -v "$py" >/dev/null 2>&1 || return 0
  for entry in "$@"; do
    mod=${entry%:*}; pkg=${entry##*:}
    "$py" - "$mod" >/dev/null 2>&1 <<'PY' || need "Python module $mod for $py" "$pkg"
import sys, importlib
name = sys.argv[1]
if name.startswith("gi:"):
    import gi
    gi.require_version(name[3:], "1.0")
    importlib.import_module("gi.repository." + name[3:])
else:
    importlib.import_module(name)
PY
  done
}
pymods /usr/bin/python3 "gi:Gst:python3-gi" "gi:GstRtspServer:gir1.2-gst-rtsp-server-1.0"
pymods python3 "yaml:python3-yaml" "jsonschema:python3-jsonschema"

if ((${#missing[@]})); then
  echo "the tests need what is missing here:" >&2
  printf '  %s\n' "${missing[@]}" >&2
  echo "install it (apt-get install -y <package>) and add the package to scripts/dev.sh (runtime_pkgs or test_pkgs)" >&2
  exit 1
fi
