#!/usr/bin/env bash
# Install promtool (Debian's `prometheus` package ships it) when it is missing, so the
# observability tests can check /metrics output and alert rules. Does nothing when promtool
# is already on PATH. Exit status non-zero when it could not be installed (no network).
set -euo pipefail
if command -v promtool >/dev/null 2>&1; then
  exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  SUDO="sudo -n"
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends prometheus
command -v promtool >/dev/null 2>&1
