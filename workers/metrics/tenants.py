"""Bounded label values for data-driven labels (tenants, error types, reply modes).

With thousands of tenants a `tenant` label on every series would overwhelm Prometheus, so only
the top-N tenants by recent volume get their own label value; everyone else shares `other`.

- A tenant is admitted at once while fewer than N tenants hold a label, so a deployment with
  N tenants or fewer sees every tenant by name.
- Volumes decay (halve) at every re-rank, so "top" means recently busy. At a re-rank a busier
  tenant replaces the quietest labelled one only when its volume is `margin` times larger
  (hysteresis: two tenants of similar volume do not swap labels back and forth).
- An evicted tenant's series are removed (the `on_evict` callback), so at most N + 1 tenant
  values exist per metric at any time; its later records count under `other`.
"""

from __future__ import annotations

import re
from collections.abc import Callable

OTHER = "other"
_SAFE = re.compile(r"^[A-Za-z0-9_.:@+\-]{1,64}$")


class TenantLabels:
    def __init__(
        self,
        limit: int,
        *,
        decay: float = 0.5,
        margin: float = 1.25,
        on_evict: Callable[[str], None] = lambda _: None,
    ) -> None:
        self.limit = max(0, limit)
        self.decay = decay
        self.margin = margin
        self._on_evict = on_evict
        self._volume: dict[str, float] = {}
        self._labelled: set[str] = set()

    @property
    def labelled(self) -> frozenset[str]:
        return frozenset(self._labelled)

    @property
    def tracked(self) -> int:
        return len(self._volume)

    def label(self, tenant: str | None) -> str:
        """The label value for one record of `tenant` (counts towards its volume)."""
        if not tenant or tenant == OTHER or not _SAFE.match(tenant):
            return OTHER
        self._volume[tenant] = self._volume.get(tenant, 0.0) + 1.0
        if tenant in self._labelled:
            return tenant
        if len(self._labelled) < self.limit:
            self._labelled.add(tenant)
            return tenant
        return OTHER

    def rerank(self) -> list[str]:
        """Give labels to clearly busier tenants, decay volumes; returns the evicted tenants."""
        vol = self._volume.get
        challengers = sorted(
            (t for t in self._volume if t not in self._labelled),
            key=lambda t: vol(t, 0.0), reverse=True,
        )
        members = sorted(self._labelled, key=lambda t: vol(t, 0.0))  # quietest first
        evicted: list[str] = []
        for challenger in challengers:
            if not members or vol(challenger, 0.0) <= vol(members[0], 0.0) * self.margin:
                break
            quietest = members.pop(0)
            self._labelled.discard(quietest)
            self._labelled.add(challenger)
            evicted.append(quietest)
        for tenant, volume in list(self._volume.items()):
            volume *= self.decay
            if volume < 0.5 and tenant not in self._labelled:
                del self._volume[tenant]  # quiet and unlabelled: forget it (bounded memory)
            else:
                self._volume[tenant] = volume
        for tenant in evicted:
            self._on_evict(tenant)
        return evicted


class BoundedValues:
    """The first `limit` distinct values of a label keep their name; later ones are `other`."""

    def __init__(self, limit: int, known: frozenset[str] = frozenset()) -> None:
        self.limit = limit
        self._seen: set[str] = set(known)

    def __call__(self, value: object) -> str:
        text = str(value)[:64] if value is not None else "none"
        if text in self._seen:
            return text
        if len(self._seen) < self.limit:
            self._seen.add(text)
            return text
        return OTHER
