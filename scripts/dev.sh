#!/usr/bin/env bash
# Lookback developer entry point: installs what is missing, then builds and runs.
#   bash scripts/dev.sh demo [--port N]   run Lookback with built-in demo cameras and an embedded MQTT broker
#   bash scripts/dev.sh test              run the whole test suite (what CI runs)
#   bash scripts/dev.sh bench [NAME...]   run benchmarks (Release)
#   bash scripts/dev.sh options           rewrite config.yaml's options/schema, translations/en.yaml and DOCS.md's option tables from Config/Options.cs
#   bash scripts/dev.sh image-test [--arch amd64|aarch64]   build the add-on image with podman and run it as the Supervisor would
set -euo pipefail
cd "$(dirname "$0")/.."

runtime_pkgs=(ffmpeg libturbojpeg0 fonts-dejavu-core)
test_pkgs=(mosquitto opencv-doc python3-jsonschema python3-yaml python3-jinja2 python3-gi gir1.2-gst-rtsp-server-1.0 gstreamer1.0-plugins-base gstreamer1.0-plugins-good
           gstreamer1.0-plugins-bad gstreamer1.0-plugins-ugly gstreamer1.0-libav gstreamer1.0-x gstreamer1.0-tools procps chromium nodejs iproute2)
image_pkgs=(podman runc debootstrap debian-archive-keyring mosquitto mosquitto-clients iproute2 python3-yaml ffmpeg curl
            qemu-user-static binfmt-support)

need_install() {
  local missing=()
  for p in "$@"; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p"); done
  if ((${#missing[@]})); then
    echo "installing: ${missing[*]}" >&2
    local sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
  command -v dotnet >/dev/null || { echo "the .NET 10 SDK is required (https://dot.net)" >&2; exit 1; }
}

cmd="${1:-}"; shift || true
case "$cmd" in
  demo)
    need_install "${runtime_pkgs[@]}"
    exec dotnet run --project src/Lookback -c Release -- demo "$@"
    ;;
  test)
    need_install "${runtime_pkgs[@]}" "${test_pkgs[@]}"
    # npm: Debian's package where the machine's Node.js does not bring its own (NodeSource's nodejs includes npm and conflicts with it)
    command -v npm >/dev/null || need_install npm
    bash scripts/check-test-deps.sh # every program, GStreamer element and Python module the tests use, by package
    dotnet build Lookback.sln -c Release -nologo -clp:ErrorsOnly
    log=$(mktemp)
    set +e
    dotnet test Lookback.sln -c Release --no-build -nologo --logger "console;verbosity=normal" \
      --blame-hang-timeout 5m "$@" 2>&1 | tee "$log"
    rc=${PIPESTATUS[0]}
    set -e
    # One plain closing line: "N passed, N failed, N skipped".
    python3 - "$log" <<'PY'
import re, sys
counts = {"Passed": 0, "Failed": 0, "Skipped": 0}
for line in open(sys.argv[1], errors="replace"):
    m = re.search(r"Failed:\s+(\d+), Passed:\s+(\d+), Skipped:\s+(\d+)", line)
    if m:
        counts["Failed"] += int(m[1]); counts["Passed"] += int(m[2]); counts["Skipped"] += int(m[3])
        continue
    m = re.match(r"\s+(Passed|Failed|Skipped):\s+(\d+)\s*$", line)  # the "Total tests:" block of normal verbosity
    if m: counts[m[1]] += int(m[2])
print(f"{counts['Passed']} passed, {counts['Failed']} failed, {counts['Skipped']} skipped")
PY
    exit "$rc"
    ;;
  options)
    # the blocks come from the [Option] declarations; OptionTableFileTests compares them, and writes them when asked
    dotnet build tests/Lookback.Tests -nologo -clp:ErrorsOnly
    LOOKBACK_WRITE_OPTIONS=1 dotnet test tests/Lookback.Tests --no-build -nologo --filter "FullyQualifiedName~OptionTableFileTests.Write_the_files_when_asked"
    git --no-pager diff --stat -- config.yaml translations/en.yaml DOCS.md
    ;;
  bench)
    need_install "${runtime_pkgs[@]}" mosquitto
    exec dotnet run --project tests/Lookback.Bench -c Release -- "$@"
    ;;
  image-test)
    need_install "${image_pkgs[@]}"
    exec bash scripts/image-test.sh "$@"
    ;;
  *)
    sed -n '2,8p' "$0" >&2; exit 2 ;;
esac
