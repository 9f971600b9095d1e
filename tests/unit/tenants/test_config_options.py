"""`leadmem tenant config` options -> the settings they change (`workers.tenants.validate`),
refused as a CLI error before anything is written."""

from __future__ import annotations

import pytest

from workers.cli import build_parser
from workers.cli.errors import CliError
from workers.cli.tenant_cmds import config_changes


def changes(*options: str) -> dict[str, object]:
    return config_changes(build_parser().parse_args(["tenant", "config", "loc1", *options]))


def test_the_reply_check_settings() -> None:
    assert changes("--allowed-domains", "Acme.com, https://www.listings.example/x, acme.com",
                   "--own-phones", "+1 (512) 555-0111, 512-555-0112",
                   "--own-emails", "Hello@Acme.com",
                   "--allowed-phrases", '["free buyer consultation", "consulta  gratis"]',
                   "--crm", "tasks=off", "--crm-opted-out-tag", " DNC ") == {
        "allowed_link_domains": ("acme.com", "listings.example"),
        "own_phones": ("+1 (512) 555-0111", "512-555-0112"),
        "own_emails": ("hello@acme.com",),
        "allowed_phrases": ("free buyer consultation", "consulta gratis"),
        "crm_tasks": False, "crm_opted_out_tag": "DNC",
    }
    assert changes("--allowed-domains", "off", "--allowed-phrases", "off") == {
        "allowed_link_domains": (), "allowed_phrases": ()}


@pytest.mark.parametrize("options", [
    ("--allowed-domains", "not a domain"),
    ("--allowed-domains", "acme"),
    ("--own-phones", "call me"),
    ("--own-phones", "123"),
    ("--own-emails", "hello-at-acme.com"),
    ("--allowed-phrases", "free consultation"),  # not JSON
    ("--allowed-phrases", '{"a": 1}'),
    ("--allowed-phrases", '["ok", "fee"]'),  # too short to mean anything
])
def test_bad_values_are_refused(options: tuple[str, str]) -> None:
    with pytest.raises(CliError):
        changes(*options)


def test_first_touch_sources() -> None:
    assert changes("--first-touch-sources", "Website Form, zillow") == {
        "first_touch_sources": ("Website Form", "zillow")}
    assert changes("--first-touch-sources", "off") == {"first_touch_sources": ()}
    with pytest.raises(CliError, match="--first-touch-sources"):
        changes("--first-touch-sources", "y" * 101)


def test_follow_ups_and_calendar() -> None:
    assert changes("--follow-ups", "PT1H,P1D") == {"follow_ups": (3600, 86400)}
    assert changes("--calendar", "cal-1") == {"calendar_id": "cal-1"}
    with pytest.raises(CliError, match="--follow-ups"):
        changes("--follow-ups", "tomorrow")
