"""`workers.tenants.model`: one typed value from the row every reader embeds, and back."""

from __future__ import annotations

from dataclasses import fields, replace
from datetime import UTC, datetime, time
from typing import Any

import pytest

from workers.consent.decision import DEFAULT_REPLY_CHANNELS
from workers.consent.quiet import QuietWindow
from workers.crm.plan import CrmSettings
from workers.learning.extract.model import Area
from workers.responder.tenant import TenantProfile, tenant_profile
from workers.tenants import TenantSettings
from workers.tenants import store as tenants
from workers.tenants.model import (
    PREFIX,
    SETTINGS_FIELDS,
    TENANT_FIELDS,
    area_terms,
    areas,
    from_row,
    to_column,
)


def row(known: bool = True, **values: Any) -> dict[str, Any]:
    """A result row as `store.COLUMNS` names it: every column NULL unless given."""
    out: dict[str, Any] = {PREFIX + name: None for name in (*TENANT_FIELDS, *SETTINGS_FIELDS)}
    out[PREFIX + "known"] = known
    out[PREFIX + "ai_enabled"] = True if known else None
    out[PREFIX + "status"] = "live" if known else None  # NOT NULL, 'live' by default
    out.update({PREFIX + k: v for k, v in values.items()})
    return out


def test_every_field_is_a_column_of_the_embedded_read() -> None:
    names = {f.name for f in fields(TenantSettings)} - {"tenant_id"}
    assert names == set(TENANT_FIELDS) | set(SETTINGS_FIELDS)
    for name in SETTINGS_FIELDS:
        assert f".{name} AS {PREFIX}{name}" in tenants.COLUMNS


def test_an_unknown_tenant_has_ai_off_and_every_default() -> None:
    assert from_row("loc1", row(known=False)) == TenantSettings("loc1")
    assert TenantSettings("loc1").ai_enabled is False


def test_a_tenant_without_a_settings_row_reads_the_columns_defaults() -> None:
    settings = from_row("loc1", row(name="Acme"))
    assert settings == TenantSettings("loc1", known=True, name="Acme", ai_enabled=True)
    assert settings.reply_channels == DEFAULT_REPLY_CHANNELS
    assert settings.crm_tag_names == {"hot": "hot-lead", "warm": "warm-lead",
                                      "cold": "cold-lead"}
    assert settings.crm_opted_out_tag == "opted-out" and settings.quiet is None


STORED: dict[str, Any] = {
    "persona": "Warm", "instructions": "Be brief", "claude_model": "m",
    "claude_max_tokens": 300, "claude_api_key_enc": b"secret",
    "service_areas": [{"name": "Round Rock", "aliases": ["RR"]}, "Austin", {"name": " "}],
    "no_texts_from": time(21), "no_texts_until": time(8),
    "reply_channels": ["sms", "email"], "timezone": "America/Chicago",
    "message_retention_days": 30, "allowed_link_domains": ["acme.com"],
    "own_phones": ["+15125550111"], "own_emails": ["a@acme.com"],
    "allowed_phrases": ["free consultation"], "crm_tasks": False, "crm_notes": True,
    "crm_tags": False, "crm_fields": True, "crm_tag_names": '{"hot": "H", "warm": "W", '
    '"cold": "C"}',  # text, as a bare connection without the jsonb codec reads it
    "crm_custom_fields": {"budget_max": "f1"}, "crm_default_user": "u1",
    "crm_opted_out_tag": " DNC ",
}


def test_every_column_is_read_into_its_type() -> None:
    s = from_row("loc1", row(name="Acme", created_at=datetime(2026, 1, 1, tzinfo=UTC),
                             **STORED))
    assert s.service_areas == (Area(name="Round Rock", aliases=("RR",)), Area(name="Austin"))
    assert s.area_names == ("Round Rock", "Austin")
    assert s.quiet == QuietWindow(time(21), time(8))
    assert s.reply_channels == frozenset({"sms", "email"})
    assert s.crm_tag_names == {"hot": "H", "warm": "W", "cold": "C"}
    assert s.crm_opted_out_tag == "DNC"
    assert (s.own_phones, s.allowed_phrases) == (("+15125550111",), ("free consultation",))
    assert s.claude_api_key_enc == b"secret" and "secret" not in repr(s)


def test_what_the_writer_stores_reads_back_as_the_same_value() -> None:
    s = from_row("loc1", row(**STORED))
    stored = {name: to_column(name, getattr(s, name)) for name in SETTINGS_FIELDS}
    assert from_row("loc1", row(**stored)) == s


def test_the_writer_refuses_a_name_that_is_not_a_setting() -> None:
    with pytest.raises(KeyError):
        to_column("ai_enabled; DROP TABLE tenants", True)
    with pytest.raises(KeyError):
        to_column("ai_enabled", True)  # on `tenants`: `store.set_ai`


@pytest.mark.parametrize(("raw", "expected"), [
    (None, ()),
    ([], ()),
    ([{"name": "Cedar Park"}], (Area(name="Cedar Park"),)),
    ('[{"name": "Cedar Park", "aliases": ["cp", 3]}]', (Area(name="Cedar Park",
                                                             aliases=("cp",)),)),
    (["  ", {"aliases": ["x"]}], ()),
])
def test_service_areas_as_stored(raw: Any, expected: tuple[Area, ...]) -> None:
    assert areas(raw) == expected


def test_each_reader_takes_its_slice_of_the_one_value() -> None:
    s = from_row("loc1", row(name="Acme", **STORED))
    assert CrmSettings.of(s) == CrmSettings(
        tasks=False, notes=True, tags=False, fields=True,
        tag_names={"hot": "H", "warm": "W", "cold": "C"}, field_map={"budget_max": "f1"},
        default_user="u1", opted_out_tag="DNC")
    # No tenant, or one not live: nothing is written back (issue #25).
    assert CrmSettings.of(TenantSettings("loc1")) == CrmSettings(active=False)
    for status in ("installed", "uninstalled"):
        assert CrmSettings.of(replace(s, status=status)).active is False
    profile = tenant_profile(s)
    assert profile == TenantProfile(
        "loc1", name="Acme", ai_enabled=True, persona="Warm", instructions="Be brief",
        service_areas=("Round Rock", "Austin"), reply_channels=frozenset({"sms", "email"}),
        timezone="America/Chicago", quiet=QuietWindow(time(21), time(8)), claude_model="m",
        claude_max_tokens=300, claude_api_key_enc=b"secret",
        allowed_link_domains=("acme.com",), own_phones=("+15125550111",),
        own_emails=("a@acme.com",), allowed_phrases=("free consultation",),
        areas=(Area(name="Round Rock", aliases=("RR",)), Area(name="Austin")))


@pytest.mark.parametrize(("names", "expected"), [
    (["Round Rock"], {"round rock", "rr", "round rock tx"}),
    (["round rock "], {"round rock", "rr", "round rock tx"}),  # the name in any case
    (["Austin", "Cedar Park"], {"austin", "atx", "cedar park"}),
    (["Georgetown"], {"georgetown"}),  # not a service area: its own name only
    (["RR"], {"rr"}),  # an alias is not an area name
    (["", " "], set()),
    ([], set()),
])
def test_area_terms_are_the_names_and_their_aliases(names: list[str],
                                                    expected: set[str]) -> None:
    areas = (Area(name="Round Rock", aliases=("RR", " Round Rock TX", " ")),
             Area(name="Austin", aliases=("ATX",)), Area(name="Cedar Park"))
    assert area_terms(areas, names) == expected
