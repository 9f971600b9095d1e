"""The outbound connector: sends drafted replies through the GHL API, at most once each, and
writes CRM changes back through the same per-location limit.

`delivery.py` claims a reply (its status machine is `workers.replies`; consent asked again by
`workers.consent.decision` before every POST, the send/hold/block choice being
`workers.replies.claim`); `workers.ghl` speaks to GHL (its `sender` is the one per-location
limit for replies and write-backs); `scheduler.py` re-queues held replies; `worker.py` wires
them, with the `workers.crm` write-back.
"""
