"""The GHL webhook receiver: the HTTP edge that puts deliveries on `ghl.events`
(`leadmem run receiver`; see docs/operations.md, "The webhook receiver").

The core is `accept` (the pure decision on one delivery); the shell is `app` (the HTTP route)
and `service` (the record a delivery becomes, and the receiver's `WorkerSpec`: a worker that
consumes nothing, hosted by `runtime.host.WorkerHost`, which opens its producer through
`runtime.clients`, serves its route beside `/health` and `/metrics`, and starts and stops it);
`metrics` counts. `install` serves the Marketplace app's OAuth callback (`GET /oauth/callback`)
on the same port, with its own lazily opened database pool (`install_pages`: its pages).
"""
