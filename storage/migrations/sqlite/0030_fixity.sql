-- Sportello schema, version 30, SQLite: fixity runs and the blobs they found wrong. See the
-- PostgreSQL file for the design.
CREATE TABLE fixity_runs (
    id          TEXT NOT NULL PRIMARY KEY,
    started_by  TEXT NOT NULL CHECK (started_by IN ('schedule', 'verify')),
    state       TEXT NOT NULL CHECK (state IN ('running', 'done')),
    started_at  TEXT NOT NULL,
    finished_at TEXT,
    last_digest TEXT NOT NULL,
    blobs       INTEGER NOT NULL CHECK (blobs >= 0),
    bytes       INTEGER NOT NULL CHECK (bytes >= 0),
    failures    INTEGER NOT NULL CHECK (failures >= 0),
    holder      TEXT NOT NULL,
    lease_until TEXT NOT NULL,
    CHECK ((state = 'done') = (finished_at IS NOT NULL))
) STRICT;
CREATE UNIQUE INDEX fixity_runs_one_running ON fixity_runs (state) WHERE state = 'running';
CREATE INDEX fixity_runs_started ON fixity_runs (started_at);

CREATE TABLE fixity_failures (
    sha256      TEXT NOT NULL PRIMARY KEY CHECK (length(sha256) = 64 AND sha256 NOT GLOB '*[^0-9a-f]*'),
    problem     TEXT NOT NULL CHECK (problem IN ('missing', 'mismatch', 'unreadable')),
    detail      TEXT NOT NULL,
    refs        TEXT NOT NULL,
    first_seen  TEXT NOT NULL,
    last_seen   TEXT NOT NULL,
    last_run    TEXT NOT NULL REFERENCES fixity_runs (id),
    resolved_at TEXT,
    resolved_run TEXT REFERENCES fixity_runs (id),
    CHECK ((resolved_at IS NULL) = (resolved_run IS NULL))
) STRICT;
CREATE INDEX fixity_failures_open ON fixity_failures (last_seen) WHERE resolved_at IS NULL;

CREATE INDEX intake_messages_sha256 ON intake_messages (sha256);
CREATE INDEX dispatch_receipts_sha256 ON dispatch_receipts (sha256);
CREATE INDEX dispatches_segnatura ON dispatches (segnatura) WHERE segnatura IS NOT NULL;
CREATE INDEX imports_sha256 ON imports (sha256);
