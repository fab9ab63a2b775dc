-- 0001_init (PostgreSQL): the chain this store belongs to, and the delivery cursors.
-- Keep in step with migrations/sqlite/0001_init.sql: same tables, columns and constraints.
-- The CHECKs repeat what the Rust types guarantee, so a hand edit or a future bug cannot
-- leave a row the keeper cannot read back.

CREATE TABLE chain_binding (
    -- A single row: a store serves exactly one chain.
    id SMALLINT PRIMARY KEY CONSTRAINT chain_binding_single_row CHECK (id = 1),
    genesis_hash BYTEA NOT NULL CONSTRAINT chain_binding_genesis_hash_len CHECK (octet_length(genesis_hash) = 32)
);

CREATE TABLE cursors (
    name TEXT PRIMARY KEY,
    number BIGINT NOT NULL CONSTRAINT cursors_number_nonneg CHECK (number >= 0),
    hash BYTEA NOT NULL CONSTRAINT cursors_hash_len CHECK (octet_length(hash) = 32),
    finalized_number BIGINT CONSTRAINT cursors_finalized_number_nonneg CHECK (finalized_number >= 0),
    finalized_hash BYTEA CONSTRAINT cursors_finalized_hash_len CHECK (octet_length(finalized_hash) = 32),
    -- Both or neither: a finalized number without its hash cannot be checked against the chain.
    CONSTRAINT cursors_finalized_pair CHECK ((finalized_number IS NULL) = (finalized_hash IS NULL))
);
