"""Handling a consumed batch one tenant group at a time.

A batch mixes partitions and tenants. A handler that offers `handle_group(tenant, records)`
gets each tenant's records of the batch together, in their batch order (so per-tenant order
holds), and handles them in one Postgres transaction: a few round trips per group instead of
a transaction and a dozen statements per record, which is what bounded the pipeline.

The contract of `handle_group`: it either succeeds for every record, or raises having
published nothing and committed nothing (handlers publish after their transaction commits;
a failure after the commit is redelivered-style safe, since every write is idempotent per
event and a re-run re-publishes what the first run stored). On any failure the group is
handled again record by record through the dead-letter boundary, so a poison record is
retried and dead-lettered alone while the rest of its tenant's records are processed once.
Records without a tenant key, and groups of one, go through the boundary directly.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Protocol, runtime_checkable

from prometheus_client import Counter

from workers.runtime.boundary import DeadLetterBoundary, Handler
from workers.runtime.metrics import HANDLE_SECONDS, RECORDS
from workers.runtime.record import Record

log = logging.getLogger(__name__)

GROUP_FALLBACKS = Counter(
    "leadmem_group_fallbacks_total",
    "Tenant groups handled again record by record after the grouped attempt failed.",
    ["worker"],
)


@runtime_checkable
class GroupHandler(Protocol):
    def __call__(self, record: Record) -> Awaitable[None]: ...

    def handle_group(self, tenant: str, records: Sequence[Record]) -> Awaitable[None]: ...


def by_tenant(records: Sequence[Record]) -> list[tuple[str | None, list[Record]]]:
    """Records grouped by tenant key, groups in order of first appearance, records in batch
    order; records with no tenant each form their own group."""
    groups: dict[str, list[Record]] = {}
    out: list[tuple[str | None, list[Record]]] = []
    for rec in records:
        tenant = rec.tenant_hint
        if not tenant:
            out.append((None, [rec]))
        elif tenant in groups:
            groups[tenant].append(rec)
        else:
            groups[tenant] = [rec]
            out.append((tenant, groups[tenant]))
    return out


async def process_batch(worker: str, records: Sequence[Record], handler: Handler,
                        boundary: DeadLetterBoundary,
                        clock: Callable[[], float] = time.perf_counter) -> None:
    """Handle a batch: tenant groups where the handler can, else record by record."""
    if not isinstance(handler, GroupHandler):
        for rec in records:
            await boundary.process(rec, handler)
        return
    for tenant, group in by_tenant(records):
        if tenant is not None and len(group) > 1:
            started = clock()
            try:
                await handler.handle_group(tenant, group)
            except Exception as exc:  # anything: the boundary sorts it out record by record
                GROUP_FALLBACKS.labels(worker).inc()
                log.warning("%s: group of %d records of %s failed (%r); handling them one "
                            "by one", worker, len(group), tenant, exc)
            else:
                each = (clock() - started) / len(group)
                for rec in group:
                    RECORDS.labels(worker, rec.topic, "ok").inc()
                    HANDLE_SECONDS.labels(worker).observe(each)
                continue
        for rec in group:
            await boundary.process(rec, handler)
