"""Memory: the system of record for every lead's conversation, and its working context
(`conversation.events`, `replies.delivered` -> `memory.updated`).

- Pure core: `core.py` (what an event changes and the `memory.updated` it produces; the
  contact's tag and DND diff; the summary fold), `echo.py` (a new message, a redelivery or
  the echo of our own reply; a human takeover), `summary.py`, `rows.py` (a row -> the
  `MemoryPart` every reader gets).
- Shell: `worker.py` (transaction, idempotency ledger, cache write-through, publish),
  `ports.py` (what it needs of the store and the cache, as Protocols its unit tests fake),
  `store.py` (the statements), `lead.py` (a group's leads in one query), `context.py` and
  `cache.py` (the Redis working context, read through to Postgres).
- Operator tools: `tools.py` (export, forget, rebuild), `legacy.py`/`legacy_import.py`.
"""
