"""Settings as people type them (the CLI's options, later the console's form fields) -> the
model's values, or `SettingsError` saying what is wrong. Pure; the one place input is checked.

Each function is named by the setting it reads and returns `{field: value}` for
`store.update`, so one option may set several columns (quiet hours, the CRM switches).
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, time
from typing import Any, get_args
from zoneinfo import ZoneInfo

from schemas.events import Channel
from workers.consent.quiet import FEDERAL_QUIET, QuietWindow, next_open
from workers.learning.extract.model import PROFILE_FIELDS, Area
from workers.timers.follow_ups import parse_cadence as follow_up_cadence

CHANNELS: tuple[str, ...] = get_args(Channel)
CRM_KINDS = ("tasks", "notes", "tags", "fields")
_HHMM = r"([01]\d|2[0-3]):[0-5]\d"
_QUIET = re.compile(rf"^({_HHMM})-({_HHMM})$")
_DOMAIN = re.compile(r"(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{1,62}")
_OFF = ("off", "none", "")


class SettingsError(ValueError):
    """A setting's value is refused; the message names the option and says why."""


Changes = dict[str, Any]


def _items(text: str) -> list[str]:
    if text.strip().lower() in _OFF:
        return []
    return list(dict.fromkeys(x.strip() for x in text.split(",") if x.strip()))


def model(text: str) -> Changes:
    if not text.strip():
        raise SettingsError("--model must not be empty")
    return {"claude_model": text.strip()}


def service_areas(text: str) -> Changes:
    """`["Austin", {"name": "Round Rock", "aliases": ["RR"]}]`."""
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise SettingsError(f"--service-areas is not JSON: {exc}") from exc
    if not isinstance(data, list):
        raise SettingsError("--service-areas must be a JSON list")
    out = []
    for item in data:
        if isinstance(item, str) and item.strip():
            out.append(Area(name=item.strip()))
        elif isinstance(item, dict) and isinstance(item.get("name"), str) and \
                item["name"].strip() and isinstance(item.get("aliases", []), list) and all(
                isinstance(a, str) for a in item.get("aliases", [])):
            out.append(Area(name=item["name"].strip(), aliases=tuple(item.get("aliases", []))))
        else:
            raise SettingsError(f"--service-areas: {item!r} is not a name or "
                                '{"name": ..., "aliases": [...]}')
    return {"service_areas": tuple(out)}


def quiet_hours(text: str) -> Changes:
    """`21:00-08:00` -> no texts from 21:00 until 08:00: the quiet window itself, never the
    send window; `off` for none."""
    if text.strip().lower() in _OFF:
        return {"no_texts_from": None, "no_texts_until": None}
    match = _QUIET.match(text)
    if match is None:
        raise SettingsError(f"--quiet-hours {text!r}: expected HH:MM-HH:MM, e.g. 21:00-08:00")
    start, end = time.fromisoformat(match.group(1)), time.fromisoformat(match.group(3))
    if start == end:
        raise SettingsError(f"--quiet-hours {text!r}: start and end are the same time")
    if next_open(datetime(2026, 1, 5, 12, tzinfo=UTC), ZoneInfo("UTC"),
                 (FEDERAL_QUIET, QuietWindow(start, end))) is None:
        raise SettingsError(f"--quiet-hours {text!r} with the legal hours ({FEDERAL_QUIET}) "
                            "leaves no time at which a text may be sent")
    return {"no_texts_from": start, "no_texts_until": end}


def channels(text: str) -> Changes:
    chosen = [c.strip() for c in text.split(",") if c.strip()]
    unknown = sorted(set(chosen) - set(CHANNELS))
    if not chosen or unknown:
        raise SettingsError(f"--channels: unknown {', '.join(unknown) or '(none given)'}; "
                            f"choose from {', '.join(CHANNELS)}")
    return {"reply_channels": frozenset(chosen)}


def timezone(text: str) -> Changes:
    try:
        ZoneInfo(text)
    except (ValueError, KeyError) as exc:  # ZoneInfoNotFoundError is a KeyError
        raise SettingsError(f"--timezone: unknown time zone {text!r}") from exc
    return {"timezone": text}


def allowed_domains(text: str) -> Changes:
    """`Acme.com, https://www.listings.example/` -> ("acme.com", "listings.example")."""
    domains = []
    for item in _items(text):
        host = item.lower()
        host = host.split("://", 1)[1] if "://" in host else host
        host = host.split("/", 1)[0].removeprefix("www.").rstrip(".")
        if not _DOMAIN.fullmatch(host):
            raise SettingsError(f"--allowed-domains: {item!r} is not a domain (e.g. acme.com)")
        domains.append(host)
    return {"allowed_link_domains": tuple(dict.fromkeys(domains))}


def own_phones(text: str) -> Changes:
    phones = _items(text)
    for phone in phones:
        digits = re.sub(r"\D", "", phone)
        if not 7 <= len(digits) <= 15 or not re.fullmatch(r"[+\d\s().-]+", phone):
            raise SettingsError(f"--own-phones: {phone!r} is not a phone number")
    return {"own_phones": tuple(phones)}


