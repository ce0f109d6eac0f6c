#!/usr/bin/env bash
# End-to-end tier (`npm test` runs it last): the packaged .vsix in a real VS Code (code-server), driven by Chromium
# through playwright-core as a person would. Screenshots, logs and the exported trace go to test-output/e2e/.
#   ATTNPROF_E2E_VSIX=path  use this .vsix instead of running `npm run package`
#   ATTNPROF_E2E_HEADED=1   show the browser (needs a display)
#   ATTNPROF_E2E_KEEP=1     keep the temporary workspace/profile (its path is printed)
set -euo pipefail
REPO="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$REPO"
. test/e2e/lib.sh
OUT="$REPO/test-output/e2e"
t0=$(date +%s)
step() { echo "e2e [$(( $(date +%s) - t0 ))s] $*" >&2; }

step "setup (apt packages, code-server, Chromium driver)"
bash test/e2e/setup.sh

WORK=$(mktemp -d /tmp/attnprof-e2e.XXXXXX)
CS_HOME="$WORK/cs"
WS="$WORK/workspace"
EXT_DIR="$WORK/extensions"
UDD="$WORK/user-data"
LOG="$WORK/code-server.log"
rm -rf "$OUT"; mkdir -p "$OUT"
CS_PID=

collect_logs() {
  # The code-server log and the extension host's logs (the extension's own output channels included).
  [ -f "$LOG" ] && tail -n 200 "$LOG" > "$OUT/code-server.log.txt" || true
  if [ -d "$UDD/logs" ]; then
    mkdir -p "$OUT/logs"
    find "$UDD/logs" -type f \( -name '*.log' \) -size -2M | while read -r f; do
      rel=${f#"$UDD/logs/"}; rel=${rel#*/}   # drop the session folder
      mkdir -p "$OUT/logs/$(dirname "$rel")"
      tail -n 400 "$f" > "$OUT/logs/$rel"
    done
  fi
}
cleanup() {
  local rc=$?
  if [ -n "$CS_PID" ] && kill -0 "$CS_PID" 2>/dev/null; then
    kill -TERM -- "-$CS_PID" 2>/dev/null || kill -TERM "$CS_PID" 2>/dev/null || true
    for _ in $(seq 1 20); do kill -0 "$CS_PID" 2>/dev/null || break; sleep 0.25; done
    kill -KILL -- "-$CS_PID" 2>/dev/null || true
  fi
  collect_logs
  if [ "${ATTNPROF_E2E_KEEP:-0}" = 1 ]; then echo "e2e: kept $WORK" >&2; else rm -rf "$WORK"; fi
  if [ $rc -ne 0 ]; then
    echo "e2e: FAILED after $(( $(date +%s) - t0 ))s — screenshots and logs in test-output/e2e/ (code-server.log.txt, logs/)" >&2
    [ -f "$OUT/code-server.log.txt" ] && { echo "---- code-server log (tail)" >&2; tail -n 25 "$OUT/code-server.log.txt" >&2; }
  fi
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [ -n "${ATTNPROF_E2E_VSIX:-}" ]; then
  VSIX="$(cd "$(dirname "$ATTNPROF_E2E_VSIX")" && pwd)/$(basename "$ATTNPROF_E2E_VSIX")"
  step "using $VSIX"
else
  [ -d node_modules/webgpu ] || npm ci --no-audit --no-fund
  step "npm run package"
  rm -f attnprof.vsix
  npm run --silent package >&2 || { echo "e2e: FAIL: \`npm run package\` failed (above): no .vsix to test" >&2; exit 1; }
  VSIX="$REPO/attnprof.vsix"
fi
[ -f "$VSIX" ] || { echo "e2e: FAIL: no .vsix at $VSIX" >&2; exit 1; }

step "workspace: a copy of examples/ in $WS"
cp -r examples "$WS"
# Small shapes so the profile on the software adapter (lavapipe, 2 CPU cores on CI) ends in a minute or two.
write_profile "$UDD" '{"attnprof.seqLen": 128, "attnprof.batch": 1, "attnprof.iterations": 3, "attnprof.warmup": 1}'

step "install $(basename "$VSIX") into a fresh extensions dir"
install_vsix "$VSIX" "$EXT_DIR" > "$WORK/install.log" 2>&1 || { cat "$WORK/install.log" >&2; echo "e2e: FAIL: could not install the .vsix" >&2; exit 1; }
ls "$EXT_DIR" | grep -q '^attnprof\.attnprof-' || { cat "$WORK/install.log" >&2; echo "e2e: FAIL: the .vsix did not install into $EXT_DIR" >&2; exit 1; }

PORT=$(free_port)
step "code-server on 127.0.0.1:$PORT"
export XDG_RUNTIME_DIR=${XDG_RUNTIME_DIR:-/tmp}
# setsid: its own process group, so the cleanup stops code-server and its children through this one PID.
export REPO CS_HOME
# The adapter's roofline ceilings are cached per machine (~/.cache/attnprof): measure them afresh, as on a new machine.
export ATTNPROF_CACHE_DIR="$WORK/cache"
setsid bash -c '. "$REPO/test/e2e/lib.sh"; serve "$@"' serve "$WS" "$PORT" "$UDD" "$EXT_DIR" > "$LOG" 2>&1 &
CS_PID=$!
wait_http "http://127.0.0.1:$PORT/healthz" 180 "$CS_PID" || { echo "e2e: FAIL: code-server did not start (log: test-output/e2e/code-server.log.txt)" >&2; exit 1; }

step "scenario (Chromium + playwright-core)"
E2E_URL="http://127.0.0.1:$PORT/?folder=$WS" E2E_WORKSPACE="$WS" E2E_OUT="$OUT" E2E_USER_DATA="$UDD" \
  timeout --kill-after=20 "${ATTNPROF_E2E_TIMEOUT_S:-2400}" "$NODE24_DIR/bin/node" test/e2e/scenario.mjs 2>&1 | tee "$OUT/scenario.log"
[ "${PIPESTATUS[0]}" = 0 ] || exit 1
step "passed"
