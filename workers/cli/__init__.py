"""The `leadmem` command line: one sub-command module per area, registered here."""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Callable, Sequence
from typing import Any

from pydantic import ValidationError

from workers.cli import admin, memory_cmds, pipeline
from workers.cli.errors import CliError
from workers.errors import ConfigurationError
from workers.settings import Settings

MODULES: tuple[Callable[[Any], None], ...] = (
    pipeline.register, memory_cmds.register, admin.register)


def dev_commands() -> Callable[[Any], None] | None:
    """`dev`, `demo` and `bench` from the development package, where it is installed (the
    production image does not ship it). Looked up by name: `workers` never imports it."""
    try:
        module = importlib.import_module("devtools.cli")
    except ModuleNotFoundError as exc:
        if exc.name not in ("devtools", "devtools.cli"):
            raise
        return None
    register: Callable[[Any], None] = module.register
    return register


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="leadmem", description="lead-memory: conversation memory for GHL real-estate leads"
    )
    parser.add_argument("--log-level", default="WARNING", help="logging level (default WARNING)")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    dev = dev_commands()
    for register in (*MODULES, *((dev,) if dev else ())):
        register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> None:
    """The composition root of a command: the settings are read here, once, and handed to the
    command as `args.settings`."""
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    try:
        args.settings = Settings()
    except ValidationError as exc:
        # Without the input values: they hold the passwords and keys the settings name.
        problems = "; ".join(
            ".".join(str(part) for part in e["loc"]) + (": " if e["loc"] else "") + e["msg"]
            for e in exc.errors(include_url=False, include_input=False))
        print(f"leadmem {args.command}: error: invalid LEADMEM_* settings: {problems}",
              file=sys.stderr)
        raise SystemExit(2) from None
    try:
        code = args.func(args)
    except KeyboardInterrupt:
        code = 130
    except (CliError, ConfigurationError) as exc:
        print(f"leadmem {args.command}: error: {exc}", file=sys.stderr)
        code = 2
    raise SystemExit(code or 0)
