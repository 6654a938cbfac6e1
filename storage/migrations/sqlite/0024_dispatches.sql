-- Sportello schema, version 24, SQLite: dispatches of outgoing registrations by PEC or e-mail,
-- and the receipts that follow them. See the PostgreSQL file for the design.

CREATE TABLE dispatches (
    seq             INTEGER PRIMARY KEY AUTOINCREMENT,
    id              TEXT    NOT NULL UNIQUE,
    registration_id TEXT    NOT NULL REFERENCES registrations (id),
    segnatura       TEXT    CHECK (length(segnatura) = 64 AND segnatura NOT GLOB '*[^0-9a-f]*'),
    created_at      TEXT    NOT NULL,
    created_by      TEXT    NOT NULL
) STRICT;
CREATE INDEX dispatches_registration ON dispatches (registration_id, seq);

CREATE TABLE dispatch_recipients (
    dispatch_id         TEXT    NOT NULL REFERENCES dispatches (id),
    n                   INTEGER NOT NULL CHECK (n > 0),
    address             TEXT    NOT NULL,
    name                TEXT    NOT NULL,
    administration      INTEGER NOT NULL,
    message_id          TEXT    NOT NULL UNIQUE,
    state               TEXT    NOT NULL CHECK (state IN ('queued', 'sent', 'accepted', 'delivered', 'confirmed', 'failed', 'exception')),
    attempts            INTEGER NOT NULL DEFAULT 0,
    last_error          TEXT    NOT NULL DEFAULT '',
    sent_at             TEXT,
    protocol_kind       TEXT,
    protocol_identifier TEXT,
    protocol_reason     TEXT,
    PRIMARY KEY (dispatch_id, n)
) STRICT;

CREATE TABLE dispatch_receipts (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    id          TEXT    NOT NULL UNIQUE,
    dispatch_id TEXT    NOT NULL,
    n           INTEGER NOT NULL,
    kind        TEXT    NOT NULL,
    at          TEXT    NOT NULL,
    provider_id TEXT    NOT NULL,
    sha256      TEXT    NOT NULL CHECK (length(sha256) = 64 AND sha256 NOT GLOB '*[^0-9a-f]*'),
    size        INTEGER NOT NULL CHECK (size >= 0),
    linked_at   TEXT    NOT NULL,
    FOREIGN KEY (dispatch_id, n) REFERENCES dispatch_recipients (dispatch_id, n),
    UNIQUE (dispatch_id, n, sha256)
) STRICT;
