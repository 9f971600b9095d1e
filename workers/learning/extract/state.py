"""The running profile while messages are read, remembering which message set each field.

Every rule reports through this builder so "latest statement wins" and per-field sources
(for fact history) are handled in one place.
"""

from __future__ import annotations

from typing import Any

from .model import PROFILE_FIELDS, LeadProfile


class ProfileBuilder:
    """Mutable profile state plus the index of the message that last changed each field."""

    def __init__(self) -> None:
        self.values: dict[str, Any] = {name: None for name in PROFILE_FIELDS}
        self.values["locations"] = []
        self.values["must_haves"] = []
        for name in ("has_agent", "wants_human", "opted_out"):
            self.values[name] = False
        self.sources: dict[str, int] = {}
        self.preapproval: int | None = None
        self.preapproval_source: int | None = None

    def copy(self) -> ProfileBuilder:
        """An independent builder in the same state (list fields copied)."""
        other = ProfileBuilder.__new__(ProfileBuilder)
        other.values = {k: list(v) if isinstance(v, list) else v for k, v in self.values.items()}
        other.sources = dict(self.sources)
        other.preapproval = self.preapproval
        other.preapproval_source = self.preapproval_source
        return other

    def get(self, name: str) -> Any:
        """Current value of a field."""
        return self.values[name]

    def set(self, name: str, value: Any, index: int) -> None:
        """Overwrite a scalar field (the latest statement wins)."""
        self.values[name] = value
        self.sources[name] = index

    def add(self, name: str, item: str, index: int) -> None:
        """Add an item to a list field (kept once, in first-mention order)."""
        items: list[str] = self.values[name]
        if item not in items:
            items.append(item)
        self.sources[name] = index

    def remove(self, name: str, item: str, index: int) -> None:
        """Withdraw an item from a list field ("scratch the pool", "not Pflugerville")."""
        items: list[str] = self.values[name]
        if item in items:
            items.remove(item)
            self.sources[name] = index

    def build(self) -> tuple[LeadProfile, dict[str, int]]:
        """Freeze into a :class:`LeadProfile` and the sources of its non-empty fields."""
        values = dict(self.values)
        sources = dict(self.sources)
        if values["budget_max"] is None and values["budget_min"] is None and self.preapproval:
            # A pre-approval amount stands in for a budget only when none was stated.
            values["budget_max"] = self.preapproval
            if self.preapproval_source is not None:
                sources["budget_max"] = self.preapproval_source
        profile = LeadProfile.model_validate(values)
        present = profile.to_spec_dict()
        return profile, {k: v for k, v in sources.items() if k in present}
