"""Bounded per-process state: a set and a map that keep their `maxsize` most recently used
entries and drop the least recently used one beyond it.

Workers keep small per-tenant state (which tenants' rows are known to exist, a rate-limit
bucket per location, a Claude client per key, a circuit breaker per tenant). With thousands
of tenants over a process's lifetime a plain `set` or `dict` grows with every tenant ever
seen; these do not. Every user of them must treat a dropped entry as "not known": rebuilt or
re-checked on the next use (an idempotent `INSERT ... ON CONFLICT DO NOTHING`, a fresh
bucket, a new client), never as a loss of anything durable.

An `OrderedDict` does the work (moves and pops at either end are O(1)): no new dependency
for two small classes (cachetools' `LRUCache` would be one, with no typed eviction hook).
Not thread-safe; workers use them from one event loop.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterator
from typing import Generic, TypeVar, overload

K = TypeVar("K")
V = TypeVar("V")
D = TypeVar("D")

# Per-tenant entries a process keeps of each kind by default: far more tenants than one
# process serves at once, so only tenants idle for long are ever dropped.
TENANT_STATE_MAX = 10_000


def _check(maxsize: int) -> int:
    if maxsize < 1:
        raise ValueError(f"maxsize must be at least 1, not {maxsize}")
    return maxsize


class LRUMap(Generic[K, V]):
    """A mapping of at most `maxsize` entries. `get`, `[]` and setting a key make it the most
    recently used; membership (`in`) does not. Beyond `maxsize` the least recently used entry
    is dropped and handed to `on_evict`."""

    def __init__(self, maxsize: int, on_evict: Callable[[K, V], None] | None = None) -> None:
        self.maxsize = _check(maxsize)
        self._on_evict = on_evict
        self._data: OrderedDict[K, V] = OrderedDict()

    @overload
    def get(self, key: K) -> V | None: ...
    @overload
    def get(self, key: K, default: D) -> V | D: ...

    def get(self, key: K, default: object = None) -> object:
        try:
            value = self._data[key]
        except KeyError:
            return default
        self._data.move_to_end(key)
        return value

    def __getitem__(self, key: K) -> V:
        value = self._data[key]
        self._data.move_to_end(key)
        return value

    def __setitem__(self, key: K, value: V) -> None:
        self._data[key] = value
        self._data.move_to_end(key)
        while len(self._data) > self.maxsize:
            old_key, old_value = self._data.popitem(last=False)
            if self._on_evict is not None:
                self._on_evict(old_key, old_value)

    def __delitem__(self, key: K) -> None:
        del self._data[key]

    def pop(self, key: K, default: V | None = None) -> V | None:
        return self._data.pop(key, default)

    def __contains__(self, key: object) -> bool:
        return key in self._data

    def __len__(self) -> int:
        return len(self._data)

    def __iter__(self) -> Iterator[K]:
        return iter(self._data)

    def values(self) -> list[V]:
        return list(self._data.values())

    def items(self) -> list[tuple[K, V]]:
        return list(self._data.items())

    def clear(self) -> None:
        """Empty the map (no `on_evict`: the caller owns what it clears)."""
        self._data.clear()


class BoundedSet(Generic[K]):
    """A set of at most `maxsize` members. A hit (`in`) and `add` make a member the most
    recently used; beyond `maxsize` the least recently used member is dropped."""

    def __init__(self, maxsize: int) -> None:
        self.maxsize = _check(maxsize)
        self._data: OrderedDict[K, None] = OrderedDict()

    def add(self, key: K) -> None:
        self._data[key] = None
        self._data.move_to_end(key)
        while len(self._data) > self.maxsize:
            self._data.popitem(last=False)

    def discard(self, key: K) -> None:
        self._data.pop(key, None)

    def __contains__(self, key: object) -> bool:
        if key not in self._data:
            return False
        self._data.move_to_end(key)  # type: ignore[arg-type]  # present, so a K
        return True

    def __len__(self) -> int:
        return len(self._data)

    def __iter__(self) -> Iterator[K]:
        return iter(self._data)
