-- Sportello schema, version 26, SQLite: server-side imports (POST /v1/imports,
-- docs/import.md). See the PostgreSQL file for the design.

CREATE TABLE imports (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    id          TEXT    NOT NULL UNIQUE,
    state       TEXT    NOT NULL CHECK (state IN ('queued', 'running', 'done', 'failed', 'cancelled')),
    filename    TEXT    NOT NULL,
    sha256      TEXT    NOT NULL CHECK (length(sha256) = 64 AND sha256 NOT GLOB '*[^0-9a-f]*'),
    size        INTEGER NOT NULL CHECK (size >= 0),
    rows_total  INTEGER CHECK (rows_total >= 0),
    error       TEXT    NOT NULL DEFAULT '',
    created_by  TEXT    NOT NULL,
    created_at  TEXT    NOT NULL,
    started_at  TEXT,
    finished_at TEXT
) STRICT;
CREATE INDEX imports_created_by ON imports (created_by, seq);

CREATE TABLE import_rows (
    import_id       TEXT    NOT NULL REFERENCES imports (id),
    n               INTEGER NOT NULL CHECK (n >= 0),
    line            INTEGER NOT NULL CHECK (line > 1),
    state           TEXT    NOT NULL CHECK (state IN ('pending', 'done', 'failed')),
    registration_id TEXT    REFERENCES registrations (id),
    reason          TEXT    NOT NULL DEFAULT '',
    PRIMARY KEY (import_id, n),
    CHECK ((state = 'done') = (registration_id IS NOT NULL)),
    CHECK ((state = 'failed') = (reason <> ''))
) STRICT;
CREATE INDEX import_rows_state ON import_rows (import_id, state, n);
