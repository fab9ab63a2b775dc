-- 0005_payouts (SQLite): payouts from a file (`lode payout`, `POST /payouts`).
-- Keep in step with migrations/postgres/0005_payouts.sql: same tables, columns and constraints.
-- Amounts are u128 and kept as decimal TEXT, as in 0002.

-- One payout: its id (given, or the file's digest), the digest of what it pays, and its payer.
-- Running an id again with other rows is refused; with the same rows it resumes.
CREATE TABLE payouts (
    id TEXT PRIMARY KEY NOT NULL,
    digest BLOB NOT NULL CHECK (length(digest) = 32),
    payer BLOB NOT NULL CHECK (length(payer) = 32),
    created_ms INTEGER NOT NULL CHECK (created_ms >= 0)
) STRICT;

-- Each row of the file, written before anything is sent, and each send before it leaves:
-- a crash anywhere leaves rows `pending` (never sent, or sent and proven dead), `sent` (to be
-- found on chain before anything is sent again), `paid` or `failed`.
CREATE TABLE payout_rows (
    payout_id TEXT NOT NULL REFERENCES payouts (id),
    line INTEGER NOT NULL CHECK (line > 0),
    account BLOB NOT NULL CHECK (length(account) = 32),
    asset TEXT NOT NULL CHECK (asset IN ('native', 'lode')),
    amount TEXT NOT NULL,
    reference TEXT,
    state TEXT NOT NULL CHECK (state IN ('pending', 'sent', 'paid', 'failed')),
    attempts INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    -- The last extrinsic that carried it: signer, hash, nonce, and the best block when sent.
    signer BLOB CHECK (length(signer) = 32),
    tx_hash BLOB CHECK (length(tx_hash) = 32),
    nonce INTEGER CHECK (nonce >= 0),
    sent_at_block INTEGER CHECK (sent_at_block >= 0),
    -- The finalized block that paid it or refused it, and why it failed.
    block_number INTEGER CHECK (block_number >= 0),
    block_hash BLOB CHECK (length(block_hash) = 32),
    error TEXT,
    PRIMARY KEY (payout_id, line),
    CHECK ((tx_hash IS NULL) = (signer IS NULL)),
    CHECK (state = 'pending' OR tx_hash IS NOT NULL)
) STRICT;
