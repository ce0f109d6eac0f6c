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

# The Debian mirror this machine's apt already uses for the release itself (deb822 .sources first, then
# one-line sources.list): project files name no package host.
debian_mirror() {
  local f uri etc=${APT_ETC:-/etc/apt}
  for f in "$etc"/sources.list.d/*.sources; do
    [ -r "$f" ] || continue
    uri=$(awk -v rel="$VERSION_CODENAME" '
      function done_stanza() { if (u != "" && s) { print u; found = 1; exit } u = ""; s = 0 }
      /^[[:space:]]*$/ { done_stanza(); next }
      /^URIs:/ { u = $2 }
      /^Suites:/ { for (i = 2; i <= NF; i++) if ($i == rel) s = 1 }
      END { if (!found && u != "" && s) print u }' "$f")
    [ -n "$uri" ] && { echo "$uri"; return 0; }
  done
  for f in "$etc"/sources.list "$etc"/sources.list.d/*.list; do
    [ -r "$f" ] || continue
    uri=$(awk -v rel="$VERSION_CODENAME" '
      $1 == "deb" { i = 2; if ($2 ~ /^\[/) { while (i <= NF && $i !~ /\]$/) i++; i++ } if ($(i + 1) == rel) { print $i; exit } }' "$f")
    [ -n "$uri" ] && { echo "$uri"; return 0; }
  done
  return 1
}

if [ "${VERSION_CODENAME:-}" = bookworm ] && ! mesa_ok; then
  if ! mirror=$(debian_mirror); then
    echo "setup-lavapipe: no Debian $VERSION_CODENAME mirror found in /etc/apt; add $VERSION_CODENAME-backports to apt and install mesa-vulkan-drivers (>= 25) from it" >&2
    exit 1
  fi
  printf 'Types: deb\nURIs: %s\nSuites: bookworm-backports\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' "$mirror" \
    | $SUDO tee /etc/apt/sources.list.d/backports.sources >/dev/null
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq libvulkan1 >/dev/null
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq -t bookworm-backports mesa-vulkan-drivers >/dev/null
else
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq libvulkan1 mesa-vulkan-drivers >/dev/null
fi
echo "setup-lavapipe: installed mesa-vulkan-drivers $(dpkg-query -W -f='${Version}' mesa-vulkan-drivers)" >&2
