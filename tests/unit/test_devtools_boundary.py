"""The development package (`devtools`: local Kafka, fakes, demo, bench) stays out of
production: nothing in `workers` or `schemas` imports it, the image does not ship it, and the
`leadmem` CLI works without it."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

from workers.cli import build_parser

ROOT = Path(__file__).resolve().parents[2]


def cli_commands() -> set[str]:
    """The names of `leadmem`'s subcommands, as the parser has them now."""
    subparsers = build_parser()._subparsers
    assert subparsers is not None
    choices = subparsers._group_actions[0].choices
    assert choices is not None
    return set(choices)


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


@pytest.mark.parametrize("package", ["workers", "schemas"])
def test_production_code_never_imports_devtools(package: str) -> None:
    offenders = [str(p.relative_to(ROOT)) for p in sorted((ROOT / package).rglob("*.py"))
                 if any(m == "devtools" or m.startswith("devtools.")
                        for m in imported_modules(p))]
    assert offenders == []


def test_the_image_does_not_ship_devtools() -> None:
    copies = [line.split()[1] for line in (ROOT / "Dockerfile").read_text().splitlines()
              if line.startswith("COPY ")]
    assert "schemas" in copies and "workers" in copies
    assert not any(c.startswith("devtools") for c in copies)


def test_the_cli_works_without_devtools(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "devtools", None)  # import devtools -> ModuleNotFoundError
    monkeypatch.delitem(sys.modules, "devtools.cli", raising=False)
    commands = cli_commands()
    assert {"migrate", "run", "dlq", "status"} <= set(commands)
    assert not {"dev", "demo", "bench"} & set(commands)


def test_the_cli_has_the_dev_commands_where_devtools_is_installed() -> None:
    commands = cli_commands()
    assert {"dev", "demo", "bench"} <= set(commands)
