"""The receiver benchmark's HTTP load: Debian's `wrk` (C, epoll, one thread by default) driven
by a Lua script this module writes, and the same request bodies for the raw producer.

Every request is a valid GHL `InboundMessage` (`devtools/demo/ghl_events.py`), signed as GHL
signs it (`X-GHL-Signature`, Ed25519 with `devtools.signing`'s key, whose public key the
receiver is given), so every request pays for the verification a real delivery does. Lua
cannot sign, so the Python side (`Bodies.signed`) renders a pool of `pool` distinct bodies
(each its own `webhookId` and `messageId`, locationIds round-robin over `tenants`) with their
signatures, and the script cycles through them: the receiver does not deduplicate (ingestion,
not in this bench, does). The raw producer writes the same bodies, keys and signatures.

Two modes:
- **closed loop** (saturation): every connection sends its next request as soon as the
  previous one is answered; requests/s with enough connections is the receiver's ceiling.
- **paced** (latency): wrk's `delay()` hook, called before every request, hands each request
  the next slot of a fixed schedule at `rate` per second (per wrk thread, slots `threads /
  rate` apart), so the offered rate does not depend on the answers as long as a connection is
  free when its slot comes. A request that could not be sent on its slot (every connection
  still waiting for an answer) is counted as `late` with how late it was: when `late` is 0
  the latencies wrk reports are those of an open loop (no coordinated omission); when it is
  not, they understate, and the result says so.
wrk measures each request from writing it to reading the whole answer.
"""

from __future__ import annotations

import asyncio
import json
import re
import resource
import shutil
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from devtools.demo.ghl_events import inbound_message
from devtools.signing import signature
from workers.receiver.app import WEBHOOK_PATH

WRK_INSTALL = "apt-get install -y wrk (bash scripts/services.sh installs it when missing)"
# Placeholders in the body template, replaced per body of the pool.
_LOC, _WH, _MSG = "@@LOC@@", "@@WH@@", "@@MSG@@"
POOL = 1000  # distinct signed bodies the requests cycle through
_RESULT = re.compile(r"^LEADMEM (\{.*\})$", re.MULTILINE)


class LoadGeneratorMissing(RuntimeError):
    pass


def wrk_path() -> str:
    path = shutil.which("wrk")
    if path is None:
        raise LoadGeneratorMissing(f"`wrk` is not installed: {WRK_INSTALL}")
    return path


@dataclass(frozen=True)
class Signed:
    """One body of the pool: its key (locationId), bytes and `X-GHL-Signature`."""

    location: str
    body: bytes
    signature: str


@dataclass(frozen=True)
class Bodies:
    """The requests' bodies: one template, three fields per body of the pool."""

    tag: str  # this run's, so ids are new on a reused broker too
    tenants: int
    pool: int = POOL

    def template(self) -> str:
        stamp = datetime.now(UTC)
        event = inbound_message(_LOC, "ct-bench", "Is the 3 bed in Round Rock still "
                                "available? We're pre-approved up to 550k.",
                                message_id=_MSG, webhook_id=_WH, conversation="conv-bench",
                                when=stamp)
        return json.dumps(event, separators=(",", ":"))

    def location(self, n: int) -> str:
        return f"bench-{self.tag}-loc{n % self.tenants:04d}"

    def render(self, template: str, n: int) -> tuple[str, bytes]:
        """The key and bytes of body `n` of the pool."""
        location = self.location(n)
        body = (template.replace(_LOC, location).replace(_WH, f"wh-{self.tag}-{n}")
                .replace(_MSG, f"msg-{self.tag}-{n}"))
        return location, body.encode()

    def signed(self, template: str) -> list[Signed]:
        """The pool: every body with its signature (request `n` sends body `n % pool`)."""
        out = []
        for n in range(self.pool):
            location, body = self.render(template, n)
            out.append(Signed(location, body, signature(body)))
        return out


