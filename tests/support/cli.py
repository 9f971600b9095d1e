"""Run `leadmem` sub-commands in a test: parsed as `leadmem` parses them, settings read from
the environment once per command, stdout captured; a `CliError` is exit status 2."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import io
import json
from collections.abc import Callable, Sequence
from typing import Any

from workers.cli.errors import CliError
from workers.settings import Settings

Register = Callable[[Any], None]


def run(registers: Sequence[Register], argv: Sequence[str]) -> tuple[int, str]:
    parser = argparse.ArgumentParser(prog="leadmem")
    sub = parser.add_subparsers(dest="command", required=True)
    for register in registers:
        register(sub)
    args = parser.parse_args(argv)
    args.settings = Settings()  # as `leadmem`'s main reads them, once per command
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        try:
            code = args.func(args)
        except CliError as exc:
            return 2, str(exc)
    return code, out.getvalue()


async def run_in_thread(registers: Sequence[Register], *argv: str) -> tuple[int, str]:
    """`run` in a thread: each command has its own event loop, as under `leadmem`."""
    return await asyncio.to_thread(run, registers, argv)


def json_result(code: int, out: str) -> Any:
    """What a `--json` command printed, checked: exit status 0 and one line, the result."""
    assert code == 0, out
    lines = out.strip().splitlines()
    assert len(lines) == 1, out  # --json: the result alone
    return json.loads(lines[0])
