#!/usr/bin/env bash
# Makes a Vulkan adapter available to Dawn on a machine without a GPU: Mesa lavapipe (software Vulkan).
# Dawn refuses Debian bookworm's Mesa 22.x, so Mesa >= 25 comes from bookworm-backports.
# Does nothing when a Vulkan ICD is already installed (a real GPU driver, or an earlier run of this script).
set -euo pipefail
has_icd() {
  local f found=
  for f in /usr/share/vulkan/icd.d/*.json /etc/vulkan/icd.d/*.json /usr/local/nvidia/share/vulkan/icd.d/*.json; do
    [ -e "$f" ] && found=1
  done
  [ -n "$found" ] && ldconfig -p 2>/dev/null | grep 'libvulkan.so.1' >/dev/null
}
mesa_ok() { local v; v=$(dpkg-query -W -f='${Version}' mesa-vulkan-drivers 2>/dev/null || true); [ -n "$v" ] && dpkg --compare-versions "$v" ge 25; }
if has_icd && { mesa_ok || ! ls /usr/share/vulkan/icd.d/lvp_icd*.json >/dev/null 2>&1; }; then
  echo "setup-lavapipe: a Vulkan driver is already installed" >&2; exit 0
fi
if [ "$(id -u)" != 0 ]; then SUDO=sudo; else SUDO=; fi
. /etc/os-release
if [ "${VERSION_CODENAME:-}" = bookworm ] && ! mesa_ok; then
  printf 'Types: deb\nURIs: http://deb.debian.org/debian\nSuites: bookworm-backports\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
    | $SUDO tee /etc/apt/sources.list.d/backports.sources >/dev/null
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq libvulkan1 >/dev/null
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq -t bookworm-backports mesa-vulkan-drivers >/dev/null
else
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq libvulkan1 mesa-vulkan-drivers >/dev/null
fi
echo "setup-lavapipe: installed mesa-vulkan-drivers $(dpkg-query -W -f='${Version}' mesa-vulkan-drivers)" >&2