def lua_script(pool: list[Signed], *, rate_per_thread: float | None) -> str:
    """wrk's script: the pool's bodies and signatures, cycled; pacing with `rate_per_thread`
    (None: closed loop)."""
    for item in pool:
        if b"]==]" in item.body:
            raise ValueError("a body cannot be quoted for Lua")
    bodies = ",\n".join(f"[==[{item.body.decode()}]==]" for item in pool)
    signatures = ",\n".join(f'"{item.signature}"' for item in pool)
    paced = "" if rate_per_thread is None else f"""
local interval_us = {1e6 / rate_per_thread!r}
local slot = nil
late, late_max = 0, 0

function delay()
  local now = now_us()
  if slot == nil then slot = now end
  local at = slot
  slot = slot + interval_us
  local wait = at - now
  if wait < -1000 then  -- more than a timer tick behind its slot: every connection was busy
    late = late + 1
    if -wait > late_max then late_max = -wait end
  end
  if wait <= 0 then return 0 end
  return math.floor(wait / 1000)
end
"""
    return f"""-- written by devtools/bench/receiver_load.py for `leadmem bench receiver`
local ffi = require("ffi")
ffi.cdef[[
typedef struct {{ long tv_sec; long tv_nsec; }} leadmem_timespec;
int clock_gettime(int clk_id, leadmem_timespec *tp);
]]
local ts = ffi.new("leadmem_timespec")
local function now_us()
  ffi.C.clock_gettime(1, ts)  -- CLOCK_MONOTONIC
  return tonumber(ts.tv_sec) * 1000000 + tonumber(ts.tv_nsec) / 1000
end

local threads = {{}}
local next_id = 0
function setup(thread)
  thread:set("id", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end

id = 0
local n = -1
local bodies = {{
{bodies}
}}
local signatures = {{
{signatures}
}}
local pool = {len(pool)}

function request()
  n = n + 1
  local i = n % pool + 1
  local headers = {{["Content-Type"] = "application/json", ["X-GHL-Signature"] = signatures[i]}}
  return wrk.format("POST", "{WEBHOOK_PATH}", headers, bodies[i])
end
{paced}
function done(summary, latency, requests)
  local late_sum, late_max_all = 0, 0
  for _, t in ipairs(threads) do
    late_sum = late_sum + (t:get("late") or 0)
    late_max_all = math.max(late_max_all, t:get("late_max") or 0)
  end
  local e = summary.errors
  io.write(string.format(
    'LEADMEM {{"requests":%d,"duration_us":%d,"non_2xx":%d,"connect_errors":%d,' ..
    '"read_errors":%d,"write_errors":%d,"timeouts":%d,"p50_us":%d,"p90_us":%d,' ..
    '"p99_us":%d,"p999_us":%d,"max_us":%d,"mean_us":%.1f,"late":%d,"late_max_us":%d}}\\n',
    summary.requests, summary.duration, e.status, e.connect, e.read, e.write, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency:percentile(99.9), latency.max, latency.mean, late_sum, late_max_all))
end
"""


@dataclass(frozen=True)
class WrkRun:
    """One wrk run's figures (latencies in microseconds) and the CPU seconds wrk used."""

    requests: int
    duration_s: float
    non_2xx: int
    socket_errors: int
    p50_us: int
    p90_us: int
    p99_us: int
    p999_us: int
    max_us: int
    late: int
    late_max_us: int
    cpu_s: float

    @property
    def rate(self) -> float:
        return self.requests / max(self.duration_s, 1e-9)


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


async def run_wrk(url: str, script: Path, *, threads: int, connections: int,
                  duration_s: float, timeout_s: float = 10.0) -> WrkRun:
    """Run wrk to the end and parse the script's result line. Its CPU time is read from the
    bench's reaped children (wrk is the only child that ends while it runs)."""
    cpu0 = _children_cpu()
    proc = await asyncio.create_subprocess_exec(
        wrk_path(), f"-t{threads}", f"-c{max(connections, threads)}",
        f"-d{max(1, round(duration_s))}s", f"--timeout={timeout_s:g}s", "-s", str(script), url,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await proc.communicate()
    cpu = _children_cpu() - cpu0
    text = out.decode(errors="replace")
    match = _RESULT.search(text)
    if proc.returncode != 0 or match is None:
        raise RuntimeError(f"wrk failed (exit {proc.returncode}):\n{text[-2000:]}"
                           f"{err.decode(errors='replace')[-2000:]}")
    r: dict[str, Any] = json.loads(match.group(1))
    return WrkRun(
        requests=r["requests"], duration_s=r["duration_us"] / 1e6, non_2xx=r["non_2xx"],
        socket_errors=r["connect_errors"] + r["read_errors"] + r["write_errors"]
        + r["timeouts"],
        p50_us=r["p50_us"], p90_us=r["p90_us"], p99_us=r["p99_us"], p999_us=r["p999_us"],
        max_us=r["max_us"], late=r["late"], late_max_us=r["late_max_us"], cpu_s=round(cpu, 2))


async def wrk_version() -> str:
    proc = await asyncio.create_subprocess_exec(
        wrk_path(), "--version", stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT)
    out, _ = await proc.communicate()
    first = out.decode(errors="replace").strip().splitlines()
    return first[0].split(" Copyright")[0] if first else "wrk"
