"""The settings form over the settings' owner: every `tenant config` option is a field of
the same name, a field shows what the CLI would take back, only changed fields are checked,
and a bad value is refused with the owner's own message."""

from __future__ import annotations

from datetime import time

import pytest

from workers.cli.tenant_cmds import OPTIONS
from workers.console import forms
from workers.learning.extract.model import Area
from workers.tenants import TenantSettings
from workers.tenants.validate import SettingsError


def test_the_form_has_every_tenant_config_option() -> None:
    assert [f.name for f in forms.FIELDS] == [dest for dest, _ in OPTIONS]
    for f in forms.FIELDS:
        assert f.check is dict(OPTIONS)[f.name], f.name  # the very same validator


CONFIGURED = TenantSettings(
    "loc1", known=True, persona="Ana of Acme", claude_model="claude-x",
    service_areas=(Area(name="Austin"), Area(name="Round Rock", aliases=("RR",))),
    no_texts_from=time(21), no_texts_until=time(8), reply_channels=frozenset({"sms", "email"}),
    timezone="America/Chicago", allowed_link_domains=("acme.com",), own_phones=("+15125550100",),
    own_emails=("info@acme.com",), allowed_phrases=("free consultation",), crm_tasks=False,
    crm_custom_fields={"budget_max": "f1"}, crm_default_user="u1", crm_opted_out_tag="stop",
    first_touch_sources=("Zillow",), follow_ups=(3600, 86400), calendar_id="cal1")


@pytest.mark.parametrize("settings", [TenantSettings("loc1", known=True), CONFIGURED])
def test_what_a_field_shows_its_validator_takes_back(settings: TenantSettings) -> None:
    shown = forms.shown(settings)
    for f in forms.FIELDS:
        text = shown[f.name]
        if f.name in ("model", "persona", "timezone") and not text:
            continue  # unset: shown empty, and an untouched field is never submitted
        changes = f.check(text)
        for name, value in changes.items():
            assert getattr(settings, name) == value, (f.name, name)


def test_the_shown_texts() -> None:
    shown = forms.shown(CONFIGURED)
    assert shown["quiet_hours"] == "21:00-08:00"
    assert shown["channels"] == "email,sms"
    assert shown["crm"] == "tasks=off,notes=on,tags=on,fields=on"
    assert shown["follow_ups"] == "PT1H,P1D"
    assert shown["service_areas"] == '["Austin", {"name": "Round Rock", "aliases": ["RR"]}]'


def form(**values: str | list[str]) -> dict[str, list[str]]:
    return {k: v if isinstance(v, list) else [v] for k, v in values.items()}


def test_an_unchanged_form_changes_nothing() -> None:
    shown = forms.shown(CONFIGURED)
    submitted = form(**{k: v for k, v in shown.items() if k not in ("channels", "crm")},
                     channels=["", "email", "sms"], crm=["", "notes", "tags", "fields"])
    out = forms.read_form(submitted, CONFIGURED)
    assert out.ok and out.changes == {} and out.texts == {}


def test_only_changed_fields_are_checked_and_written() -> None:
    out = forms.read_form(form(quiet_hours="22:00-07:00", timezone="America/Chicago",
                               channels=["", "sms"], crm=["", "tasks"]), CONFIGURED)
    assert out.ok
    assert out.changes == {"no_texts_from": time(22), "no_texts_until": time(7),
                           "reply_channels": frozenset({"sms"}), "crm_tasks": True,
                           "crm_notes": False, "crm_tags": False, "crm_fields": False}
    assert out.texts["quiet_hours"] == ("21:00-08:00", "22:00-07:00")


@pytest.mark.parametrize(("field", "text", "owner"), [
    ("quiet_hours", "9pm-8am", "--quiet-hours '9pm-8am': expected HH:MM-HH:MM"),
    ("timezone", "Mars/Olympus", "--timezone: unknown time zone 'Mars/Olympus'"),
    ("follow_ups", "tomorrow", "--follow-ups:"),
    ("service_areas", "Austin", "--service-areas is not JSON"),
    ("calendar", "not a calendar!", "--calendar:"),
])
def test_a_bad_value_gets_the_owners_message(field: str, text: str, owner: str) -> None:
    out = forms.read_form(form(**{field: text, "persona": "New persona"}), CONFIGURED)
    assert not out.ok and list(out.errors) == [field]
    assert out.errors[field].startswith(owner)
    with pytest.raises(SettingsError) as raised:
        forms.BY_NAME[field].check(text)
    assert out.errors[field] == str(raised.value)  # not a second copy of the rule


def test_no_channel_checked_is_the_owners_error_and_an_absent_group_no_change() -> None:
    out = forms.read_form(form(channels=[""]), CONFIGURED)
    assert "--channels" in out.errors["channels"]
    assert forms.read_form(form(persona="x"), CONFIGURED).changes == {"persona": "x"}


def test_textarea_line_breaks_are_the_browsers() -> None:
    out = forms.read_form(form(persona="Ana\r\nof Acme"), CONFIGURED)
    assert out.changes == {"persona": "Ana\nof Acme"}
