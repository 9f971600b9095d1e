"""The admin console (`leadmem run console`; docs/operations.md, "Console"): server-rendered
pages where operators (every tenant) and agency admins (their one tenant) see what the
pipeline knows and steer it: tenants, a tenant's settings, leads and one lead, held replies,
the DLQ, the audit log, with charts drawn on the server.

Core (pure, `tests/unit/console`): `passwords` (policy; Argon2id), `sessions` (tokens,
expiry, CSRF), `ratelimit.refused`, `access` (who sees which tenant), `forms` (the settings
form over `workers.tenants.validate`), `outcomes`, `search`, `timeline`, `charts` (SVG).
Shell: `accounts` and `audit` (its tables, migrations/0019), `ratelimit.LoginThrottle`
(Redis), `web` (sessions, CSRF check, rendering), `views/` (one module per page), `app`
(the routes and form ids), `service` (its `WorkerSpec`). Every action goes through the
owner the CLI uses: `workers.tenants` (settings), `workers.replies` (held drafts),
`workers.dlq` (replays).
"""
