"""Behavioural learning: deterministic lead-profile extraction from lead conversations."""
