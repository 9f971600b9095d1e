"""`leadmem bench first-touch`: speed to lead, from a ContactCreate accepted at the webhook
receiver to the first message POSTed to GHL.

One run (`pipeline_setup.stage`: a fresh broker unless `LEADMEM_KAFKA_BOOTSTRAP` names one,
the bench's own database and Redis db, the workers as their own processes; Claude and GHL are
the loopback fakes in this process with no delay, so the model's time is zero): one tenant
listing the source `Zillow` for first touch, the receiver in this process, `leads` signed
ContactCreate webhooks POSTed one every `pace_s`, each lead in a zone where it is midday (no
quiet hours hold it). Per lead: the time from the receiver's 200 to the fake GHL accepting the
POST of its first message (both on this process's wall clock, as the fake stamps).
Target: P95 <= 10 s.

The path measured: receiver -> ghl.events -> ingestion -> conversation.events -> memory
(stores the contact and schedules the timer, one transaction) -> the responder's timer loop
(every `timer_interval_s`: claims, drafts, reply check, claims the reply) -> replies.outbound
-> outbound (the consent claim, the POST).
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp

from devtools.bench.context import nearest_rank
from devtools.bench.pipeline_setup import stage
from devtools.demo.ghl_events import contact_event
from devtools.demo.receiver import receiver_running, webhook_url
from devtools.signing import signed
from workers.settings import Settings
from workers.tenants import store as tenants

Out = Callable[[str], None]
TARGET_P95_S = 10.0
TENANT = "locbenchfirsttouch"


@dataclass(frozen=True)
class FirstTouchBench:
    leads: int = 40
    pace_s: float = 0.25
    timer_interval_s: float = 1.0  # the deployment default (LEADMEM_TIMER_INTERVAL_S)
    timeout_s: float = 120.0
    partitions: int = 3
    database: str = "leadmem_bench"
    redis_db: int = 14
    log_dir: Path = field(default_factory=lambda: Path("var/bench/first-touch"))


def midday_zone() -> str:
    """An IANA zone where it is now between 11:00 and 17:00 (no quiet hours)."""
    for offset in range(-12, 15):
        name = f"Etc/GMT{-offset:+d}" if offset else "Etc/GMT"
        if 11 <= datetime.now(UTC).astimezone(ZoneInfo(name)).hour < 17:
            return name
    raise RuntimeError("no zone at midday")


def webhook(contact: str, zone: str) -> bytes:
    event = contact_event(TENANT, contact, first="Ana",
                          phone=f"+4477009{int(uuid.uuid4().int % 10**5):05d}")
    event["timezone"] = zone  # a UK number names no US state: the contact's zone decides
    return json.dumps(event).encode()


def summary(latencies: list[float], leads: int) -> dict[str, Any]:
    ordered = sorted(latencies)
    out: dict[str, Any] = {"leads": leads, "first_touches": len(ordered),
                           "target_p95_s": TARGET_P95_S}
    if ordered:
        out |= {"p50_s": round(nearest_rank(ordered, 0.5), 3),
                "p95_s": round(nearest_rank(ordered, 0.95), 3),
                "max_s": round(ordered[-1], 3)}
        out["ok"] = len(ordered) == leads and out["p95_s"] <= TARGET_P95_S
    else:
        out["ok"] = False
    return out


async def run(settings: Settings, cfg: FirstTouchBench, out: Out) -> dict[str, Any]:
    base = settings.model_copy(update={"timer_interval_s": cfg.timer_interval_s})
    out(f"starting broker, bench database {cfg.database}, fakes and workers ...")
    async with stage(base, [TENANT], tag=uuid.uuid4().hex[:6], database=cfg.database,
                     redis_db=cfg.redis_db, partitions=cfg.partitions,
                     log_dir=cfg.log_dir) as st:
        async with st.env.db.transaction(TENANT) as conn:
            await tenants.set_ai(conn, TENANT, True)
            await tenants.update(conn, TENANT, {"first_touch_sources": ("Zillow",)})
        zone = midday_zone()
        accepted: dict[str, float] = {}
        async with receiver_running(st.settings) as receiver, aiohttp.ClientSession() as http:
            url = webhook_url(receiver)
            out(f"POSTing {cfg.leads} ContactCreate webhooks (source Zillow) to {url}, one "
                f"every {cfg.pace_s:g} s")
            for i in range(cfg.leads):
                contact = f"ct-ft-{i:04d}"
                body = webhook(contact, zone)
                headers = {"Content-Type": "application/json", **signed(body)}
                async with http.post(url, data=body, headers=headers) as answer:
                    if answer.status != 200:
                        raise RuntimeError(f"the receiver answered {answer.status}: "
                                           f"{await answer.text()}")
                    accepted[contact] = time.time()  # the fake stamps with time.time()
                await asyncio.sleep(cfg.pace_s)
            deadline = time.monotonic() + cfg.timeout_s
            while time.monotonic() < deadline:
                sent = {m.contact_id for m in st.ghl.delivered if m.location_id == TENANT}
                if len(sent) >= cfg.leads:
                    break
                await asyncio.sleep(0.2)
        first: dict[str, float] = {}
        for m in st.ghl.delivered:
            if m.location_id == TENANT and m.contact_id in accepted:
                first.setdefault(m.contact_id, m.at)
        latencies = [first[c] - accepted[c] for c in first]
        result = summary(latencies, cfg.leads)
        out(f"first touches {result['first_touches']}/{cfg.leads}; "
            f"P50 {result.get('p50_s')} s, P95 {result.get('p95_s')} s "
            f"(target P95 <= {TARGET_P95_S:g} s): {'ok' if result['ok'] else 'NOT MET'}")
        return result
