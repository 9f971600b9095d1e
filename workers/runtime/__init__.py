"""The runtime every worker shares, and the one composition root.

- `host.py` opens every client through `clients.py` (Postgres, Redis), builds the worker
  (`WorkerSpec.build(resources)`), consumes batches, commits offsets only after a batch's
  writes and publishes, runs the worker's background loops (`background.Loop`) beside the
  consumer, and closes everything in reverse order. The CLI opens its clients through
  `clients.py` too.
- `ports.py`: what a handler needs from outside, as Protocols (`Publisher`, `Transactions`),
  so handlers are tested with fakes.
- `boundary.py` is the one broad `except`: bounded retries, then the dead-letter topic;
  `groups.py` hands a tenant's records of a batch to one transaction.
- `publisher.py`, `kafka.py`, `record.py`, `processed.py` (the idempotency ledger),
  `bounded.py` (per-process state with a bound), `http.py` (/health, /metrics).

A change to how every worker commits, retries or dead-letters goes here; a change to one
worker's decisions never does.
"""
