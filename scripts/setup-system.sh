#!/usr/bin/env bash
# Installs the system pieces webrnn's tests need on a fresh Debian 12 machine:
#   - Mesa lavapipe >= 25 (from bookworm-backports; Dawn rejects the lavapipe of plain bookworm)
#   - Chromium (its SwiftShader Vulkan ICD, and the browser for the headless tests)
# Idempotent: does nothing when both are present. Needs root for apt-get; otherwise says what to run.
set -euo pipefail

LVP_ICD=/usr/share/vulkan/icd.d/lvp_icd.json
SWS_ICD=/usr/lib/chromium/vk_swiftshader_icd.json
CHROMIUM=/usr/bin/chromium

lavapipe_ok() {
  [ -f "$LVP_ICD" ] || return 1
  # Dawn needs Mesa >= 23.x features; bookworm's own 22.3 is rejected. Check the package version.
  local v
  v=$(dpkg-query -W -f='${Version}' mesa-vulkan-drivers 2>/dev/null || true)
  [ -n "$v" ] && dpkg --compare-versions "$v" ge 24
}
chromium_ok() { [ -x "$CHROMIUM" ] && [ -f "$SWS_ICD" ]; }

if lavapipe_ok && chromium_ok; then
  exit 0
fi

missing=()
lavapipe_ok || missing+=("Mesa lavapipe >= 24 (mesa-vulkan-drivers from bookworm-backports)")
chromium_ok || missing+=("Chromium (package chromium)")

if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
  echo "webrnn setup: missing: ${missing[*]}" >&2
  echo "webrnn setup: run as root on Debian 12, or install them yourself:" >&2
  echo "  add the bookworm-backports suite to apt, then" >&2
  echo "  apt-get install -t bookworm-backports mesa-vulkan-drivers && apt-get install chromium" >&2
  exit 1
fi

echo "webrnn setup: installing ${missing[*]} (apt-get)" >&2
export DEBIAN_FRONTEND=noninteractive

# Add bookworm-backports from the same mirror the machine already uses for bookworm.
if ! grep -rqs 'bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/; then
  mirror=""
  if [ -f /etc/apt/sources.list.d/debian.sources ]; then
    mirror=$(awk '/^URIs:/{u=$2} /^Suites:/ && / bookworm( |$)|^Suites: bookworm$/{print u; exit}' /etc/apt/sources.list.d/debian.sources)
  fi
  if [ -z "$mirror" ] && [ -f /etc/apt/sources.list ]; then
    mirror=$(awk '$1=="deb" && $3=="bookworm"{print $2; exit}' /etc/apt/sources.list)
  fi
  if [ -z "$mirror" ]; then
    echo "webrnn setup: cannot find the Debian mirror in /etc/apt; add bookworm-backports by hand" >&2
    exit 1
  fi
  cat > /etc/apt/sources.list.d/webrnn-backports.sources <<SRC
Types: deb
URIs: $mirror
Suites: bookworm-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
fi

apt-get update -qq
if ! lavapipe_ok; then
  apt-get install -y -qq -t bookworm-backports mesa-vulkan-drivers libvulkan1 >/dev/null
fi
if ! chromium_ok; then
  apt-get install -y -qq chromium >/dev/null
fi

lavapipe_ok || { echo "webrnn setup: lavapipe still missing after apt-get" >&2; exit 1; }
chromium_ok || { echo "webrnn setup: chromium still missing after apt-get" >&2; exit 1; }
echo "webrnn setup: done" >&2
