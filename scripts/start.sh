#!/usr/bin/env bash
# The README's start command: serves the extension in a real VS Code (code-server) with examples/ open and
# examples/qwen2-7b/config.json in the editor, at http://127.0.0.1:PORT (PORT=8080 unless set). Ctrl+C stops it.
#   bash scripts/start.sh            # installs what it needs on the first run (apt, npm, Mesa lavapipe if no GPU)
#   PORT=9000 bash scripts/start.sh
# No password: it listens on 127.0.0.1 only (reach it from elsewhere through an SSH tunnel, never by rebinding).
# State (settings, installed extension, reports) lives in .e2e/start/ (git-ignored) and survives restarts.
set -euo pipefail
REPO="$(cd "$(dirname "$0")/.." && pwd)"
cd "$REPO"
PORT=${PORT:-8080}
export XDG_RUNTIME_DIR=${XDG_RUNTIME_DIR:-/tmp}

echo "start: setting up (the first run installs code-server and Chromium's dependencies: a few minutes)" >&2
bash test/e2e/setup.sh
[ -d node_modules/webgpu ] || npm ci --no-audit --no-fund
bash scripts/setup-lavapipe.sh
VSIX=${ATTNPROF_E2E_VSIX:-}   # a prebuilt .vsix instead of `npm run package` (for debugging the harness)
if [ -z "$VSIX" ]; then
  echo "start: npm run package" >&2
  npm run --silent package >&2
  VSIX="$REPO/attnprof.vsix"
fi
[ -f "$VSIX" ] || { echo "start: no .vsix at $VSIX" >&2; exit 1; }

. test/e2e/lib.sh
STATE="$REPO/.e2e/start"
CS_HOME="$STATE/cs"
UDD="$STATE/user-data"
EXT_DIR="$STATE/extensions"
WS="$REPO/examples"
mkdir -p "$STATE"
# Settings are written once: what the user changes in the editor afterwards is kept.
[ -f "$UDD/User/settings.json" ] || write_profile "$UDD" '{}'
install_vsix "$VSIX" "$EXT_DIR" >/dev/null

if (echo > "/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then
  echo "start: port $PORT on 127.0.0.1 is in use: run with PORT=<another port>" >&2; exit 1
fi
# The workbench URL opens the folder and, through VS Code's `payload` query parameter, the sample config.
FILE_URI="vscode-remote://127.0.0.1:$PORT$WS/qwen2-7b/config.json"
PAYLOAD=$(node -e 'console.log(encodeURIComponent(JSON.stringify([["openFile", process.argv[1]]])))' "$FILE_URI")
URL="http://127.0.0.1:$PORT/?folder=$WS&payload=$PAYLOAD"
(
  for _ in $(seq 1 120); do
    if curl -sf -o /dev/null --max-time 2 "http://127.0.0.1:$PORT/healthz" 2>/dev/null; then
      printf '\n  Attention Profiler in VS Code: %s\n  (examples/ with qwen2-7b/config.json open; Ctrl+C stops it)\n\n' "$URL" >&2
      exit 0
    fi
    sleep 0.5
  done
) &
serve "$WS" "$PORT" "$UDD" "$EXT_DIR"
