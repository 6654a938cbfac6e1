-- Sportello schema, version 33, SQLite: sending archive packages to conservation. See the
-- PostgreSQL file for the design; the triggers mirror its guards (a CHECK cannot be added to an
-- existing SQLite table without rebuilding it).
ALTER TABLE archive_packages ADD COLUMN schedule_key TEXT;
ALTER TABLE archive_packages ADD COLUMN sent_at TEXT;
ALTER TABLE archive_packages ADD COLUMN destination TEXT;
ALTER TABLE archive_packages ADD COLUMN settled_at TEXT;
ALTER TABLE archive_packages ADD COLUMN outcome_reason TEXT;
ALTER TABLE archive_packages ADD COLUMN report_sha256 TEXT;
ALTER TABLE archive_packages ADD COLUMN report_type TEXT;
ALTER TABLE archive_packages ADD COLUMN report_size INTEGER;
CREATE UNIQUE INDEX archive_packages_schedule_key ON archive_packages (schedule_key) WHERE schedule_key IS NOT NULL;
CREATE INDEX archive_packages_state ON archive_packages (state, created_at);
-- Fixity runs read the reports' digests in order.
CREATE INDEX archive_packages_report ON archive_packages (report_sha256) WHERE report_sha256 IS NOT NULL;

CREATE TRIGGER archive_packages_schedule_key_immutable BEFORE UPDATE ON archive_packages
    WHEN NEW.schedule_key IS NOT OLD.schedule_key
BEGIN
    SELECT RAISE(ABORT, 'archive package: its schedule key is immutable');
END;

CREATE TRIGGER archive_packages_state_forward BEFORE UPDATE ON archive_packages
    WHEN NEW.state <> OLD.state AND NOT (
        (OLD.state = 'building' AND NEW.state IN ('ready', 'failed'))
        OR (OLD.state = 'ready' AND NEW.state IN ('sent', 'refused', 'acknowledged'))
        OR (OLD.state = 'sent' AND NEW.state IN ('acknowledged', 'refused')))
BEGIN
    SELECT RAISE(ABORT, 'archive package: its state may only move forward');
END;

CREATE TRIGGER archive_packages_sent_immutable BEFORE UPDATE ON archive_packages
    WHEN OLD.sent_at IS NOT NULL AND (NEW.sent_at, NEW.destination) IS NOT (OLD.sent_at, OLD.destination)
BEGIN
    SELECT RAISE(ABORT, 'archive package: its sending is recorded');
END;

CREATE TRIGGER archive_packages_outcome_immutable BEFORE UPDATE ON archive_packages
    WHEN OLD.settled_at IS NOT NULL AND (NEW.settled_at, NEW.outcome_reason, NEW.report_sha256, NEW.report_type, NEW.report_size)
        IS NOT (OLD.settled_at, OLD.outcome_reason, OLD.report_sha256, OLD.report_type, OLD.report_size)
BEGIN
    SELECT RAISE(ABORT, 'archive package: its outcome is recorded');
END;

CREATE TRIGGER archive_packages_sending_whole BEFORE UPDATE ON archive_packages
    WHEN (NEW.state = 'sent' AND NEW.sent_at IS NULL)
        OR ((NEW.state IN ('acknowledged', 'refused')) <> (NEW.settled_at IS NOT NULL))
        OR (NEW.state = 'acknowledged' AND NEW.report_sha256 IS NULL)
        OR ((NEW.state = 'refused') <> (coalesce(NEW.outcome_reason, '') <> ''))
        OR (NEW.report_sha256 IS NOT NULL AND (length(NEW.report_sha256) <> 64 OR NEW.report_sha256 GLOB '*[^0-9a-f]*'
            OR NEW.report_type IS NULL OR NEW.report_size IS NULL OR NEW.report_size < 0))
BEGIN
    SELECT RAISE(ABORT, 'archive package: a package needs its sending or outcome recorded');
END;

CREATE TRIGGER archive_packages_insert_building BEFORE INSERT ON archive_packages
    WHEN NEW.state <> 'building' OR NEW.sent_at IS NOT NULL OR NEW.settled_at IS NOT NULL OR NEW.report_sha256 IS NOT NULL
BEGIN
    SELECT RAISE(ABORT, 'archive package: a package is stored building');
END;
