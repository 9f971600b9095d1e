"""`python -m workers.cli` is `leadmem` (for subprocesses that must not depend on PATH)."""

from workers.cli import main

main()
