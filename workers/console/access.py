"""Who may see which tenant (pure). An operator sees every tenant, named by the URL; an agency
admin sees one, its own: a URL naming another is not found. Every read and write of a
tenant's data then runs in `TenantDatabase.transaction(scope)`, under that tenant's
row-level security, so a lead of another tenant is not found either, whatever the URL."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, get_args

from schemas.ids import is_safe_id

Role = Literal["operator", "agency"]
ROLES: tuple[Role, ...] = get_args(Role)


@dataclass(frozen=True)
class User:
    user_id: int
    email: str
    role: Role
    tenant: str | None  # an agency admin's tenant; None for an operator
    disabled: bool = False

    @property
    def operator(self) -> bool:
        return self.role == "operator"


def tenant_scope(user: User, url_tenant: str) -> str | None:
    """The tenant whose data the request may read and change; None: not found (404)."""
    if not is_safe_id(url_tenant):
        return None
    if user.operator:
        return url_tenant
    return url_tenant if url_tenant == user.tenant else None


def home(user: User) -> str:
    """Where a user lands after logging in."""
    return "/console/tenants" if user.operator else f"/console/t/{user.tenant}"
