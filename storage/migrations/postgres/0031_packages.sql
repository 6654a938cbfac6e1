-- Sportello schema, version 31, PostgreSQL: archive packages (docs/package-format.md,
-- docs/architecture.md "Archive packages").
--
-- One row per requested package: what it holds (request, JSON), its kind (aip for the
-- conservation system, dip for a requester) and its state. A request stores the row as
-- building and enqueues the job that builds it; the job sets it ready, with the size and
-- SHA-256 of the zip (kept in the blob store under that digest) and of its index, or failed
-- with a reason. Once ready or failed only the state may change later (sending to
-- conservation: sent, acknowledged, refused): what a package is never changes, and no package
-- is deleted.
CREATE TABLE archive_packages (
    id           text COLLATE "C" PRIMARY KEY,
    kind         text NOT NULL CHECK (kind IN ('aip', 'dip')),
    state        text NOT NULL CHECK (state IN ('building', 'ready', 'sent', 'acknowledged', 'refused', 'failed')),
    request      text NOT NULL,
    items        integer NOT NULL CHECK (items >= 0),
    files        integer NOT NULL CHECK (files >= 0),
    size         bigint NOT NULL CHECK (size >= 0),
    sha256       text COLLATE "C" CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    index_sha256 text COLLATE "C" CHECK (index_sha256 ~ '^[0-9a-f]{64}$'),
    reason       text NOT NULL,
    created_by   text NOT NULL,
    created_at   timestamptz NOT NULL,
    built_at     timestamptz,
    CHECK ((state = 'building') = (built_at IS NULL)),
    CHECK ((state IN ('building', 'failed')) = (sha256 IS NULL)),
    CHECK ((sha256 IS NULL) = (index_sha256 IS NULL))
);
CREATE INDEX archive_packages_created ON archive_packages (created_at);
-- Fixity runs read the zips' digests in order.
CREATE INDEX archive_packages_sha256 ON archive_packages (sha256) WHERE sha256 IS NOT NULL;

CREATE FUNCTION archive_packages_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'archive package %: delete refused', OLD.id USING ERRCODE = 'SP001';
    END IF;
    IF OLD.state <> 'building' AND (NEW.kind, NEW.request, NEW.items, NEW.files, NEW.size, NEW.sha256,
            NEW.index_sha256, NEW.created_by, NEW.created_at, NEW.built_at)
            IS DISTINCT FROM (OLD.kind, OLD.request, OLD.items, OLD.files, OLD.size, OLD.sha256,
            OLD.index_sha256, OLD.created_by, OLD.created_at, OLD.built_at) THEN
        RAISE EXCEPTION 'archive package %: a built package is immutable', OLD.id USING ERRCODE = 'SP001';
    END IF;
    IF NEW.id <> OLD.id OR NEW.kind <> OLD.kind OR NEW.request <> OLD.request OR NEW.created_by <> OLD.created_by
            OR NEW.created_at <> OLD.created_at THEN
        RAISE EXCEPTION 'archive package %: its request is immutable', OLD.id USING ERRCODE = 'SP001';
    END IF;
    RETURN NEW;
END $$;

CREATE TRIGGER archive_packages_guard BEFORE UPDATE OR DELETE ON archive_packages
    FOR EACH ROW EXECUTE FUNCTION archive_packages_guard();
CREATE TRIGGER archive_packages_no_truncate BEFORE TRUNCATE ON archive_packages
    FOR EACH STATEMENT EXECUTE FUNCTION sportello_refuse_truncate();
