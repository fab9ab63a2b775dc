-- 0003_audit (PostgreSQL): each keeper's hash-chained audit log.
-- Keep in step with migrations/sqlite/0003_audit.sql: same tables, columns and constraints.
-- Rows are only ever appended; `lode audit verify` recomputes every hash, so an edited,
-- deleted or reordered row is found and named.

CREATE TABLE audit_log (
    -- The keeper's SS58 address: the alerts contract anchors each keeper's log apart.
    keeper TEXT NOT NULL,
    seq BIGINT NOT NULL CHECK (seq >= 1),
    prev_hash BYTEA NOT NULL CHECK (octet_length(prev_hash) = 32),
    -- The entry's canonical JSON bytes, exactly as hashed.
    entry BYTEA NOT NULL,
    hash BYTEA NOT NULL CHECK (octet_length(hash) = 32),
    PRIMARY KEY (keeper, seq)
);
