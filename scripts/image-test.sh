#!/usr/bin/env bash
# The add-on image, built from ./Dockerfile with podman and run the way the Home Assistant Supervisor runs it.
#   bash scripts/dev.sh image-test [--arch amd64|aarch64]
# Exit 0 when every check holds. BUILD_FROM is a Debian trixie minbase root file system (debootstrap, cached in
# $LOOKBACK_IMAGE_CACHE, default /var/cache/lookback-image) standing in for HA's base image; the build stage's output
# is a host `dotnet publish` for the same RID (the named build context "build", see Dockerfile). The container runs
# in a network namespace of its own with only loopback, next to a real mosquitto, a stand-in Supervisor and a
# snapshot camera. LOOKBACK_IMAGE_TEST_KEEP=1 keeps the work folder (logs, options, media) in /tmp.
# --arch aarch64 builds and runs the arm64 image under qemu-user emulation (binfmt_misc).
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" -eq 0 ] || exec sudo -E bash "$0" "$@"   # podman as root, ip netns

arch=amd64
while (($#)); do
  case "$1" in
    --arch) arch="${2:-}"; shift 2 ;;
    *) echo "usage: bash scripts/dev.sh image-test [--arch amd64|aarch64]" >&2; exit 2 ;;
  esac
done
case "$arch" in
  amd64) rid=linux-x64; debarch=amd64; slow=1 ;;
  aarch64) rid=linux-arm64; debarch=arm64; slow=5 ;;   # emulated: every wait 5 times longer
  *) echo "image-test: --arch must be amd64 or aarch64" >&2; exit 2 ;;
esac

cache="${LOOKBACK_IMAGE_CACHE:-/var/cache/lookback-image}"
version=$(python3 -c 'import yaml,sys; print(yaml.safe_load(open("config.yaml"))["version"])')
base="localhost/lookback-base:trixie-$debarch"
image="localhost/lookback:$version-$arch"
work=$(mktemp -d /tmp/lookback-image-test.XXXXXX)
ns="lookback-img-$$"
ctr="lookback-img-$$"
pids=()
checks=()

say() { echo "image-test: $*"; }
fail() {
  echo "image-test: FAILED: $*" >&2
  if podman container exists "$ctr" 2>/dev/null; then echo "--- container log (last 40 lines)" >&2; podman logs --tail 40 "$ctr" >&2 || true; fi
  echo "image-test: logs kept in $work" >&2
  keep=1; exit 1
}
ok() { checks+=("$1"); say "ok: $1"; }
keep=0
cleanup() {
  local c
  for c in "$ctr" "$ctr-bad" "$ctr-finish"; do podman rm -f -t 0 "$c" >/dev/null 2>&1 || true; done
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  for p in $(ip netns pids "$ns" 2>/dev/null); do kill "$p" 2>/dev/null || true; done   # anything else started in it
  ip netns del "$ns" 2>/dev/null || true
  [ "$keep" = 1 ] || rm -rf "$work"
}
[ -z "${LOOKBACK_IMAGE_TEST_KEEP:-}" ] || { keep=1; echo "image-test: keeping $work"; }
trap cleanup EXIT

# --- podman as it works on these machines: runc, cgroupfs, no default ulimits (crun fails on cgroups and rlimits)
configure_podman() {
  mkdir -p /etc/containers
  python3 - /etc/containers/containers.conf <<'PY'
import os, re, sys
path = sys.argv[1]
want = {"containers": {"default_ulimits": "[]"}, "engine": {"runtime": '"runc"', "cgroup_manager": '"cgroupfs"'}}
old = open(path).read().splitlines() if os.path.exists(path) else []
out, seen, section, skipping = [], set(), None, False
def add_missing(sec):
    for key, value in want.get(sec, {}).items():
        if (sec, key) not in seen: out.append(f"{key} = {value}"); seen.add((sec, key))
for line in old:
    if skipping:                      # the rest of a multi-line value being replaced
        skipping = "]" not in line; continue
    header = re.match(r"\s*\[([^\]]+)\]\s*(#.*)?$", line)
    if header:
        add_missing(section); section = header[1].strip(); out.append(line); continue
    key = re.match(r"\s*([A-Za-z_]+)\s*=\s*(.*)", line)
    if key and key[1] in want.get(section, {}):
        out.append(f"{key[1]} = {want[section][key[1]]}"); seen.add((section, key[1]))
        skipping = key[2].startswith("[") and "]" not in key[2]; continue
    out.append(line)
add_missing(section)
for sec in want:
    if any((sec, k) not in seen for k in want[sec]):
        out += ["", f"[{sec}]"]; add_missing(sec)
text = "\n".join(out).lstrip("\n") + "\n"
if not os.path.exists(path) or open(path).read() != text:
    open(path, "w").write(text); print(f"image-test: configured {path}")
PY
}

