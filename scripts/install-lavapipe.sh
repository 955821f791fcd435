#!/usr/bin/env bash
# Installs Mesa's software Vulkan driver (lavapipe), with which onnxruntime's WebGPU execution
# provider runs on the CPU: the tests of device-resident training use it. Debian 12's own Mesa
# (22.3) lacks a feature Dawn needs, so on bookworm the driver comes from bookworm-backports
# (Mesa 25). Does nothing when a new enough driver is installed. Run as root.
set -euo pipefail
version="$(dpkg-query -W -f='${Version}' mesa-vulkan-drivers 2>/dev/null || echo 0)"
if ls /usr/share/vulkan/icd.d/lvp_icd*.json >/dev/null 2>&1 && dpkg --compare-versions "$version" ge 24; then
  exit 0
fi
target=()
. /etc/os-release
if [ "${VERSION_CODENAME:-}" = bookworm ]; then
  echo "deb http://deb.debian.org/debian bookworm-backports main" >/etc/apt/sources.list.d/bookworm-backports.list
  target=(-t bookworm-backports)
fi
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${target[@]}" mesa-vulkan-drivers
