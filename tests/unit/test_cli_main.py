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


def test_the_error_does_not_repeat_the_secrets_it_was_given(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("LEADMEM_KAFKA_SECURITY_PROTOCOL", "PLAINTEXT")
    monkeypatch.setenv("LEADMEM_KAFKA_SASL_PASSWORD", "hunter2")  # without SASL: refused
    with pytest.raises(SystemExit) as exited:
        main(["topics"])
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert ("LEADMEM_KAFKA_SASL_PASSWORD set, but LEADMEM_KAFKA_SECURITY_PROTOCOL is PLAINTEXT"
            in err)
    assert "hunter2" not in err and err.count("\n") == 1
