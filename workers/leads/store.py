"""Postgres side of a lead's state: the columns every reader embeds in the statement it
already makes (`columns` + `joins`, then `state.from_row`), so a lead's contact flags and
recorded consent are read one way, in one round trip with the reader's own data."""

from __future__ import annotations

from workers.consent_ledger import store as ledger
from workers.leads.state import CONTACT_FIELDS, PREFIX

_C = "lead__c"  # an alias no reader uses


def columns(tenant_expr: str, contact_expr: str) -> str:
    """The select list of the lead named by the two SQL expressions."""
    return ", ".join(
        [f"{_C}.contact_id IS NOT NULL AS {PREFIX}known"]
        + [f"{_C}.{name} AS {PREFIX}{name}" for name in CONTACT_FIELDS]
        + [f"{ledger.entries_sql(tenant_expr, contact_expr)} AS {PREFIX}consent"])


def joins(tenant_expr: str, contact_expr: str) -> str:
    return (f"LEFT JOIN contacts {_C} ON {_C}.tenant_id = {tenant_expr} "
            f"AND {_C}.contact_id = {contact_expr}")
