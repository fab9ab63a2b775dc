-- 0001_init (SQLite): the chain this store belongs to, and the delivery cursors.
-- Keep in step with migrations/postgres/0001_init.sql: same tables, columns and constraints.
-- STRICT makes SQLite reject values of the wrong type instead of storing them silently;
-- the CHECKs repeat what the Rust types guarantee, so a hand edit or a future bug cannot
-- leave a row the keeper cannot read back.

CREATE TABLE chain_binding (
    -- A single row: a store serves exactly one chain.
    id INTEGER PRIMARY KEY CHECK (id = 1),
    genesis_hash BLOB NOT NULL CHECK (length(genesis_hash) = 32)
) STRICT;

CREATE TABLE cursors (
    name TEXT PRIMARY KEY NOT NULL,
    number INTEGER NOT NULL CHECK (number >= 0),
    hash BLOB NOT NULL CHECK (length(hash) = 32),
    finalized_number INTEGER CHECK (finalized_number >= 0),
    finalized_hash BLOB CHECK (length(finalized_hash) = 32),
    -- Both or neither: a finalized number without its hash cannot be checked against the chain.
    CHECK ((finalized_number IS NULL) = (finalized_hash IS NULL))
) STRICT;
