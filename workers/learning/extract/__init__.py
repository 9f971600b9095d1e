"""Deterministic lead-profile extraction from a lead conversation (shared/learning/SPEC.md).

``extract_profile`` is pure: no I/O, no network, no clock; ``now`` is passed in.
"""

from .case import extract_case
from .model import Area, LeadProfile, Message
from .pipeline import extract_profile, extract_profile_with_sources

__all__ = [
    "Area",
    "LeadProfile",
    "Message",
    "extract_case",
    "extract_profile",
    "extract_profile_with_sources",
]
