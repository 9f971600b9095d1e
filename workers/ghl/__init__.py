"""The GHL API as this project calls it, below the workers that use it (`outbound` sends
replies, `crm` writes back to contacts; neither owns the client): `client` (one request
function: token, `Version`, timeouts, statuses and the errors they mean), `sender` (the
per-location rate limit, retries and token refresh every call goes through), `ratelimit`,
`tokens` and `token_store` (static and OAuth tokens, refresh-token rotation), `contacts`
(tasks, notes, tags, fields and DND on a contact) and `metrics`.

Dependencies point one way: `outbound` -> `crm` -> `ghl`.
"""
