"""The GHL API as this project calls it, below the workers that use it (`outbound` sends
replies, `crm` writes back to contacts; neither owns the client): `client` (one request
function: token, `Version`, timeouts, statuses and the errors they mean), `outcome` (the one
table of what an answer proves: taken, not taken, refused, in doubt), `sender` (the
per-location rate limit, retries and token refresh every call goes through), `limits` (GHL's
limits as pure decisions), `ratelimit` (the `Limiter` Protocol, one process's count),
`shared_limit` (the count every replica shares in Redis),
`tokens` and `token_store` (static and OAuth tokens, refresh-token rotation, each token for
its own location only), `oauth` (GHL's OAuth endpoints, their answers read and bound to what
was asked for, the install link's scopes), `installs` (what an install of the Marketplace app
stores), `company_tokens` (tokens minted with an agency's token), `contacts` (tasks, notes,
tags, fields and DND on a contact), `calendars` (free slots, booking, a contact's
appointments; a slot taken, a booking in doubt) and `metrics`.

Dependencies point one way: `outbound` -> `crm` -> `ghl`.
"""
