"""``leadmem extract``: SPEC JSONL cases on stdin, one profile JSON line per case on stdout."""

from __future__ import annotations

import json
import sys
from typing import Any, TextIO

from .extract import extract_case


def run(stdin: TextIO, stdout: TextIO, stderr: TextIO | None = None) -> int:
    """Process every line; a bad line is reported on stderr and makes the exit status 1."""
    errors = stderr if stderr is not None else sys.stderr
    status = 0
    for number, line in enumerate(stdin, start=1):
        if not line.strip():
            continue
        try:
            case: Any = json.loads(line)
            if not isinstance(case, dict):
                raise ValueError("a case must be a JSON object")
            result = extract_case(case)
        except Exception as exc:  # one bad case must not stop the others
            errors.write(f"line {number}: cannot extract: {type(exc).__name__}: {exc}\n")
            status = 1
            continue
        stdout.write(json.dumps(result, ensure_ascii=False) + "\n")
    return status


def main() -> int:
    """Entry point for ``python -m workers.learning.extract_cli``."""
    return run(sys.stdin, sys.stdout)


if __name__ == "__main__":
    raise SystemExit(main())
