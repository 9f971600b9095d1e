"""The runtime every worker shares, and the one composition root.

- `host.py` opens every client through `clients.py` (Postgres, Redis; a worker's `build`
  opens Claude or a bare Kafka producer there too, on the host's stack), builds the worker
  (`WorkerSpec.build(resources)`), consumes batches, commits offsets only after a batch's
  writes and publishes, runs the worker's background loops (`background.Loop`) beside the
  consumer, and closes everything in reverse order. A worker that consumes nothing (the
  webhook receiver) is hosted too: no consumer, its routes served beside `/health` and
  `/metrics`. The CLI opens its clients through `clients.py` too.
- `ports.py`: what a handler needs from outside, as Protocols (`Publisher`, `Transactions`,
  `Scoped` with its real `Bound`), so handlers are tested with fakes.
- `boundary.py` is the one broad `except`: bounded retries, then the dead-letter topic;
  `groups.py` hands a tenant's records of a batch to one transaction.
- `publisher.py`, `kafka.py`, `record.py`, `processed.py` (the idempotency ledger),
  `bounded.py` (per-process state with a bound), `http.py` (/health, /metrics, a worker's
  routes).

A change to how every worker commits, retries or dead-letters goes here; a change to one
worker's decisions never does.
"""
