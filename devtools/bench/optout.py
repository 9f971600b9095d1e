"""The opt-out detector (workers.consent.optout): its accuracy on a labelled phrasing set, by
class, and its cost per message; and the reader of the lead's word on *when*
(workers.consent.timing): its accuracy on a labelled set of requests, and its cost.

``report(path)`` reads a JSONL set ({"text", "label", "class", "lang"} a line) and returns the
per-label precision / recall, the per-class accuracy and every miss. ``classify_cost()`` times
``classify`` on a realistic mix of inbound traffic: mostly ordinary lead texts (the inbound
bodies of the learning test sets), a few opt-outs, unsure messages and near misses, with
``classify``'s cache bypassed: each message is read afresh, as a new inbound one is.

No CLI here: ``leadmem bench optout`` is wired elsewhere.
"""

from __future__ import annotations

import json
import random
import statistics
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from workers.consent import optout, timing

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_SET = ROOT / "tests" / "unit" / "consent" / "phrasings.jsonl"
TIMING_SET = ROOT / "tests" / "unit" / "consent" / "timing_heldout.jsonl"
LABELS: tuple[str | None, ...] = ("opt_out", "resubscribe", "unsure", None)


def load(path: Path | str = DEFAULT_SET) -> list[dict[str, Any]]:
    rows = []
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        if line.strip():
            rows.append(json.loads(line))
    return rows


def score(rows: Iterable[dict[str, Any]],
          classify: Callable[[str], str | None] = optout.classify) -> dict[str, Any]:
    """Per-label precision / recall, per-class accuracy and the misses of `rows`."""
    tp: Counter[str] = Counter()
    predicted: Counter[str] = Counter()
    actual: Counter[str] = Counter()
    by_class: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    misses = []
    for row in rows:
        want, got = row["label"], classify(row["text"])
        predicted[str(got)] += 1
        actual[str(want)] += 1
        hit = got == want
        tp[str(want)] += hit
        by_class[row["class"]][0] += hit
        by_class[row["class"]][1] += 1
        if not hit:
            misses.append({"text": row["text"], "class": row["class"], "want": want, "got": got})
    labels = {}
    for label in map(str, LABELS):
        labels[label] = {
            "support": actual[label],
            "predicted": predicted[label],
            "precision": tp[label] / predicted[label] if predicted[label] else 1.0,
            "recall": tp[label] / actual[label] if actual[label] else 1.0,
        }
    return {
        "n": sum(actual.values()),
        "accuracy": sum(tp.values()) / max(1, sum(actual.values())),
        "labels": labels,
        "classes": {name: {"n": n, "accuracy": hits / n}
                    for name, (hits, n) in sorted(by_class.items())},
        "misses": misses,
    }


def report(path: Path | str = DEFAULT_SET) -> dict[str, Any]:
    """`score` of the labelled set at `path`."""
    return score(load(path))


# --- the lead's word on when ----------------------------------------------------------------

def timing_reading(case: dict[str, Any]) -> dict[str, str]:
    """What `timing.read` makes of a case ({"text", "now", "zone"}), in the set's terms: its
    first request's kind, a pause's end on the lead's clock ("YYYY-MM-DD" at midnight, else
    "YYYY-MM-DDTHH:MM"; a time already here is no pause), hours in their text form."""
    zone = ZoneInfo(case["zone"])
    now = datetime.fromisoformat(case["now"].replace("Z", "+00:00"))
    for request in timing.read(case["text"])[:1]:
        if isinstance(request, timing.Wait):
            end = request.ends_after(now, [zone])
            if end is None:
                break
            local = end.astimezone(zone)
            until = (f"{local:%Y-%m-%d}" if (local.hour, local.minute) == (0, 0)
                     else f"{local:%Y-%m-%dT%H:%M}")
            return {"kind": "pause", "until": until}
        if isinstance(request, timing.Hours):
            return {"kind": "hours", "hours": str(request.hours)}
        return {"kind": "resume"}
    return {"kind": "none"}


def timing_score(rows: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """Per kind: the cases, how many were read as that kind, how many exactly (the pause's
    end, the hours); and every miss."""
    by_kind: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])  # n, kind right, exact
    misses = []
    for row in rows:
        want, got = row["expect"], timing_reading(row)
        counts = by_kind[want["kind"]]
        counts[0] += 1
        counts[1] += got["kind"] == want["kind"]
        counts[2] += got == want
        if got != want:
            misses.append({"id": row["id"], "text": row["text"], "want": want, "got": got})
    n = sum(c[0] for c in by_kind.values())
    return {
        "n": n,
        "kind_accuracy": sum(c[1] for c in by_kind.values()) / max(1, n),
        "exact": sum(c[2] for c in by_kind.values()) / max(1, n),
        "kinds": {k: {"n": c[0], "kind_right": c[1], "exact": c[2]}
                  for k, c in sorted(by_kind.items())},
        "misses": misses,
    }


