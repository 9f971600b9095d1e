"""The app's INSTALL / UNINSTALL (`schemas.ghl.AppWebhook`) and unknown locations kept out,
through the ingestion shell with `Receipts` faked (`fake_receipts`: the tenants' lifecycle
moved by the real `workers.tenants.lifecycle`). Issue #25: only a location that installed
the app, or that an operator added, is a tenant; nothing else is stored or published."""

from __future__ import annotations

import base64
import json
import logging
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from prometheus_client import REGISTRY

from devtools.demo.ghl_events import app_event, inbound_message
from schemas.ghl import AppInstallWebhook, AppUninstallWebhook, parse_delivery
from schemas.topics import CONVERSATION_EVENTS, GHL_EVENTS
from tests.support.clock import SetClock
from tests.unit.ingestion.fake_receipts import FakeReceipts
from tests.unit.runtime.fake_store import JournalPublisher
from workers.errors import InvalidEventError, SignatureMismatchError
from workers.ingestion.ports import AgencyTokens, Receipts
from workers.ingestion.signatures import ED25519_HEADER, SignatureVerifier
from workers.ingestion.worker import ADMITTED_FOR_S, KEPT_OUT_LOG_EVERY_S, IngestionHandler
from workers.ingestion.workflow import WORKFLOW_HEADER, WorkflowKey
from workers.runtime.ports import Scoped
from workers.runtime.record import Record
from workers.settings import Settings

LIVE, NEW, STRANGER, CO = "loc-live", "loc-new", "loc-stranger", "co-1"
T0 = datetime.now(UTC) - timedelta(minutes=10)
KEY = Ed25519PrivateKey.generate()  # signs every delivery here, as GHL does


class Agencies:
    """`AgencyTokens`: the agencies whose tokens are stored."""

    def __init__(self, *companies: str) -> None:
        self.stored = set(companies)

    async def forget(self, company: str) -> bool:
        had = company in self.stored
        self.stored.discard(company)
        return had


class Shell:
    def __init__(self) -> None:
        self.store = FakeReceipts()
        self.store.add(LIVE)
        self.clock = SetClock()
        self.publisher = JournalPublisher(self.store.journal)
        self.agencies = Agencies(CO, "co-other")
        db: Scoped[Receipts] = self.store
        agencies: AgencyTokens = self.agencies
        self.handler = IngestionHandler(db, self.publisher, Settings(),
                                        SignatureVerifier(ed25519=KEY.public_key()),
                                        clock=self.clock, agencies=agencies)

    def published(self) -> list[dict[str, Any]]:
        return self.publisher.events(CONVERSATION_EVENTS)


@pytest.fixture
def shell() -> Shell:
    return Shell()


def record(body: dict[str, Any], offset: int = 0, *, key: str | None = None) -> Record:
    key = key or body.get("locationId") or body["companyId"]
    raw = json.dumps(body).encode()
    signed = {ED25519_HEADER: base64.b64encode(KEY.sign(raw)).decode()}
    return Record(GHL_EVENTS, 0, offset, raw, key=key.encode(), headers=signed,
                  timestamp_ms=int(time.time() * 1000))


def kept_out(reason: str) -> float:
    return REGISTRY.get_sample_value("leadmem_ingestion_kept_out_total",
                                     {"reason": reason}) or 0.0


# --- the bodies ------------------------------------------------------------------------------

def test_install_and_uninstall_bodies_name_a_location_or_a_company() -> None:
    one = parse_delivery(app_event("INSTALL", location=NEW, company=CO))
    assert isinstance(one, AppInstallWebhook)
    assert (one.key, one.locations, one.companyName) == (NEW, (NEW,), "Demo Agency")
    agency = parse_delivery(app_event("INSTALL", company=CO))  # agency-level: no location
    assert isinstance(agency, AppInstallWebhook) and (agency.key, agency.locations) == (CO, ())
    bulk = parse_delivery(app_event("INSTALL", company=CO, locations=["l1", "l2", "l1", " "]))
    assert isinstance(bulk, AppInstallWebhook)
    assert (bulk.key, bulk.locations) == (CO, ("l1", "l2"))
    gone = parse_delivery({"type": "UNINSTALL", "appId": "a", "companyId": CO})
    assert isinstance(gone, AppUninstallWebhook) and gone.key == CO
    with pytest.raises(ValueError, match="neither a locationId nor a companyId"):
        parse_delivery({"type": "UNINSTALL", "appId": "a", "companyId": " "})
    # Every other type is a location's webhook, as before.
    assert parse_delivery(inbound_message(LIVE, "c1", "hi")).locationId == LIVE


