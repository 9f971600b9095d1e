#!/usr/bin/env bash
# Set everything up and run the whole test suite, then the linters.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/services.sh
.venv/bin/python -m pytest -p no:cacheprovider "$@"
.venv/bin/ruff check schemas workers devtools tests
.venv/bin/mypy
