-- Sportello schema, version 26, PostgreSQL: server-side imports (POST /v1/imports,
-- docs/import.md).
--
-- An import is an uploaded zip (kept in the blob store by its digest, so that any replica can
-- run it) and a River job that registers its manifest's rows in order. The job records every
-- row's outcome here as it goes, so a job run again after a restart or a crash goes on from the
-- first row still pending; each row is registered with an idempotency key derived from its
-- content, so a row whose registration committed just before a crash is answered again, never
-- registered twice. The rows are written once, when the job first reads the manifest
-- (rows_total is then set); a row goes from pending to done (with its registration) or failed
-- (with its reason), once.

CREATE TABLE imports (
    seq         bigserial PRIMARY KEY,
    id          text COLLATE "C" NOT NULL UNIQUE,
    state       text NOT NULL CHECK (state IN ('queued', 'running', 'done', 'failed', 'cancelled')),
    filename    text NOT NULL,
    sha256      text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    size        bigint NOT NULL CHECK (size >= 0),
    rows_total  integer CHECK (rows_total >= 0),
    error       text NOT NULL DEFAULT '',
    created_by  text NOT NULL,
    created_at  timestamptz NOT NULL,
    started_at  timestamptz,
    finished_at timestamptz
);
CREATE INDEX imports_created_by ON imports (created_by, seq);

CREATE TABLE import_rows (
    import_id       text COLLATE "C" NOT NULL REFERENCES imports (id),
    n               integer NOT NULL CHECK (n >= 0),
    line            integer NOT NULL CHECK (line > 1),
    state           text NOT NULL CHECK (state IN ('pending', 'done', 'failed')),
    registration_id text COLLATE "C" REFERENCES registrations (id),
    reason          text NOT NULL DEFAULT '',
    PRIMARY KEY (import_id, n),
    CHECK ((state = 'done') = (registration_id IS NOT NULL)),
    CHECK ((state = 'failed') = (reason <> ''))
);
CREATE INDEX import_rows_state ON import_rows (import_id, state, n);
