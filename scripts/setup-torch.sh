#!/usr/bin/env bash
# Makes a real PyTorch available to the bridge tests: Debian's python3-torch (1.13, CPU) into /usr/bin/python3.
# Does nothing when a Python on this machine already imports torch (python3 on PATH, or Debian's).
set -euo pipefail
for py in python3 /usr/bin/python3; do
  if command -v "$py" >/dev/null 2>&1 && "$py" -c 'import torch' >/dev/null 2>&1; then
    echo "setup-torch: $(command -v "$py") has PyTorch $("$py" -c 'import torch; print(torch.__version__)')" >&2
    exit 0
  fi
done
if [ "$(id -u)" != 0 ]; then SUDO=sudo; else SUDO=; fi
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq python3-torch >/dev/null
echo "setup-torch: installed python3-torch $(dpkg-query -W -f='${Version}' python3-torch)" >&2
