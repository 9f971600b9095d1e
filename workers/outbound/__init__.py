"""The outbound connector: sends drafted replies through the GHL API, at most once each, and
writes CRM changes back through the same per-location limit.

`delivery.py` claims a reply (its status machine is `workers.replies`; consent asked again by
`workers.consent.decision` before every POST); `sender.py`, `ratelimit.py`, `tokens.py` and
`ghl_client.py` speak to GHL; `scheduler.py` re-queues held replies; `worker.py` wires them.
"""
