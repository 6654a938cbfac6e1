-- Sportello schema, version 3, SQLite: the transparency log (RFC 6962, see
-- docs/transparency-log.md and package signing/tlog).
--
-- Leaves, tree nodes and checkpoints are append-only: a log that could be rewritten would prove
-- nothing. Leaves take consecutive indices from 0 with no gap, and each logged fact (kind,
-- entity) appears once. tlog_state is the one row that moves: the size, the sequencer's change
-- feed cursor and the compact range of the tree, and it may only move forward. As in version 1,
-- inserts that would collide are refused too, so INSERT OR REPLACE cannot rewrite the log.

CREATE TABLE tlog_leaves (
    idx           INTEGER PRIMARY KEY CHECK (idx >= 0),
    kind          TEXT NOT NULL,
    entity_id     TEXT NOT NULL,
    leaf          BLOB NOT NULL,
    leaf_hash     BLOB NOT NULL CHECK (length(leaf_hash) = 32),
    integrated_at TEXT NOT NULL,
    UNIQUE (kind, entity_id)
) STRICT;

CREATE TRIGGER tlog_leaves_next BEFORE INSERT ON tlog_leaves
BEGIN
    SELECT RAISE(ABORT, 'tlog leaf: insert refused: the index is not the next one')
    WHERE NEW.idx IS NOT (SELECT coalesce(max(idx) + 1, 0) FROM tlog_leaves);
    SELECT RAISE(ABORT, 'tlog leaf: insert refused: this entity is logged already')
    WHERE EXISTS (SELECT 1 FROM tlog_leaves WHERE kind = NEW.kind AND entity_id = NEW.entity_id);
END;

CREATE TRIGGER tlog_leaves_no_update BEFORE UPDATE ON tlog_leaves
BEGIN
    SELECT RAISE(ABORT, 'tlog leaf: update refused: the log is append-only');
END;

CREATE TRIGGER tlog_leaves_no_delete BEFORE DELETE ON tlog_leaves
BEGIN
    SELECT RAISE(ABORT, 'tlog leaf: delete refused: the log is append-only');
END;

-- Every complete subtree's hash, (level, idx) as in RFC 6962 / compact ranges: level 0 holds
-- the leaf hashes. Proofs for any tree size up to the current one are read from here.
CREATE TABLE tlog_nodes (
    level INTEGER NOT NULL CHECK (level BETWEEN 0 AND 63),
    idx   INTEGER NOT NULL CHECK (idx >= 0),
    hash  BLOB    NOT NULL CHECK (length(hash) = 32),
    PRIMARY KEY (level, idx)
) STRICT, WITHOUT ROWID;

CREATE TRIGGER tlog_nodes_no_reinsert BEFORE INSERT ON tlog_nodes
BEGIN
    SELECT RAISE(ABORT, 'tlog node: insert refused: the node exists')
    WHERE EXISTS (SELECT 1 FROM tlog_nodes WHERE level = NEW.level AND idx = NEW.idx);
END;

CREATE TRIGGER tlog_nodes_no_update BEFORE UPDATE ON tlog_nodes
BEGIN
    SELECT RAISE(ABORT, 'tlog node: update refused: the log is append-only');
END;

CREATE TRIGGER tlog_nodes_no_delete BEFORE DELETE ON tlog_nodes
BEGIN
    SELECT RAISE(ABORT, 'tlog node: delete refused: the log is append-only');
END;

-- Signed checkpoints. tst is the RFC 3161 token over the signed note; NULL records that the
-- time-stamp authority failed, and the one update allowed is filling it in later.
CREATE TABLE tlog_checkpoints (
    size            INTEGER PRIMARY KEY CHECK (size >= 0),
    origin          TEXT NOT NULL,
    root_hash       BLOB NOT NULL CHECK (length(root_hash) = 32),
    signed_at       TEXT NOT NULL,
    signature       BLOB NOT NULL,
    key_fingerprint TEXT NOT NULL,
    tst             BLOB
) STRICT;
CREATE INDEX tlog_checkpoints_missing_tst ON tlog_checkpoints (size) WHERE tst IS NULL;

CREATE TRIGGER tlog_checkpoints_no_reinsert BEFORE INSERT ON tlog_checkpoints
BEGIN
    SELECT RAISE(ABORT, 'tlog checkpoint ' || NEW.size || ': insert refused: the checkpoint exists')
    WHERE EXISTS (SELECT 1 FROM tlog_checkpoints WHERE size = NEW.size);
END;

CREATE TRIGGER tlog_checkpoints_token_only BEFORE UPDATE ON tlog_checkpoints
BEGIN
    SELECT RAISE(ABORT, 'tlog checkpoint ' || OLD.size || ': update refused: only a missing time-stamp token may be added')
    WHERE NEW.size IS NOT OLD.size OR NEW.origin IS NOT OLD.origin OR NEW.root_hash IS NOT OLD.root_hash
       OR NEW.signed_at IS NOT OLD.signed_at OR NEW.signature IS NOT OLD.signature
       OR NEW.key_fingerprint IS NOT OLD.key_fingerprint OR OLD.tst IS NOT NULL OR NEW.tst IS NULL;
END;

CREATE TRIGGER tlog_checkpoints_no_delete BEFORE DELETE ON tlog_checkpoints
BEGIN
    SELECT RAISE(ABORT, 'tlog checkpoint ' || OLD.size || ': delete refused');
END;

-- The sequencer's state, one row. compact_range holds the hashes of the compact range [0, size)
-- concatenated (32 bytes each, left to right), so that appending needs no read of tlog_nodes.
CREATE TABLE tlog_state (
    id              INTEGER PRIMARY KEY CHECK (id = 1),
    size            INTEGER NOT NULL,
    cursor_tx       INTEGER NOT NULL,
    cursor_position INTEGER NOT NULL,
    compact_range   BLOB    NOT NULL
) STRICT;
INSERT INTO tlog_state VALUES (1, 0, 0, 0, x'');

CREATE TRIGGER tlog_state_single BEFORE INSERT ON tlog_state
BEGIN
    SELECT RAISE(ABORT, 'tlog state: insert refused');
END;

CREATE TRIGGER tlog_state_forward BEFORE UPDATE ON tlog_state
BEGIN
    SELECT RAISE(ABORT, 'tlog state: size and cursor may only move forward')
    WHERE NEW.id IS NOT OLD.id OR NEW.size < OLD.size OR NEW.cursor_tx < OLD.cursor_tx
       OR (NEW.cursor_tx = OLD.cursor_tx AND NEW.cursor_position < OLD.cursor_position);
    SELECT RAISE(ABORT, 'tlog state: size does not match the leaves')
    WHERE NEW.size IS NOT (SELECT coalesce(max(idx) + 1, 0) FROM tlog_leaves);
END;

CREATE TRIGGER tlog_state_no_delete BEFORE DELETE ON tlog_state
BEGIN
    SELECT RAISE(ABORT, 'tlog state: delete refused');
END;
