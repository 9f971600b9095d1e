#!/usr/bin/env bash
# Screenshots of the pipeline's metrics from a real run, for docs/operations.md.
#
# Starts a throwaway Prometheus (1 s scrapes, targets from the file the demo writes), runs
# `leadmem demo` with its workers kept up after the report, publishes the bundled sample
# stream into them a few more times (a counter's first increments in a fresh process are
# invisible to rate(), so one burst alone draws nothing), and photographs Prometheus graph
# pages of PromQL taken from infra/grafana/dashboards/ with headless Chromium (Grafana's
# `$__rate_interval` becomes a fixed window). Writes docs/img/metrics-*.png and stops
# everything it started. Needs `prometheus` and `chromium` (apt-get install -y prometheus
# chromium) and local Postgres and Redis (scripts/services.sh starts them).
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${ROUNDS:-4}         # extra copies of the sample stream published into the workers
INTERVAL=${INTERVAL:-12}    # seconds between them
LINGER=${LINGER:-$((ROUNDS * INTERVAL + 30))}  # seconds the demo keeps its workers up
OUT=docs/img

for bin in prometheus chromium curl; do
  command -v "$bin" >/dev/null || { echo "needs $bin: apt-get install -y $bin" >&2; exit 1; }
done
bash scripts/setup.sh
bash scripts/services.sh
mkdir -p "$OUT"

work=$(mktemp -d)
prom_pid="" demo_pid=""
stop() {  # stop PID: TERM it and wait until it is gone
  kill "$1" 2>/dev/null || return 0
  for _ in $(seq 100); do kill -0 "$1" 2>/dev/null || return 0; sleep 0.1; done
  kill -KILL "$1" 2>/dev/null || true
}
cleanup() {
  if [ -n "$demo_pid" ]; then  # the demo and the dev broker it started
    children=$(pgrep -P "$demo_pid" || true)
    stop "$demo_pid"
    for pid in $children; do stop "$pid"; done
  fi
  [ -z "$prom_pid" ] || stop "$prom_pid"
  rm -rf "$work"
}
trap cleanup EXIT

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
urlencode() { python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$1"; }

# The broker: the configured one, or a dev broker the demo starts (and stops) on a free port.
if [ -n "${LEADMEM_KAFKA_BOOTSTRAP:-}" ]; then
  bootstrap=$LEADMEM_KAFKA_BOOTSTRAP
else
  LEADMEM_DEV_BROKER_PORT=$(free_port)
  export LEADMEM_DEV_BROKER_PORT
  bootstrap=127.0.0.1:$LEADMEM_DEV_BROKER_PORT
fi

# Prometheus: every worker is a target (job = worker, as in infra/prometheus/prometheus.yml).
# In the demo all workers share one process, so each /metrics serves the same process-wide
# registry: samples are kept from one endpoint only, so sums are not multiplied by six
# (`up` still shows every worker).
prom_port=$(free_port)
cat >"$work/prometheus.yml" <<EOF
global:
  scrape_interval: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: leadmem
    file_sd_configs:
      - files: ["$work/targets.json"]
        refresh_interval: 1s
    relabel_configs:
      - source_labels: [worker]
        target_label: job
      - regex: worker
        action: labeldrop
      - target_label: pipeline
        replacement: leadmem
    metric_relabel_configs:
      - source_labels: [job]
        regex: metrics
        action: keep
EOF
prometheus --config.file="$work/prometheus.yml" --storage.tsdb.path="$work/data" \
  --web.listen-address="127.0.0.1:$prom_port" --log.level=warn >"$work/prometheus.log" 2>&1 &
prom_pid=$!
prom="http://127.0.0.1:$prom_port"
for _ in $(seq 100); do curl -sf "$prom/-/ready" >/dev/null && break; sleep 0.2; done
curl -sf "$prom/-/ready" >/dev/null || { cat "$work/prometheus.log" >&2; exit 1; }
echo "prometheus (pid $prom_pid) at $prom"

.venv/bin/leadmem demo --linger "$LINGER" --prometheus-targets "$work/targets.json" \
  >"$work/demo.log" 2>&1 &
demo_pid=$!
echo "leadmem demo (pid $demo_pid) on $bootstrap, workers kept up ${LINGER}s after the report"
until grep -q 'keeping the workers running' "$work/demo.log"; do
  if ! kill -0 "$demo_pid" 2>/dev/null; then
    cat "$work/demo.log" >&2; echo "the demo ended early" >&2; demo_pid=""; exit 1
  fi
  sleep 1
done
sed -n '/^3\. what the pipeline did/,/normalised events/p' "$work/demo.log" | sed '$d'

first=$(date +%s)
for round in $(seq "$ROUNDS"); do
  sleep 2
  .venv/bin/python - "$bootstrap" <<'EOF'
import asyncio
import sys

from aiokafka import AIOKafkaProducer

from schemas import topics
from devtools.demo.stream import build_stream


async def publish(bootstrap: str) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, enable_idempotence=True)
    await producer.start()
    try:
        for d in build_stream():
            await producer.send_and_wait(topics.GHL_EVENTS, d.value, key=d.tenant.encode())
    finally:
        await producer.stop()


asyncio.run(publish(sys.argv[1]))
EOF
  echo "  published the sample stream again ($round/$ROUNDS)"
  sleep $((INTERVAL - 2))
done

# Photograph while the workers are still up (the table's instant query needs them).
range="$(( ($(date +%s) - first + 5 + 59) / 60 ))m"
shot() {  # shot NAME TAB HEIGHT EXPR
  local url="$prom/classic/graph?g0.expr=$(urlencode "$4")&g0.tab=$2&g0.range_input=$range"
  url+="&g0.stacked=0"
  timeout 60 chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --hide-scrollbars --user-data-dir="$(mktemp -d -p "$work")" --virtual-time-budget=5000 \
    --window-size="1200,$3" --screenshot="$OUT/$1.png" "$url" >/dev/null 2>&1
  echo "  $OUT/$1.png ($(du -k "$OUT/$1.png" | cut -f1) KB): $4"
}
echo "screenshots (last $range):"
shot metrics-records-per-worker 0 895 \
  'sum by (worker) (rate(leadmem_records_processed_total{outcome="ok"}[10s]))'
shot metrics-dead-letters 0 840 \
  'sum by (worker, error_type) (rate(leadmem_dlq_records_total[10s]))'
shot metrics-handle-time-p95 0 895 \
  'histogram_quantile(0.95, sum by (le, worker) (rate(leadmem_handle_duration_seconds_bucket[30s])))'
shot metrics-context-reads 0 805 \
  'sum by (result) (rate(leadmem_context_cache_requests_total[10s]))'
shot metrics-workers-up-table 1 620 'sum by (job) (up{pipeline="leadmem"})'

if ! wait "$demo_pid"; then
  demo_pid=""; cat "$work/demo.log" >&2; echo "the demo failed" >&2; exit 1
fi
demo_pid=""
echo "done"
