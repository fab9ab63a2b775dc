-- 0004_alerts (SQLite): one alert per incident and cooldown, and the details on-chain alerts point to.
-- Keep in step with migrations/postgres/0004_alerts.sql: same tables, columns and constraints.

-- When each incident last went to a sink. Keys shared by keepers on one store (webhook, log)
-- let one keeper speak for all; on-chain keys carry the keeper, whose vote the breaker counts.
CREATE TABLE alert_gate (
    key TEXT PRIMARY KEY NOT NULL,
    last_ms INTEGER NOT NULL CHECK (last_ms >= 0),
    fired INTEGER NOT NULL CHECK (fired >= 1)
) STRICT;

-- An on-chain alert's details: `details_hash` is BLAKE2b-256 of `json`.
CREATE TABLE alert_details (
    hash BLOB PRIMARY KEY NOT NULL CHECK (length(hash) = 32),
    json TEXT NOT NULL
) STRICT;
