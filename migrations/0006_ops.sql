-- Operations: which dead letters `leadmem dlq replay` has re-published, so replaying the same
-- records twice re-sends nothing.
--
-- A dead letter is identified by the failure it records: the worker and the source record
-- (topic, partition, offset). Two dead letters of one failure (a batch rewound after its
-- dead-letter publish) are therefore replayed once.
--
-- A cross-tenant admin ledger, not tenant data: it is used only over the admin connection
-- (LEADMEM_ADMIN_DATABASE_URL, a superuser or BYPASSRLS role) by `leadmem dlq`. `leadmem
-- migrate` grants the workers' role DML on every table, so row-level security is enabled
-- and forced with no policy at all: the workers' role (and the owner) see and write no row.
-- The record's tenant is kept in `tenant` (not `tenant_id`, the column every tenant-scoped
-- table is isolated on).
CREATE TABLE dlq_replays (
    worker            text NOT NULL,
    source_topic      text NOT NULL,
    source_partition  integer NOT NULL,
    source_offset     bigint NOT NULL,
    tenant            text,
    dlq_partition     integer NOT NULL,
    dlq_offset        bigint NOT NULL,
    error_type        text NOT NULL,
    replayed_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (worker, source_topic, source_partition, source_offset)
);
CREATE INDEX dlq_replays_tenant ON dlq_replays (tenant, replayed_at);

ALTER TABLE dlq_replays ENABLE ROW LEVEL SECURITY;
ALTER TABLE dlq_replays FORCE ROW LEVEL SECURITY;
