-- Sportello schema, version 35, SQLite: the audit trail becomes a hash chain; see
-- postgres/0035_audit_chain.sql. SQLite has one writer, so the chain's head cannot fork; the
-- head row is kept all the same, for the same reads on both engines.
ALTER TABLE audit_events ADD COLUMN actor_person TEXT NOT NULL DEFAULT '';
ALTER TABLE audit_events ADD COLUMN request_id TEXT NOT NULL DEFAULT '';
ALTER TABLE audit_events ADD COLUMN client_address TEXT NOT NULL DEFAULT '';
ALTER TABLE audit_events ADD COLUMN seq INTEGER NOT NULL DEFAULT 0;
ALTER TABLE audit_events ADD COLUMN prev_hash TEXT NOT NULL DEFAULT '';
ALTER TABLE audit_events ADD COLUMN hash TEXT NOT NULL DEFAULT '';

DROP TRIGGER audit_events_no_update;
UPDATE audit_events SET seq = r.n
    FROM (SELECT id, row_number() OVER (ORDER BY id) AS n FROM audit_events) r
    WHERE r.id = audit_events.id;
CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
BEGIN
    SELECT RAISE(ABORT, 'audit event: update refused: the audit trail is append-only');
END;

CREATE UNIQUE INDEX audit_events_seq ON audit_events (seq);
CREATE INDEX audit_events_actor ON audit_events (actor, seq);
CREATE INDEX audit_events_person ON audit_events (actor_person, seq);
CREATE INDEX audit_events_action ON audit_events (action, seq);

CREATE TABLE audit_chain (
    id           INTEGER PRIMARY KEY CHECK (id = 1),
    seq          INTEGER NOT NULL,
    hash         TEXT NOT NULL,
    chained_from INTEGER NOT NULL
) STRICT;
INSERT INTO audit_chain (id, seq, hash, chained_from)
    SELECT 1, coalesce(max(seq), 0), '', coalesce(max(seq), 0) + 1 FROM audit_events;

CREATE TRIGGER audit_chain_no_delete BEFORE DELETE ON audit_chain
BEGIN
    SELECT RAISE(ABORT, 'audit chain: delete refused');
END;
CREATE TRIGGER audit_chain_forward BEFORE UPDATE ON audit_chain
WHEN NEW.seq < OLD.seq OR NEW.chained_from <> OLD.chained_from
BEGIN
    SELECT RAISE(ABORT, 'audit chain: the head only moves forward');
END;
