-- Sportello schema, version 30, PostgreSQL: fixity runs, which re-read every stored blob and
-- compare its digest (docs/architecture.md "Fixity", docs/compliance.md).
--
-- A run walks the digests the database references in digest order; its last_digest (the last digest
-- checked) and counts are committed every few blobs, so that a run stopped midway continues
-- from there. At most one run is running at a time (the partial unique index), and the process
-- working on it holds its lease (holder, lease_until), renewed at every commit: another replica
-- takes it over only once the lease has expired.
CREATE TABLE fixity_runs (
    id          text COLLATE "C" PRIMARY KEY,
    started_by  text NOT NULL CHECK (started_by IN ('schedule', 'verify')),
    state       text NOT NULL CHECK (state IN ('running', 'done')),
    started_at  timestamptz NOT NULL,
    finished_at timestamptz,
    last_digest text COLLATE "C" NOT NULL,
    blobs       bigint NOT NULL CHECK (blobs >= 0),
    bytes       bigint NOT NULL CHECK (bytes >= 0),
    failures    bigint NOT NULL CHECK (failures >= 0),
    holder      text NOT NULL,
    lease_until timestamptz NOT NULL,
    CHECK ((state = 'done') = (finished_at IS NOT NULL))
);
CREATE UNIQUE INDEX fixity_runs_one_running ON fixity_runs (state) WHERE state = 'running';
CREATE INDEX fixity_runs_started ON fixity_runs (started_at);

-- The blobs a run found wrong, one row per digest: the problem, what references it (JSON list
-- of {kind, identifier, role}), when it was first and last found and by which run, and, once a
-- later run finds it right again (or no longer referenced), when and by which run it was
-- resolved. A blob that goes wrong again after being resolved reopens its row.
CREATE TABLE fixity_failures (
    sha256      text COLLATE "C" PRIMARY KEY CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    problem     text NOT NULL CHECK (problem IN ('missing', 'mismatch', 'unreadable')),
    detail      text NOT NULL,
    refs        text NOT NULL,
    first_seen  timestamptz NOT NULL,
    last_seen   timestamptz NOT NULL,
    last_run    text COLLATE "C" NOT NULL REFERENCES fixity_runs (id),
    resolved_at timestamptz,
    resolved_run text COLLATE "C" REFERENCES fixity_runs (id),
    CHECK ((resolved_at IS NULL) = (resolved_run IS NULL))
);
CREATE INDEX fixity_failures_open ON fixity_failures (last_seen) WHERE resolved_at IS NULL;

-- A run reads the referenced digests in order, batch after batch: these let each table give its
-- next digests from an index rather than a scan (content_refs and journals have theirs).
CREATE INDEX intake_messages_sha256 ON intake_messages (sha256 COLLATE "C");
CREATE INDEX dispatch_receipts_sha256 ON dispatch_receipts (sha256 COLLATE "C");
CREATE INDEX dispatches_segnatura ON dispatches (segnatura COLLATE "C") WHERE segnatura IS NOT NULL;
CREATE INDEX imports_sha256 ON imports (sha256 COLLATE "C");
