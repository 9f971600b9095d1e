#!/usr/bin/env bash
# Screenshots of every page of the admin console, from the running demo, for docs/console/.
#
# Runs `leadmem demo` with everything kept up after its report (`--linger`), waits for the
# console's URL and the run's logins (written by the demo to a file of its own, mode 0600),
# photographs each page with `leadmem console-shots` (Playwright driving Debian's headless
# chromium, 1280x800), then stops the demo (SIGTERM: its workers, console and the dev broker
# it started stop as after a normal run). Writes docs/console/*.png (OUT= to change).
# Installs what it needs like the demo: scripts/setup.sh, scripts/services.sh (chromium too).
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-docs/console}
LINGER=${LINGER:-600}  # an upper bound: the demo is stopped as soon as the shots are taken

bash scripts/setup.sh
bash scripts/services.sh

work=$(mktemp -d)
demo_pid=""
cleanup() {
  if [ -n "$demo_pid" ] && kill -0 "$demo_pid" 2>/dev/null; then
    kill -TERM "$demo_pid" 2>/dev/null || true
    for _ in $(seq 300); do kill -0 "$demo_pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$demo_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

.venv/bin/leadmem demo --linger "$LINGER" --console-login "$work/console.json" \
  >"$work/demo.log" 2>&1 &
demo_pid=$!
echo "leadmem demo (pid $demo_pid): waiting for its report and the console's logins"
until [ -s "$work/console.json" ]; do
  if ! kill -0 "$demo_pid" 2>/dev/null; then
    cat "$work/demo.log" >&2
    echo "console-shots.sh: the demo ended before its console was ready" >&2
    demo_pid=""
    exit 1
  fi
  sleep 1
done
grep -E '^5\. |admin console:' "$work/demo.log" || true

.venv/bin/leadmem console-shots --login "$work/console.json" --out "$OUT"

kill -TERM "$demo_pid"
status=0
wait "$demo_pid" || status=$?
demo_pid=""
if [ "$status" != 0 ]; then
  cat "$work/demo.log" >&2
  echo "console-shots.sh: the demo exited with $status" >&2
  exit "$status"
fi
echo "done: the demo stopped; screenshots in $OUT"
