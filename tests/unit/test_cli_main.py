"""`leadmem`'s composition root: settings are read once per command, and bad ones are a
one-line error, not a traceback."""

from __future__ import annotations

import pytest

from workers.cli import main


def test_invalid_settings_are_a_one_line_error(monkeypatch: pytest.MonkeyPatch,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("LEADMEM_HEARTBEAT_INTERVAL_MS", "9000")  # not below the session
    with pytest.raises(SystemExit) as exited:
        main(["topics"])
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("leadmem topics: error: invalid LEADMEM_* settings")
    assert "heartbeat_interval_ms" in err and "Traceback" not in err
