"""Fault script shared by the fake servers: scripted next-N faults plus a seeded random burst mode.

Kept deterministic (seeded RNG) so fault tests and benchmarks are reproducible.
"""

from __future__ import annotations

import random
from collections import deque
from dataclasses import asdict, dataclass, field
from typing import Any

_FAULT_KEYS = ("status", "delay", "malformed", "retry_after", "message", "error_type", "path",
               "after", "reset")


@dataclass
class Fault:
    """One injected failure. `delay` is applied first, then `reset`, `malformed` or `status`
    (if any).

    A delay-only fault still lets the request through afterwards (slow upstream); `path`
    restricts the fault to requests whose path starts with it. `after`: the request is
    handled first (it takes effect: a message is delivered, a task made) and only its answer
    is replaced, as by a gateway that timed out on it (`status=504, after=True`: a 504 that
    did send). `reset`: no answer at all, the connection is cut (TCP RST) after the request
    was read (with `after`: once it was handled).
    """

    status: int | None = None
    delay: float = 0.0
    malformed: bool = False
    retry_after: float | None = None
    message: str | None = None
    error_type: str | None = None
    path: str | None = None
    after: bool = False
    reset: bool = False
    times: int = 1

    def matches(self, path: str) -> bool:
        return self.path is None or path.startswith(self.path)

    def to_json(self) -> dict[str, Any]:
        return {
            k: v for k, v in asdict(self).items() if v not in (None, False, 0.0) or k == "times"
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Fault:
        unknown = set(data) - {*_FAULT_KEYS, "times"}
        if unknown:
            raise ValueError(f"unknown fault keys: {sorted(unknown)}")
        fault = cls(**data)
        if fault.times < 1:
            raise ValueError("times must be >= 1")
        if fault.status is None and not fault.malformed and not fault.reset:
            if fault.delay <= 0:
                raise ValueError("a fault needs status, malformed, reset or delay")
            if fault.after:
                raise ValueError("an `after` fault replaces the answer: status, malformed "
                                 "or reset")
        return fault


@dataclass
class Burst:
    """Random failure mode: each matching request fails with `fault` at `probability`."""

    probability: float
    fault: Fault
    rng: random.Random = field(repr=False, default_factory=random.Random)

    def to_json(self) -> dict[str, Any]:
        return {"probability": self.probability, "fault": self.fault.to_json()}


class FaultScript:
    """Queue of upcoming faults (consumed in order) with an optional random burst fallback."""

    def __init__(self, seed: int = 0) -> None:
        self._seed = seed
        self._queue: deque[Fault] = deque()
        self.burst: Burst | None = None
        self.injected = 0

    def push(self, *faults: Fault) -> None:
        """Append faults; each fires for its next `times` matching requests."""
        self._queue.extend(Fault(**asdict(f)) for f in faults)  # copy: `times` is mutated

    def set_burst(self, probability: float, fault: Fault, seed: int | None = None) -> None:
        if not 0.0 <= probability <= 1.0:
            raise ValueError("probability must be within [0, 1]")
        rng = random.Random(self._seed if seed is None else seed)
        self.burst = Burst(probability=probability, fault=fault, rng=rng)

    def clear(self) -> None:
        self._queue.clear()
        self.burst = None

    @property
    def pending(self) -> int:
        return sum(f.times for f in self._queue)

    def next(self, path: str) -> Fault | None:
        """The fault for a request on `path`, if any; scripted faults win over the burst."""
        for fault in self._queue:
            if fault.matches(path):
                fault.times -= 1
                if fault.times == 0:
                    self._queue.remove(fault)
                self.injected += 1
                return fault
        burst = self.burst
        if burst and burst.fault.matches(path) and burst.rng.random() < burst.probability:
            self.injected += 1
            return burst.fault
        return None

    def apply_control(self, data: dict[str, Any]) -> None:
        """Apply the fault part of a `/_control` payload: `faults` list and `burst` object/null."""
        if "faults" in data:
            self.push(*(Fault.from_json(f) for f in data["faults"]))
        if "burst" in data:
            spec = data["burst"]
            if spec is None:
                self.burst = None
            else:
                self.set_burst(
                    float(spec["probability"]), Fault.from_json(spec["fault"]), spec.get("seed")
                )

    def state(self) -> dict[str, Any]:
        return {
            "pending_faults": self.pending,
            "injected": self.injected,
            "queue": [f.to_json() for f in self._queue],
            "burst": self.burst.to_json() if self.burst else None,
        }