# --- unknown locations -------------------------------------------------------------------------

async def test_a_location_that_never_installed_is_counted_and_kept_out(shell: Shell) -> None:
    before = kept_out("unknown_location")
    await shell.handler.handle_group(STRANGER, [
        record(inbound_message(STRANGER, "c1", "hi"), 1),
        record(inbound_message(STRANGER, "c1", "hello?"), 2)])
    assert shell.store.journal == [("begin", STRANGER), ("tenant_status", STRANGER),
                                   ("commit", STRANGER)]  # one statement, nothing written
    assert shell.publisher.published == [] and STRANGER not in shell.store.tenants
    assert kept_out("unknown_location") == before + 2
    await shell.handler(record(inbound_message(STRANGER, "c1", "again"), 3))
    assert shell.store.entries("tenant_status") == [("tenant_status", STRANGER)] * 2  # uncached
    assert shell.publisher.published == []


async def test_a_kept_out_location_is_logged_at_most_once_per_interval(
        shell: Shell, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, "workers.ingestion.worker")
    for i in range(3):
        await shell.handler(record(inbound_message(STRANGER, "c1", "hi"), i))
    assert len([r for r in caplog.records if STRANGER in r.getMessage()]) == 1
    shell.clock.now += KEPT_OUT_LOG_EVERY_S
    await shell.handler(record(inbound_message(STRANGER, "c1", "hi"), 9))
    assert len([r for r in caplog.records if STRANGER in r.getMessage()]) == 2


async def test_an_admitted_tenant_s_status_is_read_again_only_after_a_while(
        shell: Shell) -> None:
    await shell.handler(record(inbound_message(LIVE, "c1", "one"), 1))
    await shell.handler(record(inbound_message(LIVE, "c1", "two"), 2))
    assert len(shell.store.entries("tenant_status")) == 1 and len(shell.published()) == 2
    shell.clock.now += ADMITTED_FOR_S
    await shell.handler(record(inbound_message(LIVE, "c1", "three"), 3))
    assert len(shell.store.entries("tenant_status")) == 2 and len(shell.published()) == 3


# --- INSTALL ---------------------------------------------------------------------------------

async def test_install_makes_an_installed_tenant_whose_deliveries_then_go_in(
        shell: Shell) -> None:
    """INSTALL and the location's first message in one group: record by record, in order;
    the tenant is installed (AI off: not live) and the message is admitted after it."""
    await shell.handler.handle_group(NEW, [
        record(app_event("INSTALL", location=NEW, company=CO, when=T0), 1),
        record(inbound_message(NEW, "c1", "hi"), 2)])
    lifecycle = shell.store.tenants[NEW]
    assert (lifecycle.status, lifecycle.ai_enabled) == ("installed", False)
    assert shell.store.companies == {NEW: CO}
    assert [e["body"] for e in shell.published()] == ["hi"]  # INSTALL publishes nothing
    assert shell.store.entries("tenant_status") == []  # the install told this process
    # GHL's retry of the INSTALL changes nothing.
    await shell.handler(record(app_event("INSTALL", location=NEW, company=CO, when=T0), 3))
    assert shell.store.tenants[NEW] == lifecycle


async def test_a_bulk_install_keyed_by_its_company_installs_each_location(
        shell: Shell) -> None:
    await shell.handler(record(app_event("INSTALL", company=CO, locations=["l1", "l2"]), 1))
    assert {loc: t.status for loc, t in shell.store.tenants.items()} == {
        LIVE: "live", "l1": "installed", "l2": "installed"}
    assert [e for e in shell.store.journal if e[0] == "begin"] == [("begin", "l1"),
                                                                   ("begin", "l2")]


async def test_an_agency_install_naming_no_location_creates_nothing(shell: Shell) -> None:
    await shell.handler(record(app_event("INSTALL", company=CO), 1))
    assert shell.store.journal == [] and set(shell.store.tenants) == {LIVE}


async def test_an_app_event_keyed_by_another_location_is_refused(shell: Shell) -> None:
    with pytest.raises(InvalidEventError, match="record key"):
        await shell.handler(record(app_event("INSTALL", location=NEW, company=CO), key=LIVE))
    bad = app_event("INSTALL", company=CO, locations=["ok", "not ok; DROP"])
    with pytest.raises(InvalidEventError, match="not a usable id"):
        await shell.handler(record(bad))
    assert shell.store.journal == [] and set(shell.store.tenants) == {LIVE}