# --- cost ---------------------------------------------------------------------------------------

_SHARED_DEV = ROOT.parent / "shared" / "learning" / "dev.jsonl"
_HELDOUT = ROOT / "tests" / "unit" / "learning" / "heldout.jsonl"
_ORDINARY = (
    "yes still looking", "3 beds 2 baths, around 350k", "can we see it saturday at 10?",
    "We're pre-approved for 420k with Chase", "Is the one on Maple still available?",
    "my wife and I want something near the schools in cary", "thanks! what's the HOA?",
    "Sí, buscamos una casa de 3 recámaras en Round Rock", "we can stop by after work",
    "lease ends in june so we start looking in april", "can you send me more like that one",
    "not sure yet, maybe next year", "how much are the taxes on it", "ok sounds good 👍",
    "Do they allow dogs? We have two labs", "cash buyer, close in 2 weeks", "who's the builder?",
)
_TRAFFIC_RARE = (
    "STOP", "stop texting me", "please remove me from your list", "wrong number",
    "who is this?", "not interested", "no me escriban más", "Stop, that's gorgeous!",
    "cancel the showing tomorrow", "START", "unsubscribe", "I hereby revoke my consent",
)


def traffic(n: int = 4000, *, seed: int = 7, rare_share: float = 0.12) -> list[str]:
    """`n` inbound messages: ordinary lead texts mostly, `rare_share` consent ones (the
    cost is measured with the cache bypassed, so repeats cost as much as new texts)."""
    ordinary: list[str] = list(_ORDINARY)
    for source in (_HELDOUT, _SHARED_DEV):
        if source.exists():
            for line in source.read_text(encoding="utf-8").splitlines():
                case = json.loads(line) if line.strip() else {}
                ordinary += [m["body"] for m in case.get("messages", ())
                             if m.get("direction") == "inbound" and m.get("body")]
    rng = random.Random(seed)
    return [rng.choice(_TRAFFIC_RARE if rng.random() < rare_share else ordinary)
            for _ in range(n)]


def classify_cost(messages: list[str] | None = None, *, rounds: int = 5,
                  read: Callable[[str], object] | None = None) -> dict[str, float]:
    """µs per message of `classify` (or `read`: `timing.read`) with its cache bypassed (each
    text read afresh, as a new inbound message is): the best of `rounds` passes over
    `messages`, plus P50/P99."""
    texts = messages if messages is not None else traffic()
    raw: Callable[[str], object] = (
        read if read is not None else getattr(optout.classify, "__wrapped__", optout.classify))
    for text in texts[:200]:  # warm the per-character fold cache and the regex engine
        raw(text)
    best = float("inf")
    per: list[float] = []
    for _ in range(rounds):
        times = []
        start = time.perf_counter()
        for text in texts:
            t = time.perf_counter()
            raw(text)
            times.append(time.perf_counter() - t)
        best = min(best, time.perf_counter() - start)
        if not per or sum(times) < sum(per):
            per = times
    per_us = sorted(x * 1e6 for x in per)
    return {
        "messages": float(len(texts)),
        "mean_us": best / len(texts) * 1e6,
        "p50_us": statistics.median(per_us),
        "p99_us": per_us[min(len(per_us) - 1, int(0.99 * len(per_us)))],
    }


def send_window_cost(rounds: int = 2000) -> dict[str, float]:
    """µs per `send_window` call (it runs before every text) for three leads: one place, a
    state spanning two zones, and five disagreeing sources (zone, state, ZIP, a split area
    code), at a moment that holds (the search forward is the expensive path)."""
    from datetime import UTC, datetime
    from datetime import time as clock

    from workers.consent.quiet import send_window, tenant_window, whereabouts

    leads = {
        "one_place": whereabouts(contact_tz="America/Chicago", state="IL", postal_code=None,
                                 phone=None, tenant_tz=None),
        "two_zones": whereabouts(contact_tz=None, state="TX", postal_code=None, phone=None,
                                 tenant_tz=None),
        "disagreeing": whereabouts(contact_tz="America/Los_Angeles", state="RI",
                                   postal_code="73301", phone="+18505550100", tenant_tz=None),
    }
    quiet = tenant_window(clock(12), clock(13))
    night = datetime(2027, 12, 24, 3, 30, tzinfo=UTC)
    out: dict[str, float] = {}
    for name, where in leads.items():
        send_window(night, where, quiet)
        start = time.perf_counter()
        for _ in range(rounds):
            send_window(night, where, quiet)
        out[f"{name}_us"] = (time.perf_counter() - start) / rounds * 1e6
    return out
