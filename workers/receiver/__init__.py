"""The GHL webhook receiver: the HTTP edge that puts deliveries on `ghl.events`
(`leadmem run receiver`; see docs/operations.md, "The webhook receiver").

`accept` decides (pure), `app` speaks HTTP, `service` produces and runs; `metrics` counts.
"""
