-- Sportello schema, version 10, SQLite: webhooks that tell portals about their cases. See the
-- PostgreSQL file for the design.

CREATE TABLE webhooks (
    client_id  TEXT PRIMARY KEY REFERENCES clients (id),
    url        TEXT NOT NULL CHECK (url GLOB 'http://*' OR url GLOB 'https://*'),
    secret     TEXT NOT NULL,
    created_at TEXT NOT NULL
) STRICT;

CREATE TABLE webhook_events (
    seq             INTEGER PRIMARY KEY AUTOINCREMENT,
    id              TEXT    NOT NULL UNIQUE,
    client_id       TEXT    NOT NULL REFERENCES clients (id),
    case_id         TEXT    NOT NULL REFERENCES cases (id),
    kind            TEXT    NOT NULL,
    payload         TEXT    NOT NULL,
    created_at      TEXT    NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT    NOT NULL,
    delivered_at    TEXT,
    last_error      TEXT
) STRICT;
CREATE INDEX webhook_events_pending ON webhook_events (next_attempt_at) WHERE delivered_at IS NULL;
CREATE INDEX webhook_events_case ON webhook_events (case_id, client_id, seq) WHERE delivered_at IS NULL;

CREATE TABLE webhook_deliveries (
    seq          INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id     TEXT    NOT NULL REFERENCES webhook_events (id),
    client_id    TEXT    NOT NULL REFERENCES clients (id),
    attempt      INTEGER NOT NULL,
    attempted_at TEXT    NOT NULL,
    status_code  INTEGER NOT NULL,
    error        TEXT    NOT NULL,
    delivered    INTEGER NOT NULL
) STRICT;
CREATE INDEX webhook_deliveries_client ON webhook_deliveries (client_id, seq);