# --- UNINSTALL -------------------------------------------------------------------------------

async def test_uninstall_stops_the_location_at_once_and_deletes_its_tokens(
        shell: Shell) -> None:
    shell.store.tokens.add(LIVE)
    await shell.handler(record(inbound_message(LIVE, "c1", "before"), 1))  # admitted, cached
    before = kept_out("uninstalled")
    await shell.handler.handle_group(LIVE, [
        record(app_event("UNINSTALL", location=LIVE, when=T0), 2),
        record(inbound_message(LIVE, "c1", "after"), 3)])
    assert shell.store.tenants[LIVE].status == "uninstalled" and LIVE not in shell.store.tokens
    assert shell.store.tenants[LIVE].ai_enabled is False
    assert [e["body"] for e in shell.published()] == ["before"]
    assert kept_out("uninstalled") == before + 1


async def test_an_agency_uninstall_uninstalls_each_of_its_locations(shell: Shell) -> None:
    await shell.handler(record(app_event("INSTALL", company=CO, locations=["l1", "l2"],
                                         when=T0), 1))
    shell.store.tokens.update({"l1", "l2", LIVE})
    await shell.handler(record({"type": "UNINSTALL", "appId": "a", "companyId": CO,
                                "timestamp": datetime.now(UTC).isoformat()}, 2))
    assert {loc: t.status for loc, t in shell.store.tenants.items()} == {
        LIVE: "live", "l1": "uninstalled", "l2": "uninstalled"}
    assert shell.store.tokens == {LIVE}  # another agency's location untouched
    assert shell.agencies.stored == {"co-other"}  # the agency's own tokens are gone too
    for loc in ("l1", "l2"):
        await shell.handler(record(inbound_message(loc, "c1", "hi"), 3))
    assert shell.published() == []


async def test_an_uninstall_of_a_location_that_is_no_tenant_creates_nothing(
        shell: Shell) -> None:
    await shell.handler(record(app_event("UNINSTALL", location=STRANGER, company=CO), 1))
    assert STRANGER not in shell.store.tenants
    assert CO in shell.agencies.stored  # one location's UNINSTALL: the agency's tokens stay


async def test_a_reinstall_is_installed_again_and_not_live(shell: Shell) -> None:
    await shell.handler(record(app_event("UNINSTALL", location=LIVE, when=T0), 1))
    await shell.handler(record(app_event("INSTALL", location=LIVE, company=CO,
                                         when=T0 + timedelta(minutes=1)), 2))
    assert (shell.store.tenants[LIVE].status, shell.store.tenants[LIVE].ai_enabled) == (
        "installed", False)
    await shell.handler(record(inbound_message(LIVE, "c1", "back"), 3))
    assert [e["body"] for e in shell.published()] == ["back"]


# --- only GHL installs the app -----------------------------------------------------------------

async def test_an_install_bound_only_by_a_workflow_webhook_is_refused() -> None:
    """A tenant's workflow URL (or a record produced to the topic with its binding) cannot
    install or uninstall anything: the app's events must carry GHL's own signature."""
    key = WorkflowKey.from_setting("k" * 40)
    assert key is not None
    store = Shell().store
    handler = IngestionHandler(store, JournalPublisher(store.journal), Settings(),
                               SignatureVerifier(ed25519=KEY.public_key(), workflow=key),
                               agencies=Agencies(CO))
    for kind in ("INSTALL", "UNINSTALL"):
        raw = json.dumps(app_event(kind, location=LIVE, company=CO)).encode()
        bound = Record(GHL_EVENTS, 0, 1, raw, key=LIVE.encode(),
                       headers={WORKFLOW_HEADER: key.record_mac(LIVE, raw)},
                       timestamp_ms=int(time.time() * 1000))
        with pytest.raises(SignatureMismatchError, match="must carry GHL's signature"):
            await handler(bound)
    # The same binding on a location's own webhook is accepted (the workflow route's use).
    raw = json.dumps(inbound_message(LIVE, "c1", "hi")).encode()
    await handler(Record(GHL_EVENTS, 0, 2, raw, key=LIVE.encode(),
                         headers={WORKFLOW_HEADER: key.record_mac(LIVE, raw)},
                         timestamp_ms=int(time.time() * 1000)))
    assert store.entries("claim")
