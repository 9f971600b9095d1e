"""A tenant's install lifecycle (pure): what an INSTALL, an UNINSTALL, an operator's `tenant
add` and an operator's "go live" do to the `tenants` row (`status`, `ai_enabled` and the
times; migrations/0014_install.sql). `store.install/uninstall/go_live/add` read the row, call
these and write what they return; `tests/unit/tenants/test_lifecycle.py` holds them as a table.

    (no row) --add (operator)------------------------------------------------> live, AI on
    (no row) --INSTALL--> installed, AI off --go live (settings done)--------> live, AI on
    installed | live --UNINSTALL--> uninstalled, AI off --INSTALL--> installed, AI off

- A location that never installed and was never added has no row, and an UNINSTALL for it
  creates none: only INSTALL and operators make tenants.
- INSTALL of a live tenant (an operator's tenant installing the app) keeps it live and its AI
  as it was; of an installed one it changes nothing but the time.
- Going live needs what an answer needs: a timezone, a persona and service areas
  (`missing_for_live`); a live tenant turns its AI on and off freely; an uninstalled tenant
  goes live only after the agency installs the app again.
- GHL retries a delivery for about an hour, out of order: an INSTALL older than the UNINSTALL
  applied last, or an UNINSTALL older than the INSTALL applied last, is a late retry and
  changes nothing (`at` is GHL's time of the event: the body's `timestamp`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from workers.tenants.model import Status, TenantSettings


class LifecycleError(ValueError):
    """A lifecycle step is refused; the message says why and what to do."""


@dataclass(frozen=True)
class Lifecycle:
    """The lifecycle columns of a `tenants` row."""

    status: Status
    ai_enabled: bool
    installed_at: datetime | None = None
    uninstalled_at: datetime | None = None

    @classmethod
    def of(cls, settings: TenantSettings) -> Lifecycle | None:
        """The lifecycle of a tenant as read (None: no row)."""
        if not settings.known:
            return None
        return cls(settings.status, settings.ai_enabled, settings.installed_at,
                   settings.uninstalled_at)


def add(current: Lifecycle | None) -> Lifecycle | None:
    """An operator's `leadmem tenant add`: a new tenant is live with AI on (the columns'
    defaults); an existing one keeps its lifecycle (the command only renames it)."""
    return Lifecycle("live", True) if current is None else None


def install(current: Lifecycle | None, at: datetime) -> Lifecycle | None:
    """An INSTALL at `at`; None: nothing changes."""
    if current is None:
        return Lifecycle("installed", False, installed_at=at)
    if current.status == "uninstalled":
        if current.uninstalled_at is not None and at < current.uninstalled_at:
            return None  # a late retry of the install that UNINSTALL ended
        return Lifecycle("installed", False, installed_at=at,
                         uninstalled_at=current.uninstalled_at)
    if current.installed_at is not None and at <= current.installed_at:
        return None  # a retry, or an older install
    # Installed again (or an operator's tenant installing the app): the newest install time,
    # so an UNINSTALL older than it is recognised as late.
    return Lifecycle(current.status, current.ai_enabled, installed_at=at,
                     uninstalled_at=current.uninstalled_at)


def uninstall(current: Lifecycle | None, at: datetime) -> Lifecycle | None:
    """An UNINSTALL at `at`; None: nothing changes (no tenant, already uninstalled, or a late
    retry older than the install in force)."""
    if current is None or current.status == "uninstalled":
        return None
    if current.installed_at is not None and at < current.installed_at:
        return None
    return Lifecycle("uninstalled", False, installed_at=current.installed_at,
                     uninstalled_at=at)


def missing_for_live(settings: TenantSettings) -> tuple[str, ...]:
    """The settings an installed tenant lacks before it may go live, as `tenant config`
    options (empty: ready)."""
    missing = []
    if not settings.timezone:
        missing.append("--timezone")
    if not (settings.persona or "").strip():
        missing.append("--persona")
    if not settings.service_areas:
        missing.append("--service-areas")
    return tuple(missing)


def go_live(tenant_id: str, current: Lifecycle | None,
            missing: Sequence[str]) -> Lifecycle:
    """An operator turns the AI on: an installed tenant goes live once nothing is `missing`,
    a live one just turns its AI on. Raises `LifecycleError` saying why not."""
    if current is None:
        raise LifecycleError(f"no tenant {tenant_id!r}: it installs the app from GHL, or an "
                             "operator adds it with `leadmem tenant add`")
    if current.status == "uninstalled":
        raise LifecycleError(f"tenant {tenant_id!r} uninstalled the app: it goes live again "
                             "only after the agency installs the app again from GHL")
    if current.status == "installed" and missing:
        raise LifecycleError(f"tenant {tenant_id!r} is installed but not live yet: set "
                             f"{', '.join(missing)} first (then turn the AI on)")
    return Lifecycle("live", True, current.installed_at, current.uninstalled_at)
