#!/usr/bin/env bash
# `npm test`: everything CI runs. Installs what the tests need (Mesa lavapipe when no Vulkan driver is
# present, Debian's python3-torch when no Python has PyTorch), type-checks, lints, builds, then runs the unit, kernel (real WebGPU adapter) and end-to-end
# (real VS Code) tiers. Set ATTNPROF_SKIP_E2E=1 to leave out the VS Code tier while iterating locally.
set -euo pipefail
cd "$(dirname "$0")/.."
export XDG_RUNTIME_DIR=${XDG_RUNTIME_DIR:-/tmp}
[ -d node_modules/webgpu ] || npm ci --no-audit --no-fund
bash scripts/setup-lavapipe.sh
bash scripts/setup-torch.sh
echo "== typecheck"; npx tsc --noEmit -p .
echo "== lint"; npm run --silent lint
echo "== build"; node scripts/build.mjs --tests
echo "== unit + kernel tests"
log=$(mktemp)
node --test --test-concurrency=1 --test-reporter=spec --test-reporter-destination=stdout \
  $(find dist-test -name '*.test.js' -not -path '*/e2e/*' | sort) | tee "$log"
passed=$(sed -n 's/^ℹ pass \([0-9]*\)$/\1/p' "$log" | tail -1)
failed=$(sed -n 's/^ℹ fail \([0-9]*\)$/\1/p' "$log" | tail -1)
rm -f "$log"
if [ "${ATTNPROF_SKIP_E2E:-0}" != 1 ] && [ -f test/e2e/run.sh ]; then
  echo "== end-to-end (code-server + Chromium)"; bash test/e2e/run.sh
  passed=$((passed + $(grep -c '^PASS' test-output/e2e/summary.txt || true)))
  failed=$((failed + $(grep -c '^FAIL' test-output/e2e/summary.txt || true)))
fi
echo "${passed} passed, ${failed} failed"
