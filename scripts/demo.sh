#!/usr/bin/env bash
# Quick start: set everything up and run the pipeline on the bundled sample GHL stream.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/services.sh
exec .venv/bin/leadmem demo "$@"
