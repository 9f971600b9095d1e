"""`leadmem bench hop`'s pure parts: the broker's CPU a relay adds, and the CLI's checks."""

from __future__ import annotations

from typing import Any

import pytest

from devtools import bench_cmds
from devtools.bench.hop import with_broker_per_hop
from devtools.bench.hop_relay import main as relay_main
from tests.support.cli import run


def row(mode: str, broker: float | None) -> dict[str, Any]:
    return {"mode": mode, "cpu_ms_per_record": {} if broker is None else {"broker": broker}}


@pytest.mark.parametrize(("rows", "expected"), [
    ([row("direct", 7.0), row("aiokafka", 8.5), row("host", 6.0)], [None, 1.5, -1.0]),
    ([row("direct", None), row("host", 2.0)], [None, 2.0]),  # no broker CPU seen: 0
    ([row("host", 2.0)], [None]),  # no direct phase: nothing to subtract
])
def test_broker_per_hop_is_beyond_the_direct_phase(rows: list[dict[str, Any]],
                                                   expected: list[float | None]) -> None:
    assert [r.get("broker_per_hop_ms") for r in with_broker_per_hop(rows)] == expected


@pytest.mark.parametrize("args", [
    ["--modes", "direct,kafka"], ["--modes", ","], ["--rate", "0"], ["--records", "0"],
    ["--rounds", "0"],
])
def test_bad_arguments_are_refused(args: list[str]) -> None:
    code, message = run([bench_cmds.register], ["bench", "hop", *args])
    assert code == 2 and message.startswith("--")


def test_the_relay_names_its_modes(capsys: pytest.CaptureFixture[str]) -> None:
    assert relay_main(["kafka"]) == 2
    assert "aiokafka,confluent,fs-confluent,host,host-pg" in capsys.readouterr().err
