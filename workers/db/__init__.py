"""Postgres access: the tenant-scoped transaction helper and the migration runner."""
