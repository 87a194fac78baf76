# syntax=docker/dockerfile:1
# Lookback add-on image: .NET publish on the build machine, runtime on the Home Assistant Debian base (s6-overlay).
#
# Build args:
#   BUILD_ARCH     aarch64 | amd64 (set by the Supervisor / HA builder)
#   BUILD_FROM     base image (set by the Supervisor from build.yaml; since Supervisor 2026.04 only when build.yaml
#                  exists) - defaults to the HA Debian base of BUILD_ARCH
#   BUILD_VERSION  add-on version, for the labels
#   TARGETARCH     amd64 | arm64 (BuildKit) - picks the .NET runtime identifier; BUILD_ARCH when absent
# A named build context "build" (`--build-context build=DIR`, DIR/out/ a `dotnet publish` for the target's RID) takes
# the place of the build stage without an SDK image: scripts/dev.sh image-test does so; the Supervisor does not.
ARG BUILD_ARCH=amd64
ARG BUILD_FROM=ghcr.io/home-assistant/${BUILD_ARCH}-base-debian:trixie

# ---------------------------------------------------------------------------------------------------------------
# Build: runs on the build machine's own platform and cross-publishes for the target (no emulation needed).
FROM --platform=$BUILDPLATFORM mcr.microsoft.com/dotnet/sdk:10.0 AS build
ARG TARGETARCH
ARG BUILD_ARCH
WORKDIR /src
ENV DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
COPY Directory.Build.props ./
COPY src/Lookback/Lookback.csproj src/Lookback/
RUN set -eu; \
    case "${TARGETARCH:-$BUILD_ARCH}" in \
      amd64|x86_64) rid=linux-x64 ;; \
      arm64|aarch64) rid=linux-arm64 ;; \
      *) echo "unsupported architecture: ${TARGETARCH:-$BUILD_ARCH}" >&2; exit 1 ;; \
    esac; \
    echo "$rid" > /tmp/rid; \
    dotnet restore src/Lookback/Lookback.csproj -r "$rid"
COPY src/Lookback/ src/Lookback/
# Self-contained: the HA base image has no .NET runtime; bundling it avoids a second package source and pins the
# runtime to the SDK that built the app. Not trimmed (reflection in YAML/MQTT libraries), not single-file (native libs).
RUN set -eu; rid="$(cat /tmp/rid)"; \
    dotnet publish src/Lookback/Lookback.csproj -c Release -r "$rid" --self-contained true --no-restore \
      -p:DebugType=none -p:GenerateDocumentationFile=false -o /out; \
    test -x /out/lookback

# ---------------------------------------------------------------------------------------------------------------
# Runtime
FROM ${BUILD_FROM}
ARG BUILD_ARCH
ARG BUILD_VERSION=0.5.4

# ffmpeg renders GIF/MP4; libturbojpeg0 is the JPEG codec (P/Invoke); fontconfig + DejaVu for SkiaSharp text;
# openssl pulls the libssl .NET loads for TLS (libssl3 on bookworm, libssl3t64 on trixie); curl for HEALTHCHECK.
# No libicu: the app is built with InvariantGlobalization.
RUN set -eu; \
    apt-get update; \
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      ffmpeg libturbojpeg0 libfontconfig1 fonts-dejavu-core ca-certificates openssl curl \
      libstdc++6 libgcc-s1 zlib1g; \
    apt-get clean; \
    rm -rf /var/lib/apt/lists/*

# A 16 MB gen0 budget: the default (sized from the CPU cache) let the GC keep ~90 MB committed and growing in the
# soak benchmark (tests/Lookback.Bench soak); with it RSS levelled off at 165–190 MB for 4 cameras plus junk MQTT traffic.
ENV DOTNET_GCgen0size=0x1000000

COPY --from=build /out/ /opt/lookback/
COPY addon/rootfs/ /
RUN set -eu; \
    ln -sf /opt/lookback/lookback /usr/bin/lookback; \
    chmod a+x /etc/services.d/lookback/run /etc/services.d/lookback/finish

# Ingress (8099) and the API for Home Assistant Core (8098). /healthz is served on both; loopback passes IngressGuard.
EXPOSE 8099 8098
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD curl -fsS http://127.0.0.1:8099/healthz || exit 1

# The base image's ENTRYPOINT is s6-overlay's /init (PID 1; config.yaml init: false); it starts the
# "lookback" service from addon/rootfs/etc/services.d/lookback/ (run: `lookback run`; finish: stop the add-on when
# Lookback exits with an error, e.g. 2 for an invalid configuration, so the log shows why).
LABEL \
    io.hass.name="Lookback" \
    io.hass.description="IP cameras as MQTT devices: rolling buffer, GIF/MP4/snapshot renders, motion" \
    io.hass.type="app" \
    io.hass.arch="${BUILD_ARCH}" \
    io.hass.version="${BUILD_VERSION}" \
    io.hass.url="https://github.com/lookback-cam/lookback" \
    org.opencontainers.image.title="Lookback" \
    org.opencontainers.image.description="IP cameras as MQTT devices for Home Assistant" \
    org.opencontainers.image.version="${BUILD_VERSION}" \
    org.opencontainers.image.source="https://github.com/lookback-cam/lookback"
