"""The operators' side of `pipeline.dlq`: reading dead letters back (`letters`: every one, one
at a time, or those at given positions; the latest few; counts per tenant) and replaying them
to their source topics exactly once (`replay`, with the `dlq_replays` ledger on the admin
connection). Used by `leadmem dlq` (workers/cli/dlq_cmds.py) and the admin console
(workers/console), so both list, show and replay the same way. Writing dead letters is the
worker host's (`workers.runtime.boundary`)."""
