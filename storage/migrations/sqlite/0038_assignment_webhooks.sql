-- Sportello schema, version 38, SQLite: webhook events of assignments. See the PostgreSQL file.
-- A NOT NULL of an existing SQLite table cannot be dropped: webhook_events is rebuilt with a
-- nullable case_id and a registration_id, its rows copied. webhook_deliveries, which references
-- it, is rebuilt too, first referencing the new table, so that neither DROP leaves a row
-- referencing a dropped one; each RENAME then rewrites the references to the final names.
CREATE TABLE webhook_events_38 (
    seq             INTEGER PRIMARY KEY AUTOINCREMENT,
    id              TEXT    NOT NULL UNIQUE,
    client_id       TEXT    NOT NULL REFERENCES clients (id),
    case_id         TEXT    REFERENCES cases (id),
    kind            TEXT    NOT NULL,
    payload         TEXT    NOT NULL,
    created_at      TEXT    NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT    NOT NULL,
    delivered_at    TEXT,
    last_error      TEXT,
    registration_id TEXT    REFERENCES registrations (id),
    CONSTRAINT webhook_events_subject CHECK ((case_id IS NULL) <> (registration_id IS NULL))
) STRICT;
INSERT INTO webhook_events_38 (seq, id, client_id, case_id, kind, payload, created_at, attempts, next_attempt_at,
        delivered_at, last_error)
    SELECT seq, id, client_id, case_id, kind, payload, created_at, attempts, next_attempt_at, delivered_at, last_error
    FROM webhook_events;

CREATE TABLE webhook_deliveries_38 (
    seq          INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id     TEXT    NOT NULL REFERENCES webhook_events_38 (id),
    client_id    TEXT    NOT NULL REFERENCES clients (id),
    attempt      INTEGER NOT NULL,
    attempted_at TEXT    NOT NULL,
    status_code  INTEGER NOT NULL,
    error        TEXT    NOT NULL,
    delivered    INTEGER NOT NULL
) STRICT;
INSERT INTO webhook_deliveries_38 (seq, event_id, client_id, attempt, attempted_at, status_code, error, delivered)
    SELECT seq, event_id, client_id, attempt, attempted_at, status_code, error, delivered FROM webhook_deliveries;

DROP TABLE webhook_deliveries;
DROP TABLE webhook_events;
ALTER TABLE webhook_events_38 RENAME TO webhook_events;
ALTER TABLE webhook_deliveries_38 RENAME TO webhook_deliveries;
CREATE INDEX webhook_events_pending ON webhook_events (next_attempt_at) WHERE delivered_at IS NULL;
CREATE INDEX webhook_events_case ON webhook_events (case_id, client_id, seq) WHERE delivered_at IS NULL;
CREATE INDEX webhook_events_registration ON webhook_events (registration_id, client_id, seq) WHERE delivered_at IS NULL;
CREATE INDEX webhook_deliveries_client ON webhook_deliveries (client_id, seq);
