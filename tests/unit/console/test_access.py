"""Who sees which tenant, and the login rate limit's decision (pure)."""

from __future__ import annotations

import pytest

from workers.console.access import User, home, tenant_scope
from workers.console.ratelimit import LoginLimits, refused

OPS = User(1, "ops@example.com", "operator", None)
AGENCY = User(2, "admin@a.example", "agency", "locA")


@pytest.mark.parametrize(("user", "url", "scope"), [
    (OPS, "locA", "locA"),
    (OPS, "locB", "locB"),
    (AGENCY, "locA", "locA"),
    (AGENCY, "locB", None),  # another tenant: not found
    (OPS, "../etc", None),
    (OPS, "loc A", None),
    (AGENCY, "", None),
])
def test_tenant_scope(user: User, url: str, scope: str | None) -> None:
    assert tenant_scope(user, url) == scope


def test_home() -> None:
    assert home(OPS) == "/console/tenants"
    assert home(AGENCY) == "/console/t/locA"


LIMITS = LoginLimits(per_account=5, per_address=20, window_s=900)


@pytest.mark.parametrize(("account", "address", "out"), [
    (0, 0, False), (4, 19, False), (5, 0, True), (0, 20, True), (7, 30, True)])
def test_login_rate_limit(account: int, address: int, out: bool) -> None:
    assert refused(account, address, LIMITS) is out
