"""Helpers shared by the integration tests: services, producers and topic readers."""
