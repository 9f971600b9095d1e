"""`leadmem app install-url`: the install link from the settings (or options), with exactly
the project's scopes; what is missing is a one-line error."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from workers.cli import main
from workers.ghl.oauth import SCOPES

REDIRECT = "https://hooks.example.com/oauth/callback"


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exited:
        main(argv)
    out = capsys.readouterr()
    return int(exited.value.code or 0), out.out, out.err


def test_the_link_comes_from_the_settings(monkeypatch: pytest.MonkeyPatch,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("LEADMEM_GHL_OAUTH_CLIENT_ID", "app1-cid")
    monkeypatch.setenv("LEADMEM_GHL_OAUTH_REDIRECT_URI", REDIRECT)
    code, out, err = run(["app", "install-url"], capsys)
    assert code == 0 and err == ""
    (line,) = out.splitlines()
    query = parse_qs(urlsplit(line).query)
    assert line.startswith("https://marketplace.gohighlevel.com/oauth/chooselocation?")
    assert query["client_id"] == ["app1-cid"] and query["redirect_uri"] == [REDIRECT]
    assert query["scope"][0].split() == [s.name for s in SCOPES]


def test_options_override_and_explain_lists_every_scope_with_its_reason(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("LEADMEM_GHL_OAUTH_CLIENT_ID", raising=False)
    code, out, err = run(["app", "install-url", "--client-id", "app2-x", "--redirect-uri",
                          "https://other.example/oauth/callback", "--explain"], capsys)
    assert code == 0 and "client_id=app2-x" in out
    assert [line.split()[0] for line in err.splitlines()] == [s.name for s in SCOPES]
    assert "POST /conversations/messages" in err


@pytest.mark.parametrize(("env", "argv", "error"), [
    ({}, [], "no OAuth client id"),
    ({"LEADMEM_GHL_OAUTH_CLIENT_ID": "app1-cid"}, [], "no redirect URI"),
    ({"LEADMEM_GHL_OAUTH_CLIENT_ID": "app1-cid"}, ["--redirect-uri", "/oauth/callback"],
     "absolute http"),
])
def test_what_is_missing_is_a_one_line_error(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
    env: dict[str, str], argv: list[str], error: str,
) -> None:
    for name in ("LEADMEM_GHL_OAUTH_CLIENT_ID", "LEADMEM_GHL_OAUTH_REDIRECT_URI"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    code, out, err = run(["app", "install-url", *argv], capsys)
    assert code == 2 and out == ""
    assert err.startswith("leadmem app: error: ") and error in err
