"""The metrics worker: per-tenant and per-type figures read off every pipeline topic."""
