-- Sportello schema, version 31, SQLite: archive packages. See the PostgreSQL file for the
-- design; the triggers mirror its guard.
CREATE TABLE archive_packages (
    id           TEXT NOT NULL PRIMARY KEY,
    kind         TEXT NOT NULL CHECK (kind IN ('aip', 'dip')),
    state        TEXT NOT NULL CHECK (state IN ('building', 'ready', 'sent', 'acknowledged', 'refused', 'failed')),
    request      TEXT NOT NULL,
    items        INTEGER NOT NULL CHECK (items >= 0),
    files        INTEGER NOT NULL CHECK (files >= 0),
    size         INTEGER NOT NULL CHECK (size >= 0),
    sha256       TEXT CHECK (length(sha256) = 64 AND sha256 NOT GLOB '*[^0-9a-f]*'),
    index_sha256 TEXT CHECK (length(index_sha256) = 64 AND index_sha256 NOT GLOB '*[^0-9a-f]*'),
    reason       TEXT NOT NULL,
    created_by   TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    built_at     TEXT,
    CHECK ((state = 'building') = (built_at IS NULL)),
    CHECK ((state IN ('building', 'failed')) = (sha256 IS NULL)),
    CHECK ((sha256 IS NULL) = (index_sha256 IS NULL))
) STRICT;
CREATE INDEX archive_packages_created ON archive_packages (created_at);
-- Fixity runs read the zips' digests in order.
CREATE INDEX archive_packages_sha256 ON archive_packages (sha256) WHERE sha256 IS NOT NULL;

CREATE TRIGGER archive_packages_no_delete BEFORE DELETE ON archive_packages
BEGIN
    SELECT RAISE(ABORT, 'archive package: delete refused');
END;

CREATE TRIGGER archive_packages_built_immutable BEFORE UPDATE ON archive_packages
    WHEN OLD.state <> 'building' AND (NEW.kind, NEW.request, NEW.items, NEW.files, NEW.size, NEW.sha256,
        NEW.index_sha256, NEW.created_by, NEW.created_at, NEW.built_at)
        IS NOT (OLD.kind, OLD.request, OLD.items, OLD.files, OLD.size, OLD.sha256,
        OLD.index_sha256, OLD.created_by, OLD.created_at, OLD.built_at)
BEGIN
    SELECT RAISE(ABORT, 'archive package: a built package is immutable');
END;

CREATE TRIGGER archive_packages_request_immutable BEFORE UPDATE ON archive_packages
    WHEN NEW.id <> OLD.id OR NEW.kind <> OLD.kind OR NEW.request <> OLD.request OR NEW.created_by <> OLD.created_by
        OR NEW.created_at <> OLD.created_at
BEGIN
    SELECT RAISE(ABORT, 'archive package: its request is immutable');
END;
