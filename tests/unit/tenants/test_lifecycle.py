"""`workers.tenants.lifecycle`: the install lifecycle as a table of transitions (issue #25),
what going live needs, and the lifecycle as the model reads it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from workers.leads import consent_state
from workers.leads.state import Lead
from workers.learning.extract.model import Area
from workers.responder.tenant import tenant_profile
from workers.tenants import TenantSettings
from workers.tenants.lifecycle import (
    Lifecycle,
    LifecycleError,
    add,
    go_live,
    install,
    missing_for_live,
    uninstall,
)
from workers.tenants.model import PREFIX, SETTINGS_FIELDS, STATUSES, TENANT_FIELDS, from_row

T0 = datetime(2026, 3, 1, 12, tzinfo=UTC)
EARLIER, LATER = T0 - timedelta(minutes=5), T0 + timedelta(minutes=5)

NEW_INSTALL = Lifecycle("installed", False, installed_at=T0)
OPERATORS = Lifecycle("live", True)  # `tenant add`, or any tenant before migration 0014
LIVE_OFF = Lifecycle("live", False, installed_at=T0)  # live, AI turned off by an operator
INSTALLED = Lifecycle("installed", False, installed_at=T0)
LIVE = Lifecycle("live", True, installed_at=T0)
GONE = Lifecycle("uninstalled", False, installed_at=EARLIER, uninstalled_at=T0)


@pytest.mark.parametrize(("current", "at", "expected"), [
    # (before, GHL's time of the INSTALL, after; None: nothing changes)
    (None, T0, NEW_INSTALL),  # a location installs: a tenant, not live, AI off
    (INSTALLED, T0, None),  # GHL's retry of the same INSTALL
    (INSTALLED, EARLIER, None),  # an older one, late
    (INSTALLED, LATER, Lifecycle("installed", False, installed_at=LATER)),
    (LIVE, LATER, Lifecycle("live", True, installed_at=LATER)),  # stays live, AI as it was
    (LIVE_OFF, LATER, Lifecycle("live", False, installed_at=LATER)),
    (OPERATORS, T0, Lifecycle("live", True, installed_at=T0)),  # an operator's tenant installs
    # reinstalled after an UNINSTALL: installed again, AI off until it is made live again
    (GONE, LATER, Lifecycle("installed", False, installed_at=LATER, uninstalled_at=T0)),
    (GONE, T0, Lifecycle("installed", False, installed_at=T0, uninstalled_at=T0)),
    (GONE, EARLIER, None),  # a late retry of the install that the UNINSTALL ended
])
def test_install(current: Lifecycle | None, at: datetime, expected: Lifecycle | None) -> None:
    assert install(current, at) == expected


@pytest.mark.parametrize(("current", "at", "expected"), [
    (None, T0, None),  # a location that is no tenant: none is created
    (INSTALLED, LATER, Lifecycle("uninstalled", False, installed_at=T0, uninstalled_at=LATER)),
    (LIVE, LATER, Lifecycle("uninstalled", False, installed_at=T0, uninstalled_at=LATER)),
    (LIVE, T0, Lifecycle("uninstalled", False, installed_at=T0, uninstalled_at=T0)),
    (OPERATORS, T0, Lifecycle("uninstalled", False, uninstalled_at=T0)),
    (LIVE, EARLIER, None),  # older than the install in force: a late retry
    (GONE, LATER, None),  # already uninstalled: the first time stays
])
def test_uninstall(current: Lifecycle | None, at: datetime,
                   expected: Lifecycle | None) -> None:
    assert uninstall(current, at) == expected


def test_an_operators_add_makes_a_live_tenant_and_leaves_an_existing_one() -> None:
    assert add(None) == Lifecycle("live", True)
    for current in (INSTALLED, LIVE, GONE):
        assert add(current) is None


@pytest.mark.parametrize(("current", "missing", "expected"), [
    (INSTALLED, (), Lifecycle("live", True, installed_at=T0)),  # settings done: live
    (LIVE_OFF, ("--persona",), Lifecycle("live", True, installed_at=T0)),  # live: AI on
    (OPERATORS, ("--timezone",), Lifecycle("live", True)),
    (INSTALLED, ("--timezone", "--service-areas"), "set --timezone, --service-areas first"),
    (GONE, (), "installs the app again"),
    (None, (), "no tenant"),
])
def test_go_live(current: Lifecycle | None, missing: tuple[str, ...],
                 expected: Lifecycle | str) -> None:
    if isinstance(expected, str):
        with pytest.raises(LifecycleError, match=expected):
            go_live("loc1", current, missing)
    else:
        assert go_live("loc1", current, missing) == expected


def test_going_live_needs_a_timezone_a_persona_and_service_areas() -> None:
    bare = TenantSettings("loc1", known=True, status="installed")
    assert missing_for_live(bare) == ("--timezone", "--persona", "--service-areas")
    ready = TenantSettings("loc1", known=True, status="installed", timezone="America/Chicago",
                           persona="Warm", service_areas=(Area(name="Austin"),))
    assert missing_for_live(ready) == ()
    assert missing_for_live(TenantSettings("loc1", known=True, persona="  ")) == (
        "--timezone", "--persona", "--service-areas")


def _row(**values: Any) -> dict[str, Any]:
    out: dict[str, Any] = {PREFIX + n: None for n in (*TENANT_FIELDS, *SETTINGS_FIELDS)}
    out.update({PREFIX + "known": True, PREFIX + "ai_enabled": False})
    out.update({PREFIX + k: v for k, v in values.items()})
    return out


@pytest.mark.parametrize("status", STATUSES)
def test_the_model_reads_the_lifecycle_and_says_what_it_allows(status: Any) -> None:
    s = from_row("loc1", _row(status=status, company_id="co1", installed_at=T0,
                              uninstalled_at=LATER if status == "uninstalled" else None))
    assert (s.status, s.company_id, s.installed_at) == (status, "co1", T0)
    assert s.live is (status == "live") and s.uninstalled is (status == "uninstalled")
    assert Lifecycle.of(s) == Lifecycle(status, False, T0, s.uninstalled_at)
    # The consent question of both deciders sees an uninstalled tenant as such.
    lead = Lead("loc1", "c1", known=True)
    assert consent_state(s, lead).uninstalled is (status == "uninstalled")
    assert consent_state(tenant_profile(s), lead).uninstalled is (status == "uninstalled")


def test_no_tenant_is_neither_live_nor_uninstalled() -> None:
    unknown = TenantSettings("loc1")
    assert not unknown.live and not unknown.uninstalled and Lifecycle.of(unknown) is None
