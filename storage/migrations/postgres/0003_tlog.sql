-- Sportello schema, version 3, PostgreSQL: the transparency log (RFC 6962, see
-- docs/transparency-log.md and package signing/tlog).
--
-- Leaves, tree nodes and checkpoints are append-only: a log that could be rewritten would prove
-- nothing. Leaves take consecutive indices from 0 with no gap, and each logged fact (kind,
-- entity) appears once. tlog_state is the one row that moves: the size, the sequencer's change
-- feed cursor and the compact range of the tree, and it may only move forward.

CREATE TABLE tlog_leaves (
    idx           bigint PRIMARY KEY CHECK (idx >= 0),
    kind          text        NOT NULL,
    entity_id     text        NOT NULL,
    leaf          bytea       NOT NULL,
    leaf_hash     bytea       NOT NULL CHECK (length(leaf_hash) = 32),
    integrated_at timestamptz NOT NULL,
    UNIQUE (kind, entity_id)
);

CREATE FUNCTION tlog_leaves_guard() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    next_idx bigint;
BEGIN
    IF TG_OP = 'INSERT' THEN
        SELECT coalesce(max(idx) + 1, 0) INTO next_idx FROM tlog_leaves;
        IF NEW.idx <> next_idx THEN
            RAISE EXCEPTION 'tlog leaf %: insert refused: the next index is %', NEW.idx, next_idx
                USING ERRCODE = 'SP001';
        END IF;
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'tlog leaf %: % refused: the log is append-only', OLD.idx, lower(TG_OP)
        USING ERRCODE = 'SP001';
END $$;

CREATE TRIGGER tlog_leaves_guard BEFORE INSERT OR UPDATE OR DELETE ON tlog_leaves
    FOR EACH ROW EXECUTE FUNCTION tlog_leaves_guard();
CREATE TRIGGER tlog_leaves_no_truncate BEFORE TRUNCATE ON tlog_leaves
    FOR EACH STATEMENT EXECUTE FUNCTION sportello_refuse_truncate();

-- Every complete subtree's hash, (level, idx) as in RFC 6962 / compact ranges: level 0 holds
-- the leaf hashes. Proofs for any tree size up to the current one are read from here.
CREATE TABLE tlog_nodes (
    level integer NOT NULL CHECK (level BETWEEN 0 AND 63),
    idx   bigint  NOT NULL CHECK (idx >= 0),
    hash  bytea   NOT NULL CHECK (length(hash) = 32),
    PRIMARY KEY (level, idx)
);

CREATE FUNCTION tlog_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '%: % refused: the log is append-only', TG_TABLE_NAME, lower(TG_OP)
        USING ERRCODE = 'SP001';
END $$;

CREATE TRIGGER tlog_nodes_guard BEFORE UPDATE OR DELETE ON tlog_nodes
    FOR EACH ROW EXECUTE FUNCTION tlog_append_only();
CREATE TRIGGER tlog_nodes_no_truncate BEFORE TRUNCATE ON tlog_nodes
    FOR EACH STATEMENT EXECUTE FUNCTION sportello_refuse_truncate();

-- Signed checkpoints. tst is the RFC 3161 token over the signed note; NULL records that the
-- time-stamp authority failed, and the one update allowed is filling it in later.
CREATE TABLE tlog_checkpoints (
    size            bigint PRIMARY KEY CHECK (size >= 0),
    origin          text        NOT NULL,
    root_hash       bytea       NOT NULL CHECK (length(root_hash) = 32),
    signed_at       timestamptz NOT NULL,
    signature       bytea       NOT NULL,
    key_fingerprint text        NOT NULL,
    tst             bytea
);
CREATE INDEX tlog_checkpoints_missing_tst ON tlog_checkpoints (size) WHERE tst IS NULL;

CREATE FUNCTION tlog_checkpoints_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'tlog checkpoint %: delete refused', OLD.size USING ERRCODE = 'SP001';
    END IF;
    IF (NEW.size, NEW.origin, NEW.root_hash, NEW.signed_at, NEW.signature, NEW.key_fingerprint)
        IS DISTINCT FROM (OLD.size, OLD.origin, OLD.root_hash, OLD.signed_at, OLD.signature, OLD.key_fingerprint)
       OR OLD.tst IS NOT NULL OR NEW.tst IS NULL THEN
        RAISE EXCEPTION 'tlog checkpoint %: update refused: only a missing time-stamp token may be added', OLD.size
            USING ERRCODE = 'SP001';
    END IF;
    RETURN NEW;
END $$;

CREATE TRIGGER tlog_checkpoints_guard BEFORE UPDATE OR DELETE ON tlog_checkpoints
    FOR EACH ROW EXECUTE FUNCTION tlog_checkpoints_guard();
CREATE TRIGGER tlog_checkpoints_no_truncate BEFORE TRUNCATE ON tlog_checkpoints
    FOR EACH STATEMENT EXECUTE FUNCTION sportello_refuse_truncate();

-- The sequencer's state, one row. compact_range holds the hashes of the compact range [0, size)
-- concatenated (32 bytes each, left to right), so that appending needs no read of tlog_nodes.
CREATE TABLE tlog_state (
    id              integer PRIMARY KEY CHECK (id = 1),
    size            bigint NOT NULL,
    cursor_tx       bigint NOT NULL,
    cursor_position bigint NOT NULL,
    compact_range   bytea  NOT NULL
);
INSERT INTO tlog_state VALUES (1, 0, 0, 0, '\x'::bytea);

CREATE FUNCTION tlog_state_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'UPDATE' THEN
        RAISE EXCEPTION 'tlog state: % refused', lower(TG_OP) USING ERRCODE = 'SP001';
    END IF;
    IF NEW.size < OLD.size OR (NEW.cursor_tx, NEW.cursor_position) < (OLD.cursor_tx, OLD.cursor_position) THEN
        RAISE EXCEPTION 'tlog state: size and cursor may only move forward' USING ERRCODE = 'SP001';
    END IF;
    IF NEW.size <> (SELECT coalesce(max(idx) + 1, 0) FROM tlog_leaves) THEN
        RAISE EXCEPTION 'tlog state: size % does not match the leaves', NEW.size USING ERRCODE = 'SP001';
    END IF;
    RETURN NEW;
END $$;

CREATE TRIGGER tlog_state_guard BEFORE INSERT OR UPDATE OR DELETE ON tlog_state
    FOR EACH ROW EXECUTE FUNCTION tlog_state_guard();
CREATE TRIGGER tlog_state_no_truncate BEFORE TRUNCATE ON tlog_state
    FOR EACH STATEMENT EXECUTE FUNCTION sportello_refuse_truncate();
