-- 0004_alerts (PostgreSQL): one alert per incident and cooldown, and the details on-chain alerts point to.
-- Keep in step with migrations/sqlite/0004_alerts.sql: same tables, columns and constraints.

-- When each incident last went to a sink. Keys shared by keepers on one store (webhook, log)
-- let one keeper speak for all; on-chain keys carry the keeper, whose vote the breaker counts.
CREATE TABLE alert_gate (
    key TEXT PRIMARY KEY NOT NULL,
    last_ms BIGINT NOT NULL CHECK (last_ms >= 0),
    fired BIGINT NOT NULL CHECK (fired >= 1)
);

-- An on-chain alert's details: `details_hash` is BLAKE2b-256 of `json`.
CREATE TABLE alert_details (
    hash BYTEA PRIMARY KEY NOT NULL CHECK (octet_length(hash) = 32),
    json TEXT NOT NULL
);
