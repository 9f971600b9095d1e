"""The tenant settings form (pure): each field as the form shows it (`shown`, from the
tenant's settings) and as `leadmem tenant config` takes it, validated by the settings' owner
(`workers.tenants.validate`, the same function as the CLI option of the same name: no rule
is written twice). A field whose submitted text is the one shown is left alone (so a value
stored before a rule was tightened does not block saving another field); the others are
validated, all or nothing.

The field names are the CLI options' (`tenant config --quiet-hours` is `quiet_hours`); the
tests hold the two lists to each other. Turning the AI on or off (`ai`) and the two secrets
(`api_key`, `ghl_refresh_token`: write-only, empty leaves them as they are) are the shell's,
as in the CLI: going live is the lifecycle's (`tenants.store.set_ai`), the secrets are
encrypted with the master key."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from workers.tenants import TenantSettings, validate
from workers.tenants.validate import CHANNELS, CRM_KINDS, SettingsError
from workers.timers.follow_ups import iso

Kind = str  # "text" | "textarea" | "checkboxes"


@dataclass(frozen=True)
class Field:
    name: str  # the form field, and the `tenant config` option's dest
    label: str
    help: str
    check: Callable[[str], validate.Changes]
    shown: Callable[[TenantSettings], str]
    kind: Kind = "text"
    choices: tuple[str, ...] = ()  # checkboxes


def _join(values: Sequence[str], sep: str = ",") -> str:
    return sep.join(values)


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def _areas(s: TenantSettings) -> str:
    return _json([a.name if not a.aliases else {"name": a.name, "aliases": list(a.aliases)}
                  for a in s.service_areas])


def _quiet(s: TenantSettings) -> str:
    if s.no_texts_from is None or s.no_texts_until is None:
        return ""
    return f"{s.no_texts_from:%H:%M}-{s.no_texts_until:%H:%M}"


def crm_text(enabled: Sequence[str]) -> str:
    """The checked CRM write-backs as `--crm` takes them: `tasks=on,notes=off,...`."""
    return ",".join(f"{k}={'on' if k in enabled else 'off'}" for k in CRM_KINDS)


def _crm(s: TenantSettings) -> str:
    return crm_text([k for k in CRM_KINDS if getattr(s, f"crm_{k}")])


FIELDS: tuple[Field, ...] = (
    Field("model", "Claude model", "The model this tenant's replies are drafted with "
          "(empty: the deployment's default).", validate.model,
          lambda s: s.claude_model or ""),
    Field("persona", "Persona", "Who the assistant speaks as.", validate.persona,
          lambda s: s.persona or "", "textarea"),
    Field("service_areas", "Service areas", 'JSON: ["Austin", {"name": "Round Rock", '
          '"aliases": ["RR"]}]', validate.service_areas, _areas, "textarea"),
    Field("quiet_hours", "Quiet hours", "No automated texts from HH:MM until HH:MM, the "
          "lead's local time (e.g. 21:00-08:00), on top of the legal hours; empty: none.",
          validate.quiet_hours, _quiet),
    Field("channels", "Reply channels", "Where the assistant may answer.", validate.channels,
          lambda s: _join(sorted(s.reply_channels)), "checkboxes", CHANNELS),
    Field("timezone", "Time zone", "IANA name, e.g. America/Chicago.", validate.timezone,
          lambda s: s.timezone or ""),
    Field("allowed_domains", "Allowed link domains", "Domains a drafted reply may link to "
          "(subdomains included), comma separated.", validate.allowed_domains,
          lambda s: _join(s.allowed_link_domains)),
    Field("own_phones", "The agency's phone numbers", "Numbers a reply may give, comma "
          "separated.", validate.own_phones, lambda s: _join(s.own_phones)),
    Field("own_emails", "The agency's email addresses", "Addresses a reply may give, comma "
          "separated.", validate.own_emails, lambda s: _join(s.own_emails)),
    Field("allowed_phrases", "Allowed offers", 'JSON list of offers the agency makes itself, '
          'e.g. ["free buyer consultation"].', validate.allowed_phrases,
          lambda s: _json(list(s.allowed_phrases)) if s.allowed_phrases else "", "textarea"),
    Field("crm", "CRM write-backs", "What is written back to GHL.", validate.crm_switches,
          _crm, "checkboxes", CRM_KINDS),
    Field("custom_fields", "Custom fields", 'JSON: profile field -> GHL custom field id, e.g. '
          '{"budget_max": "abc123"}.', validate.custom_fields,
          lambda s: _json(dict(s.crm_custom_fields)), "textarea"),
    Field("score_tags", "Score tags", 'JSON: {"hot": ..., "warm": ..., "cold": ...}.',
          validate.score_tags, lambda s: _json(dict(s.crm_tag_names))),
    Field("crm_default_user", "Default GHL user", "The user a hand-off task goes to when the "
          "contact has no owner.", validate.crm_default_user,
          lambda s: s.crm_default_user or ""),
    Field("crm_opted_out_tag", "Opted-out tag", "Tag added in GHL to a lead who opted out in "
          "words (empty: none).", validate.crm_opted_out_tag, lambda s: s.crm_opted_out_tag),
    Field("first_touch_sources", "First-touch sources", "GHL contact sources whose new leads "
          "are texted first, comma separated (empty: only leads who wrote first).",
          validate.first_touch_sources, lambda s: _join(s.first_touch_sources)),
    Field("follow_ups", "Follow-ups", "ISO 8601 durations after our last text, e.g. "
          "PT1H,P1D,P3D (empty: none).", validate.follow_ups,
          lambda s: _join([iso(x) for x in s.follow_ups])),
    Field("calendar", "Booking calendar", "The GHL calendar showings and calls are booked on "
          "(empty: none).", validate.calendar, lambda s: s.calendar_id or ""),
)
BY_NAME: Mapping[str, Field] = {f.name: f for f in FIELDS}
SECRETS = ("api_key", "ghl_refresh_token")


def shown(settings: TenantSettings) -> dict[str, str]:
    """Every field's text as the form shows it."""
    return {f.name: f.shown(settings) for f in FIELDS}


def submitted(field: Field, form: Mapping[str, Sequence[str]]) -> str | None:
    """The field's text in the submitted form; None when the form did not carry it (a
    checkbox group is carried by its hidden empty input)."""
    values = form.get(field.name)
    if values is None:
        return None
    if field.kind == "checkboxes":
        chosen = [v for v in values if v]
        if field.name == "crm":
            return crm_text(chosen)
        return _join(sorted(dict.fromkeys(chosen)))
    return values[-1].replace("\r\n", "\n")


@dataclass(frozen=True)
class Outcome:
    changes: dict[str, Any]  # field of the model -> value, for `tenants.store.update`
    texts: dict[str, tuple[str, str]]  # form field -> (before, after), for the audit
    errors: dict[str, str]  # form field -> the owner's message

    @property
    def ok(self) -> bool:
        return not self.errors


def read_form(form: Mapping[str, Sequence[str]], current: TenantSettings) -> Outcome:
    """The changes a submitted settings form makes, validated by the owner; every error
    at once (nothing is written unless there are none)."""
    before = shown(current)
    changes: dict[str, Any] = {}
    texts: dict[str, tuple[str, str]] = {}
    errors: dict[str, str] = {}
    for field in FIELDS:
        text = submitted(field, form)
        if text is None or text == before[field.name]:
            continue
        try:
            changes.update(field.check(text))
        except SettingsError as exc:
            errors[field.name] = str(exc)
            continue
        texts[field.name] = (before[field.name], text)
    return Outcome(changes, texts, errors)