def own_emails(text: str) -> Changes:
    emails = [e.lower() for e in _items(text)]
    for email in emails:
        if not re.fullmatch(r"[^@\s]+@[^@\s]+\.[a-z]{2,}", email):
            raise SettingsError(f"--own-emails: {email!r} is not an email address")
    return {"own_emails": tuple(emails)}


def allowed_phrases(text: str) -> Changes:
    if text.strip().lower() in _OFF:
        return {"allowed_phrases": ()}
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise SettingsError(f"--allowed-phrases is not JSON: {exc}") from exc
    if not isinstance(data, list) or not all(isinstance(x, str) for x in data):
        raise SettingsError("--allowed-phrases must be a JSON list of strings")
    phrases = [" ".join(x.split()) for x in data if x.strip()]
    if any(len(p) < 4 for p in phrases):
        raise SettingsError("--allowed-phrases: a phrase needs at least 4 characters")
    return {"allowed_phrases": tuple(dict.fromkeys(phrases))}


def first_touch_sources(text: str) -> Changes:
    """`Website Form,Zillow` -> the GHL contact sources whose new leads get a first touch
    (matched case-insensitively, so kept once whatever their case); `off`: none."""
    sources: dict[str, str] = {}
    for item in _items(text):
        name = " ".join(item.split())
        if len(name) > 100:
            raise SettingsError(f"--first-touch-sources: {name[:20]!r}... is longer than 100 "
                                "characters")
        sources.setdefault(name.casefold(), name)
    return {"first_touch_sources": tuple(sources.values())}


def follow_ups(text: str) -> Changes:
    """`PT1H,P1D,P3D` (ISO 8601 durations) -> the follow-up cadence in seconds; `off`: none."""
    try:
        return {"follow_ups": follow_up_cadence(text)}
    except ValueError as exc:
        raise SettingsError(f"--follow-ups: {exc}") from exc


def calendar(text: str) -> Changes:
    """The GHL calendar showings and calls are booked on; `off`: none (no booking)."""
    value = text.strip()
    if value.lower() in _OFF:
        return {"calendar_id": None}
    if not re.fullmatch(r"[A-Za-z0-9_-]{1,64}", value):
        raise SettingsError(f"--calendar: {value!r} is not a GHL calendar id")
    return {"calendar_id": value}


def crm_switches(text: str) -> Changes:
    """`tasks=on,fields=off` -> {"crm_tasks": True, "crm_fields": False}."""
    out: Changes = {}
    for item in _items(text):
        kind, _, value = item.partition("=")
        if kind.strip() not in CRM_KINDS or value.strip() not in ("on", "off"):
            raise SettingsError(f"--crm: {item!r} is not KIND=on|off with KIND one of "
                                + ", ".join(CRM_KINDS))
        out[f"crm_{kind.strip()}"] = value.strip() == "on"
    if not out:
        raise SettingsError("--crm: give KIND=on|off, e.g. tasks=on,fields=off")
    return out


def _json_object(text: str, option: str) -> dict[str, str]:
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise SettingsError(f"{option} is not JSON: {exc}") from exc
    if not isinstance(data, dict) or not all(isinstance(k, str) and isinstance(v, str)
                                             and v.strip() for k, v in data.items()):
        raise SettingsError(f"{option} must be a JSON object of names to strings")
    return {k: v.strip() for k, v in data.items()}


def custom_fields(text: str) -> Changes:
    """`{"budget_max": "<GHL field id>"}`: profile fields written to GHL custom fields."""
    mapping = _json_object(text, "--custom-fields")
    unknown = sorted(set(mapping) - set(PROFILE_FIELDS))
    if unknown:
        raise SettingsError(f"--custom-fields: {', '.join(unknown)} not profile fields; "
                            f"choose from {', '.join(PROFILE_FIELDS)}")
    return {"crm_custom_fields": mapping}


def score_tags(text: str) -> Changes:
    tags = _json_object(text, "--score-tags")
    if set(tags) != {"hot", "warm", "cold"} or len(set(tags.values())) != 3:
        raise SettingsError('--score-tags needs three different names for "hot", "warm", '
                            '"cold"')
    return {"crm_tag_names": tags}


def crm_default_user(text: str) -> Changes:
    return {"crm_default_user": text.strip() or None}


def crm_opted_out_tag(text: str) -> Changes:
    return {"crm_opted_out_tag": text.strip()}


def persona(text: str) -> Changes:
    return {"persona": text}


def message_retention_days(text: str) -> Changes:
    """A whole number of days (at least 1), or `off`: messages kept for ever."""
    word = text.strip().lower()
    if word in ("off", "none"):
        return {"message_retention_days": None}
    if word.isdigit() and int(word) >= 1:
        return {"message_retention_days": int(word)}
    raise SettingsError(f"DAYS must be a whole number of days (at least 1) or off, not "
                        f"{text!r}")
