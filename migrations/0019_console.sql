-- The admin console (issue #28; `leadmem run console`, workers/console/).
--
-- console_users: who may log in: platform operators (every tenant; `tenant` NULL) and agency
--   admins (one tenant). The password is an Argon2id hash (argon2-cffi's encoded form, salt
--   and parameters included); a disabled user cannot log in and has no session. Written by
--   `leadmem console user add/disable/enable` (workers/console/accounts.py, the one writer).
-- console_sessions: a login. The cookie carries a random token (32 bytes); only its SHA-256
--   is stored, so a copy of this table opens no session. A session ends at `expires_at` (a
--   fixed time after the login) or when unused for the idle timeout (`last_seen_at`).
-- console_audit: who changed what, when, for which tenant, with the values before and after
--   (secrets only as "set"): settings, DLQ replays, held replies released or cancelled,
--   logins and logouts, users added or disabled. Append-only for everyone but the admin.
--
-- Not tenant tables: a user, a session and the audit are the console's, and the column that
-- names a tenant is `tenant` (not `tenant_id`, the column every tenant table is isolated on,
-- as in dlq_replays). They are used over the admin connection (LEADMEM_ADMIN_DATABASE_URL),
-- like `dlq_replays`: row-level security is enabled and forced with no policy for reading, so
-- the workers' role (granted DML on every table by `leadmem migrate`) sees no password hash
-- and no session at all. One exception: a change to a tenant's data is audited in the same
-- transaction as the change, which runs as the workers' role under that tenant's row-level
-- security (`TenantDatabase.transaction`), so that role may INSERT an audit row of the
-- tenant in force, and read none.
CREATE TABLE console_users (
    user_id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email                text NOT NULL CHECK (email = lower(email) AND email LIKE '%_@_%'),
    password_hash        text NOT NULL,
    role                 text NOT NULL CHECK (role IN ('operator', 'agency')),
    tenant               text REFERENCES tenants(id) ON DELETE CASCADE,
    disabled_at          timestamptz,
    created_at           timestamptz NOT NULL DEFAULT now(),
    password_changed_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT console_users_scope CHECK ((role = 'operator') = (tenant IS NULL))
);
CREATE UNIQUE INDEX console_users_email ON console_users (email);

CREATE TABLE console_sessions (
    token_hash    text PRIMARY KEY,
    user_id       bigint NOT NULL REFERENCES console_users(user_id) ON DELETE CASCADE,
    created_at    timestamptz NOT NULL DEFAULT now(),
    last_seen_at  timestamptz NOT NULL DEFAULT now(),
    expires_at    timestamptz NOT NULL,
    address       text
);
CREATE INDEX console_sessions_user ON console_sessions (user_id);
CREATE INDEX console_sessions_expiry ON console_sessions (expires_at);

CREATE TABLE console_audit (
    audit_id    bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at          timestamptz NOT NULL DEFAULT now(),
    actor       text NOT NULL,
    actor_role  text,
    action      text NOT NULL,
    tenant      text,
    target      text,
    before      jsonb,
    after       jsonb
);
CREATE INDEX console_audit_tenant ON console_audit (tenant, at);
CREATE INDEX console_audit_at ON console_audit (at);

ALTER TABLE console_users ENABLE ROW LEVEL SECURITY;
ALTER TABLE console_users FORCE ROW LEVEL SECURITY;
ALTER TABLE console_sessions ENABLE ROW LEVEL SECURITY;
ALTER TABLE console_sessions FORCE ROW LEVEL SECURITY;
ALTER TABLE console_audit ENABLE ROW LEVEL SECURITY;
ALTER TABLE console_audit FORCE ROW LEVEL SECURITY;
CREATE POLICY console_audit_tenant_insert ON console_audit FOR INSERT
    WITH CHECK (tenant IS NOT NULL AND tenant = current_setting('app.tenant_id', true));

-- A draft the reply check held (status 'suppressed', suppressed_reason 'reply_check:<rule>')
-- waits for a person: released (sent after all: back to 'drafted', the outbound's claim
-- deciding consent as for any draft) or cancelled (it stays suppressed). Who decided and when
-- is kept on the row; the reason it was held stays as it was. Owner: workers/replies/.
ALTER TABLE replies
    ADD COLUMN review       text CHECK (review IN ('released', 'cancelled')),
    ADD COLUMN reviewed_by  text,
    ADD COLUMN reviewed_at  timestamptz;
CREATE INDEX replies_awaiting_review ON replies (tenant_id, created_at)
    WHERE status = 'suppressed' AND suppressed_reason LIKE 'reply_check:%' AND review IS NULL;
