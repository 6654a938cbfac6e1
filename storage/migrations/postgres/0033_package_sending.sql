-- Sportello schema, version 33, PostgreSQL: sending archive packages to conservation
-- (docs/package-format.md "Sending to conservation", docs/architecture.md "Archive packages").
--
-- A package's state moves forward only: building → ready | failed; ready → sent (delivered to
-- the destination), refused (the destination refused the delivery) or acknowledged (handed
-- over by hand, the conservator's report uploaded); sent → acknowledged | refused. The
-- columns added here say when and where it was sent (sent_at, destination), when the
-- conservator answered (settled_at), why it refused (outcome_reason), and the rapporto di
-- versamento (report_sha256 in the blob store, its media type and size). schedule_key names the
-- scheduled item a package was made for (journal/PG/2026-03-01, dossier/<id>/2026): one package
-- per item, whatever number of processes schedules it. The columns are nullable and checked by
-- the guard, as on SQLite, where a CHECK cannot be added to an existing table.
ALTER TABLE archive_packages ADD COLUMN schedule_key text COLLATE "C";
ALTER TABLE archive_packages ADD COLUMN sent_at timestamptz;
ALTER TABLE archive_packages ADD COLUMN destination text;
ALTER TABLE archive_packages ADD COLUMN settled_at timestamptz;
ALTER TABLE archive_packages ADD COLUMN outcome_reason text;
ALTER TABLE archive_packages ADD COLUMN report_sha256 text COLLATE "C";
ALTER TABLE archive_packages ADD COLUMN report_type text;
ALTER TABLE archive_packages ADD COLUMN report_size bigint;
CREATE UNIQUE INDEX archive_packages_schedule_key ON archive_packages (schedule_key) WHERE schedule_key IS NOT NULL;
CREATE INDEX archive_packages_state ON archive_packages (state, created_at);
-- Fixity runs read the reports' digests in order.
CREATE INDEX archive_packages_report ON archive_packages (report_sha256) WHERE report_sha256 IS NOT NULL;

CREATE FUNCTION archive_packages_sending_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.schedule_key IS DISTINCT FROM OLD.schedule_key THEN
        RAISE EXCEPTION 'archive package %: its schedule key is immutable', OLD.id USING ERRCODE = 'SP001';
    END IF;
    IF NEW.state <> OLD.state AND NOT (
            (OLD.state = 'building' AND NEW.state IN ('ready', 'failed'))
            OR (OLD.state = 'ready' AND NEW.state IN ('sent', 'refused', 'acknowledged'))
            OR (OLD.state = 'sent' AND NEW.state IN ('acknowledged', 'refused'))) THEN
        RAISE EXCEPTION 'archive package %: state % cannot become %', OLD.id, OLD.state, NEW.state USING ERRCODE = 'SP001';
    END IF;
    IF OLD.sent_at IS NOT NULL AND (NEW.sent_at, NEW.destination) IS DISTINCT FROM (OLD.sent_at, OLD.destination) THEN
        RAISE EXCEPTION 'archive package %: its sending is recorded', OLD.id USING ERRCODE = 'SP001';
    END IF;
    IF OLD.settled_at IS NOT NULL AND (NEW.settled_at, NEW.outcome_reason, NEW.report_sha256, NEW.report_type, NEW.report_size)
            IS DISTINCT FROM (OLD.settled_at, OLD.outcome_reason, OLD.report_sha256, OLD.report_type, OLD.report_size) THEN
        RAISE EXCEPTION 'archive package %: its outcome is recorded', OLD.id USING ERRCODE = 'SP001';
    END IF;
    IF (NEW.state = 'sent' AND NEW.sent_at IS NULL)
            OR ((NEW.state IN ('acknowledged', 'refused')) <> (NEW.settled_at IS NOT NULL))
            OR (NEW.state = 'acknowledged' AND NEW.report_sha256 IS NULL)
            OR ((NEW.state = 'refused') <> (coalesce(NEW.outcome_reason, '') <> ''))
            OR (NEW.report_sha256 IS NOT NULL AND (NEW.report_sha256 !~ '^[0-9a-f]{64}$' OR NEW.report_type IS NULL
                OR NEW.report_size IS NULL OR NEW.report_size < 0)) THEN
        RAISE EXCEPTION 'archive package %: a % package needs its sending or outcome recorded', OLD.id, NEW.state USING ERRCODE = 'SP001';
    END IF;
    RETURN NEW;
END $$;

CREATE TRIGGER archive_packages_sending_guard BEFORE UPDATE ON archive_packages
    FOR EACH ROW EXECUTE FUNCTION archive_packages_sending_guard();

CREATE FUNCTION archive_packages_insert_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.state <> 'building' OR NEW.sent_at IS NOT NULL OR NEW.settled_at IS NOT NULL OR NEW.report_sha256 IS NOT NULL THEN
        RAISE EXCEPTION 'archive package %: a package is stored building', NEW.id USING ERRCODE = 'SP001';
    END IF;
    RETURN NEW;
END $$;

CREATE TRIGGER archive_packages_insert_guard BEFORE INSERT ON archive_packages
    FOR EACH ROW EXECUTE FUNCTION archive_packages_insert_guard();
