-- 0002_settlement (PostgreSQL): the settlement ledger and work leases.
-- Keep in step with migrations/sqlite/0002_settlement.sql: same tables, columns and constraints.
-- Amounts are u128 and kept as decimal TEXT: neither backend has a 128-bit integer.

-- A batch is written here before it is sent, and its last submission before each send.
CREATE TABLE settle_batches (
    id BYTEA PRIMARY KEY NOT NULL CHECK (octet_length(id) = 32),
    asset TEXT NOT NULL CHECK (asset IN ('native', 'lode')),
    state TEXT NOT NULL CHECK (state IN ('planned', 'submitted', 'included', 'settled')),
    planned_ms BIGINT NOT NULL CHECK (planned_ms >= 0),
    -- The last submission: who signed it, its hash and nonce, the tip offered, and the best
    -- block when it was sent (for "not included within K blocks").
    keeper BYTEA CHECK (octet_length(keeper) = 32),
    tx_hash BYTEA CHECK (octet_length(tx_hash) = 32),
    nonce BIGINT CHECK (nonce >= 0),
    tip TEXT NOT NULL DEFAULT '0',
    sent_at_block BIGINT CHECK (sent_at_block >= 0),
    attempts BIGINT NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    -- The best block it was seen in; cleared when that block is retracted.
    block_number BIGINT CHECK (block_number >= 0),
    block_hash BYTEA CHECK (octet_length(block_hash) = 32),
    -- Who works on it, until when (unix ms). Another keeper takes it over after that.
    lease_owner TEXT NOT NULL,
    lease_until_ms BIGINT NOT NULL,
    CHECK ((tx_hash IS NULL) = (keeper IS NULL)),
    CHECK (state = 'planned' OR tx_hash IS NOT NULL)
);

CREATE INDEX settle_batches_state ON settle_batches (state);

-- Who a batch pays, what each was owed when it was planned, and how it went.
CREATE TABLE settle_payees (
    batch_id BYTEA NOT NULL REFERENCES settle_batches (id),
    payee BYTEA NOT NULL CHECK (octet_length(payee) = 32),
    planned TEXT NOT NULL,
    outcome TEXT NOT NULL CHECK (outcome IN ('pending', 'paid', 'failed')),
    PRIMARY KEY (batch_id, payee)
);

CREATE INDEX settle_payees_payee ON settle_payees (payee);

-- The splitter's `Settled` events for ledger batches, from confirmed blocks. One per keeper
-- that settled the id: a batch taken over from a keeper whose extrinsic landed late has two.
CREATE TABLE settle_receipts (
    batch_id BYTEA NOT NULL REFERENCES settle_batches (id),
    keeper BYTEA NOT NULL CHECK (octet_length(keeper) = 32),
    block_number BIGINT NOT NULL CHECK (block_number >= 0),
    block_hash BYTEA NOT NULL CHECK (octet_length(block_hash) = 32),
    paid BIGINT NOT NULL CHECK (paid >= 0),
    failed BIGINT NOT NULL CHECK (failed >= 0),
    amount TEXT NOT NULL,
    PRIMARY KEY (batch_id, keeper)
);

-- Named leases on work only one keeper may do at a time (planning an asset's batches).
CREATE TABLE leases (
    name TEXT PRIMARY KEY NOT NULL,
    owner TEXT NOT NULL,
    until_ms BIGINT NOT NULL
);
