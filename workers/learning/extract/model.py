"""Typed inputs and output of the lead-profile extractor, mirroring shared/learning/SPEC.md."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Direction = Literal["inbound", "outbound"]
Intent = Literal["buy", "sell", "buy_and_sell", "rent", "invest"]
PropertyType = Literal[
    "single_family", "condo", "townhouse", "multi_family", "land", "mobile_home"
]
Timeline = Literal[
    "asap", "1_3_months", "3_6_months", "6_12_months", "12_plus_months", "browsing"
]
Financing = Literal["cash", "preapproved", "needs_financing"]
MustHave = Literal[
    "pool",
    "garage",
    "yard",
    "basement",
    "home_office",
    "single_story",
    "new_construction",
    "waterfront",
    "good_schools",
    "updated_kitchen",
    "no_hoa",
]
Motivation = Literal[
    "relocation",
    "growing_family",
    "downsizing",
    "upsizing",
    "first_time_buyer",
    "investment",
    "divorce",
    "financial_hardship",
    "retirement",
]

PROFILE_FIELDS: tuple[str, ...] = (
    "intent",
    "budget_min",
    "budget_max",
    "sell_price",
    "bedrooms_min",
    "bathrooms_min",
    "property_type",
    "locations",
    "timeline",
    "financing",
    "must_haves",
    "motivation",
    "has_agent",
    "wants_human",
    "opted_out",
)


class Message(BaseModel):
    """One SMS of the conversation; only inbound bodies state the lead's preferences."""

    model_config = ConfigDict(frozen=True)

    direction: Direction
    body: str
    id: str | None = None
    sent_at: datetime | None = None


class Area(BaseModel):
    """A tenant service area: the only names that may appear in ``locations``."""

    model_config = ConfigDict(frozen=True)

    name: str
    aliases: tuple[str, ...] = ()


class LeadProfile(BaseModel):
    """The lead profile after the last message, with exactly the SPEC fields."""

    intent: Intent | None = None
    budget_min: int | None = None
    budget_max: int | None = None
    sell_price: int | None = None
    bedrooms_min: int | None = None
    bathrooms_min: float | None = None
    property_type: PropertyType | None = None
    locations: list[str] = Field(default_factory=list)
    timeline: Timeline | None = None
    financing: Financing | None = None
    must_haves: list[MustHave] = Field(default_factory=list)
    motivation: Motivation | None = None
    has_agent: bool = False
    wants_human: bool = False
    opted_out: bool = False

    def to_spec_dict(self) -> dict[str, Any]:
        """Return the SPEC JSON shape: nulls, empty lists and false booleans are left out."""
        out: dict[str, Any] = {}
        for name in PROFILE_FIELDS:
            value = getattr(self, name)
            if value is None or value is False or value == []:
                continue
            if isinstance(value, float) and value.is_integer():
                value = int(value)
            out[name] = list(value) if isinstance(value, list) else value
        return out
