-- Sportello schema, version 35, PostgreSQL: the audit trail becomes a hash chain that nobody can
-- rewrite unnoticed (docs/compliance.md M2, docs/audit.md).
--
-- Every event now says who acted as a person (actor_person, beside the client in actor), with
-- which request (request_id) from which address (client_address), and carries its place in the
-- chain: seq (1, 2, 3 … with no gap), the hash of the event before it (prev_hash) and its own
-- hash (SHA-256 over the canonical encoding of its fields and prev_hash: domain.AuditChainHash).
-- storage computes them in the transaction of the change, holding the one row of audit_chain
-- (the chain's head) locked, so that two transactions never fork the chain.
--
-- Events written before this version get a seq in id order and no hash: the chain begins at
-- audit_chain.chained_from, the first seq written by this version or later.
ALTER TABLE audit_events ADD COLUMN actor_person text NOT NULL DEFAULT '';
ALTER TABLE audit_events ADD COLUMN request_id text NOT NULL DEFAULT '';
ALTER TABLE audit_events ADD COLUMN client_address text NOT NULL DEFAULT '';
ALTER TABLE audit_events ADD COLUMN seq bigint NOT NULL DEFAULT 0;
ALTER TABLE audit_events ADD COLUMN prev_hash text NOT NULL DEFAULT '';
ALTER TABLE audit_events ADD COLUMN hash text NOT NULL DEFAULT '';

ALTER TABLE audit_events DISABLE TRIGGER audit_events_guard;
UPDATE audit_events SET seq = r.n
    FROM (SELECT id, row_number() OVER (ORDER BY id) AS n FROM audit_events) r
    WHERE r.id = audit_events.id;
ALTER TABLE audit_events ENABLE TRIGGER audit_events_guard;

CREATE UNIQUE INDEX audit_events_seq ON audit_events (seq);
CREATE INDEX audit_events_actor ON audit_events (actor, seq);
CREATE INDEX audit_events_person ON audit_events (actor_person, seq);
CREATE INDEX audit_events_action ON audit_events (action, seq);

-- The chain's head: the last seq and its hash. One row, moved forward only, never deleted.
CREATE TABLE audit_chain (
    id           integer PRIMARY KEY CHECK (id = 1),
    seq          bigint NOT NULL,
    hash         text NOT NULL,
    chained_from bigint NOT NULL
);
INSERT INTO audit_chain (id, seq, hash, chained_from)
    SELECT 1, coalesce(max(seq), 0), '', coalesce(max(seq), 0) + 1 FROM audit_events;

CREATE FUNCTION audit_chain_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'audit chain: delete refused' USING ERRCODE = 'SP001';
    END IF;
    IF NEW.seq < OLD.seq OR NEW.chained_from <> OLD.chained_from THEN
        RAISE EXCEPTION 'audit chain: the head only moves forward' USING ERRCODE = 'SP001';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER audit_chain_guard BEFORE UPDATE OR DELETE ON audit_chain
    FOR EACH ROW EXECUTE FUNCTION audit_chain_guard();
CREATE TRIGGER audit_chain_no_truncate BEFORE TRUNCATE ON audit_chain
    FOR EACH STATEMENT EXECUTE FUNCTION sportello_refuse_truncate();