# --- BUILD_FROM: Debian trixie minbase, made once and kept as a tarball (podman's store may be wiped)
base_image() {
  podman image exists "$base" && return
  local tar="$cache/trixie-minbase-$debarch.tar"
  if [ ! -s "$tar" ]; then
    local mirror root="$cache/rootfs-$debarch.tmp"
    # the host's own Debian mirror (debootstrap's default when none is configured)
    mirror=$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
    [ -n "$mirror" ] || mirror=$(awk '$1 == "deb" && $2 !~ /^\[/ {print $2; exit}' /etc/apt/sources.list 2>/dev/null || true)
    mkdir -p "$cache"; rm -rf "$root"
    say "debootstrap --variant=minbase trixie ($debarch)"
    debootstrap --variant=minbase --arch="$debarch" trixie "$root" ${mirror:+"$mirror"} > "$work/debootstrap.log" 2>&1 \
      || { tail -20 "$work/debootstrap.log" >&2; fail "debootstrap"; }
    # as Debian's container images: no package lists or downloaded packages
    rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin "$root"/var/cache/apt/archives/*.deb
    tar -C "$root" -cf "$tar.tmp" . && mv "$tar.tmp" "$tar"
    rm -rf "$root"
  fi
  podman import -q --arch "$debarch" "$tar" "$base" >/dev/null
}

# --- the build stage's output from the host: DIR/out/ in the named build context "build", which buildah (like
# BuildKit) takes in place of the Dockerfile's stage of that name; the SDK image is then never pulled
publish_app() {
  # the same publish as the Dockerfile's build stage
  dotnet publish src/Lookback/Lookback.csproj -c Release -r "$rid" --self-contained true \
    -p:DebugType=none -p:GenerateDocumentationFile=false -o "$work/app/out" -nologo -clp:ErrorsOnly > "$work/publish.log" 2>&1 \
    || { cat "$work/publish.log" >&2; fail "dotnet publish -r $rid"; }
  [ -x "$work/app/out/lookback" ] || fail "dotnet publish made no $work/app/out/lookback"
}

build_image() {
  local old; old=$(podman image inspect --format '{{.Id}}' "$image" 2>/dev/null || true)
  # --network=host: the RUN apt-get reaches the Debian mirror like the host does; --format docker keeps HEALTHCHECK;
  # --pull=never: only local images (the base), nothing from a registry
  podman build --format docker --network=host --pull=never --platform "linux/$debarch" --build-context build="$work/app" \
    --build-arg BUILD_FROM="$base" --build-arg BUILD_ARCH="$arch" --build-arg BUILD_VERSION="$version" \
    -t "$image" . > "$work/build.log" 2>&1 \
    || { tail -30 "$work/build.log" >&2; fail "podman build (log: $work/build.log)"; }
  local new; new=$(podman image inspect --format '{{.Id}}' "$image")
  if [ -n "$old" ] && [ "$old" != "$new" ]; then podman rmi "$old" >/dev/null 2>&1 || true; fi
}

# aarch64 on an x86 host: RUN steps and the container run under qemu-user through binfmt_misc
emulation() {
  [ -e /proc/sys/fs/binfmt_misc/register ] || mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc \
    || fail "cannot mount binfmt_misc: aarch64 needs qemu-user emulation"
  [ -e /proc/sys/fs/binfmt_misc/qemu-aarch64 ] || update-binfmts --enable qemu-aarch64 \
    || fail "cannot register qemu-aarch64 with binfmt_misc (qemu-user-static, binfmt-support)"
}

inns() { ip netns exec "$ns" "$@"; }
# waits until 127.0.0.1:PORT in the namespace accepts, or fails after 20 s
wait_port() {
  local deadline=$((SECONDS + 20))
  until inns bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null; do
    ((SECONDS < deadline)) || fail "nothing listens on 127.0.0.1:$1 in the namespace ($2)"
    sleep 0.2
  done
}

# --- the Supervisor's side: a loopback-only network namespace with mosquitto, /services/mqtt and a camera
start_surroundings() {
  ip netns add "$ns"
  ip -n "$ns" link set lo up
  token=$(od -An -N24 -tx1 /dev/urandom | tr -d ' \n')
  mqtt_pass=$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n')
  chmod 755 "$work" "$work/broker"
  mosquitto_passwd -b -c "$work/broker/passwd" addons "$mqtt_pass"
  chmod 644 "$work/broker/passwd"
  printf 'listener 1883 127.0.0.1\nallow_anonymous false\npassword_file %s\npersistence false\n' "$work/broker/passwd" \
    > "$work/broker/mosquitto.conf"
  # (ip netns exec execs the command: $! is its pid; the inns function would leave it behind a subshell)
  ip netns exec "$ns" mosquitto -c "$work/broker/mosquitto.conf" > "$work/mosquitto.log" 2>&1 & pids+=($!)
  local service
  service=$(printf '{"addon":"core_mosquitto","host":"core-mosquitto","port":1883,"ssl":false,"protocol":"3.1.1","username":"addons","password":"%s"}' "$mqtt_pass")
  ip netns exec "$ns" python3 scripts/image-test/standin.py supervisor 80 "$token" "$service" "$work/supervisor.log" \
    > "$work/supervisor.out" 2>&1 & pids+=($!)
  ffmpeg -v error -f lavfi -i testsrc=size=320x240:rate=4 -frames:v 8 -q:v 5 "$work/frames/f%02d.jpg"
  ip netns exec "$ns" python3 scripts/image-test/standin.py camera 8080 "$work/frames" > "$work/camera.out" 2>&1 & pids+=($!)
  wait_port 1883 mosquitto; wait_port 80 "stand-in Supervisor"; wait_port 8080 camera
}

# /data/options.json as the Supervisor writes it: config.yaml's options, plus one camera
write_options() {
  python3 - config.yaml "$1" "${2:-}" <<'PY'
import json, sys, yaml
options = yaml.safe_load(open(sys.argv[1]))["options"]
options["cameras"] = [{"slug": "door", "url": "http://127.0.0.1:8080/snap.jpg", "kind": "snapshot", "interval": 0.25}]
if sys.argv[3]: options.update(json.loads(sys.argv[3]))
json.dump(options, open(sys.argv[2], "w"), indent=2)
PY
}

sub() { inns mosquitto_sub -h 127.0.0.1 -p 1883 -u addons -P "$mqtt_pass" "$@"; }

# the container as the Supervisor starts it; the s6 run script runs through the bashio stand-in
supervisor_run() {
  local name="$1" data="$2"; shift 2
  podman run --name "$name" --network "ns:/run/netns/$ns" --hostname local-lookback \
    --add-host supervisor:127.0.0.1 --add-host core-mosquitto:127.0.0.1 -e SUPERVISOR_TOKEN="$token" \
    -v "$data:/data" -v "$work/media:/media" -v "$work/config:/config" -v "$work/stub:/tmp/bashio-stub" \
    -e BASHIO_STUB_LOG="/tmp/bashio-stub/$name.log" --entrypoint /tmp/bashio-stub/bashio \
    "$@" "$image" /etc/services.d/lookback/run
}

check_scripts() {
  local run=addon/rootfs/etc/services.d/lookback/run finish=addon/rootfs/etc/services.d/lookback/finish
  bash -n "$run" && bash -n "$finish" || fail "bash -n of the s6 scripts"
  [ "$(head -1 "$run")" = "#!/usr/bin/with-contenv bashio" ] || fail "$run: first line is not '#!/usr/bin/with-contenv bashio'"
  [ "$(head -1 "$finish")" = "#!/usr/bin/env bashio" ] || fail "$finish: first line is not '#!/usr/bin/env bashio'"
  cp scripts/image-test/bashio "$work/stub/bashio"
  ok "s6 scripts: bash -n, shebangs"
}

main() {
  local t0=$SECONDS
  mkdir -p "$work/broker" "$work/frames" "$work/data" "$work/media" "$work/config" "$work/stub"
  configure_podman
  check_scripts
  [ "$arch" = amd64 ] || emulation
  base_image
  say "base $base ready ($((SECONDS - t0)) s)"
  local tb=$SECONDS
  publish_app
  local tp=$((SECONDS - tb)); tb=$SECONDS
  build_image
  build_s=$((SECONDS - tb))
  size=$(podman image inspect --format '{{.Size}}' "$image")
  ok "image $image built from Dockerfile in $build_s s (host publish $tp s), size $((size / 1000000)) MB"
  [ "$(podman image inspect --format '{{index .Labels "io.hass.version"}} {{index .Labels "io.hass.arch"}}' "$image")" = "$version $arch" ] \
    || fail "labels io.hass.version/io.hass.arch are not '$version $arch'"
  ok "labels io.hass.version=$version io.hass.arch=$arch"

  start_surroundings
  write_options "$work/data/options.json"
  local tr=$SECONDS started; started=$(date +%s.%N)
  supervisor_run "$ctr" "$work/data" -d > /dev/null 2> "$work/run.err" || { cat "$work/run.err" >&2; fail "podman run"; }
  local deadline=$((tr + 120 * slow))
  until podman healthcheck run "$ctr" > /dev/null 2>&1; do
    [ "$(podman inspect --format '{{.State.Running}}' "$ctr")" = true ] || fail "the container exited before it was healthy"
    ((SECONDS < deadline)) || fail "HEALTHCHECK did not pass within $((120 * slow)) s"
    sleep 0.5
  done
  healthy_s=$(python3 -c "import time; print(f'{time.time() - $started:.1f}')")
  ok "HEALTHCHECK passes (podman healthcheck run) $healthy_s s after start"

  grep -qx "GET /services/mqtt auth-ok" "$work/supervisor.log" || fail "no /services/mqtt request with the SUPERVISOR_TOKEN"
  grep -qx "bashio::log.info Starting Lookback $version" "$work/stub/$ctr.log" || fail "run script did not log 'Starting Lookback $version'"
  ! grep -q UNSTUBBED "$work/stub/$ctr.log" || fail "run script uses bashio functions the stub lacks: $(grep UNSTUBBED "$work/stub/$ctr.log")"
  ok "run script (via bashio stub) logged 'Starting Lookback $version'; broker taken from /services/mqtt with the token"

  local disc
  disc=$(sub -t homeassistant/device/lookback_door/config -C 1 -W $((30 * slow))) || fail "no discovery at homeassistant/device/lookback_door/config"
  python3 -c 'import json,sys; d=json.loads(sys.argv[1]); assert d["device"]["identifiers"]==["lookback_lookback_door"], d["device"]; assert any(c.get("platform")=="camera" for c in d["components"].values())' "$disc" \
    || fail "discovery payload: $disc"
  ok "discovery on the broker: homeassistant/device/lookback_door/config (camera component, device lookback_lookback_door)"

  deadline=$((SECONDS + 60 * slow))
  until [ "$(sub -t lookback/door/availability -C 1 -W 2 2>/dev/null || true)" = online ]; do
    ((SECONDS < deadline)) || fail "camera door not online within $((60 * slow)) s"
  done
  local result
  result=$(inns mosquitto_rr -h 127.0.0.1 -p 1883 -u addons -P "$mqtt_pass" -t lookback/door/gif/set -e lookback/door/result \
    -m '{"request_id":"image-test","seconds":2}' -W $((90 * slow))) || fail "no result for lookback/door/gif/set within $((90 * slow)) s"
  local media
  media=$(python3 - "$result" "$work/media" <<'PY'
import json, os, sys
r = json.loads(sys.argv[1])
assert r.get("request_id") == "image-test" and r.get("status") == "ok", r
assert r["media"].startswith("/media/local/lookback/"), r["media"]
path = os.path.join(sys.argv[2], r["media"][len("/media/local/"):])
assert os.path.isfile(path), f"{path} does not exist"
head = open(path, "rb").read(6)
assert head in (b"GIF89a", b"GIF87a"), f"{path} is not a GIF: {head!r}"
assert os.path.getsize(path) == r["bytes"], (os.path.getsize(path), r["bytes"])
print(path)
PY
) || fail "gif result: $result"
  ok "gif/set: result ok, GIF of $(stat -c %s "$media") bytes at ${media#"$work"/} (the mounted /media/lookback)"
  local url; url=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["url"])' "$result")
  inns curl -fsS --max-time $((10 * slow)) --resolve local-lookback:8098:127.0.0.1 -o "$work/fetched.gif" "$url" && cmp -s "$work/fetched.gif" "$media" \
    || fail "the result's url $url does not serve the GIF"
  ok "result url $url (API port 8098) serves the same GIF"

  local outside
  podman diff "$ctr" > "$work/diff.txt"
  outside=$(awk '{print $2}' "$work/diff.txt" | grep -vE '^/(data|media|config|tmp)(/|$)' \
    | grep -vxE '/etc/(hosts|hostname|resolv\.conf)|/run/\.containerenv|/etc|/run' || true)
  [ -z "$outside" ] || fail "written outside /data, /media, /config, /tmp: $(echo $outside)"
  ok "podman diff: $(wc -l < "$work/diff.txt") changes, none outside /data, /media, /config, /tmp"

  local ts=$SECONDS
  podman stop -t $((15 * slow)) "$ctr" > /dev/null 2>> "$work/podman.err"
  [ "$(podman inspect --format '{{.State.ExitCode}}' "$ctr")" = 0 ] || fail "exit code after SIGTERM: $(podman inspect --format '{{.State.ExitCode}}' "$ctr")"
  ok "SIGTERM: clean stop (exit 0) in $((SECONDS - ts)) s"

  mkdir -p "$work/bad"
  write_options "$work/bad/options.json" '{"max_bytes": "lots"}'
  local rc=0
  supervisor_run "$ctr-bad" "$work/bad" > "$work/bad.log" 2>&1 || rc=$?
  [ "$rc" = 2 ] || { cat "$work/bad.log" >&2; fail "invalid max_bytes: exit $rc, expected 2"; }
  grep -q max_bytes "$work/bad.log" || { cat "$work/bad.log" >&2; fail "invalid max_bytes: no log line names max_bytes"; }
  ok "invalid option max_bytes: exit 2, log: $(grep -m1 max_bytes "$work/bad.log")"

  # s6 runs finish with the exit code: 2 must stop the add-on (container result 2, halt), 256 (signal) must not
  local fin
  fin=$(podman run 2>> "$work/podman.err" --name "$ctr-finish" --rm --network none -v "$work/stub:/tmp/bashio-stub" --entrypoint /bin/bash "$image" -c '
    mkdir -p /run/s6-linux-init-container-results /run/s6/basedir/bin
    printf "#!/bin/sh\necho halt\n" > /run/s6/basedir/bin/halt; chmod +x /run/s6/basedir/bin/halt
    export BASHIO_STUB_LOG=/tmp/bashio-stub/finish.log
    /tmp/bashio-stub/bashio /etc/services.d/lookback/finish 256 2>/dev/null
    /tmp/bashio-stub/bashio /etc/services.d/lookback/finish 2 2>/dev/null
    echo "exitcode=$(cat /run/s6-linux-init-container-results/exitcode)"')
  [ "$fin" = "$(printf 'halt\nexitcode=2')" ] || fail "finish script: $fin"
  grep -q "bashio::log.info Lookback stopped" "$work/stub/finish.log" && grep -q "bashio::log.warning Lookback exited with code 2" "$work/stub/finish.log" \
    || fail "finish script logs: $(cat "$work/stub/finish.log")"
  ok "finish script: code 2 halts the add-on with result 2, code 256 only logs"

  say "image $image: $((size / 1000000)) MB, build $build_s s, healthy after $healthy_s s, all ${#checks[@]} checks hold ($((SECONDS - t0)) s)"
}

main
