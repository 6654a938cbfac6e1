-- Sportello schema, version 4, SQLite: dossiers (fascicoli, docs/compliance.md C3, MD2). The same
-- logical schema as postgres/0004_dossiers.sql, which explains it.
--
-- As in version 1, the protected tables also refuse an INSERT that would collide with an
-- existing row, so that INSERT OR REPLACE cannot delete one silently.

CREATE TABLE dossier_counters (
    class       TEXT    NOT NULL REFERENCES classes (code),
    year        INTEGER NOT NULL CHECK (year BETWEEN 1 AND 9999),
    last_number INTEGER NOT NULL CHECK (last_number >= 1),
    PRIMARY KEY (class, year)
) STRICT;

CREATE TRIGGER dossier_counters_no_reinsert BEFORE INSERT ON dossier_counters
BEGIN
    SELECT RAISE(ABORT, 'dossier counter ' || NEW.class || '/' || NEW.year || ': insert refused: the counter exists')
    WHERE EXISTS (SELECT 1 FROM dossier_counters WHERE class = NEW.class AND year = NEW.year);
END;

CREATE TRIGGER dossier_counters_next BEFORE UPDATE ON dossier_counters
BEGIN
    SELECT RAISE(ABORT, 'dossier counter ' || OLD.class || '/' || OLD.year || ': class and year cannot change')
    WHERE NEW.class IS NOT OLD.class OR NEW.year IS NOT OLD.year;
    SELECT RAISE(ABORT, 'dossier counter ' || OLD.class || '/' || OLD.year || ': last_number may only go from '
        || OLD.last_number || ' to ' || (OLD.last_number + 1) || ', not to ' || coalesce(NEW.last_number, 'NULL'))
    WHERE NEW.last_number IS NOT OLD.last_number + 1;
END;

CREATE TRIGGER dossier_counters_no_delete BEFORE DELETE ON dossier_counters
BEGIN
    SELECT RAISE(ABORT, 'dossier counter ' || OLD.class || '/' || OLD.year || ': delete refused');
END;

CREATE TABLE dossiers (
    seq        INTEGER PRIMARY KEY AUTOINCREMENT,
    id         TEXT    NOT NULL UNIQUE,
    identifier TEXT    NOT NULL UNIQUE,
    year       INTEGER NOT NULL CHECK (year BETWEEN 1 AND 9999),
    class      TEXT    NOT NULL REFERENCES classes (code),
    number     INTEGER NOT NULL CHECK (number >= 1),
    subject    TEXT    NOT NULL CHECK (subject <> ''),
    type       TEXT    NOT NULL CHECK (type IN ('affare', 'attivita', 'persona_fisica', 'persona_giuridica', 'procedimento')),
    office     TEXT    NOT NULL REFERENCES offices (code),
    parent_id  TEXT    REFERENCES dossiers (id),
    status     TEXT    NOT NULL CHECK (status IN ('open', 'closed')),
    opened_at  TEXT    NOT NULL,
    closed_at  TEXT,
    created_by TEXT    NOT NULL,
    position   INTEGER NOT NULL,
    UNIQUE (class, year, number),
    CHECK ((status = 'open') = (closed_at IS NULL))
) STRICT;
CREATE INDEX dossiers_class ON dossiers (class, seq);
CREATE INDEX dossiers_year ON dossiers (year, seq);
CREATE INDEX dossiers_office ON dossiers (office, seq);
CREATE INDEX dossiers_created_by ON dossiers (created_by, seq);
CREATE INDEX dossiers_parent ON dossiers (parent_id);

CREATE TRIGGER dossiers_no_reinsert BEFORE INSERT ON dossiers
BEGIN
    SELECT RAISE(ABORT, 'dossier ' || NEW.identifier || ': insert refused: it would replace an existing dossier')
    WHERE EXISTS (SELECT 1 FROM dossiers WHERE seq = NEW.seq OR id = NEW.id OR identifier = NEW.identifier
                     OR (class = NEW.class AND year = NEW.year AND number = NEW.number));
END;

CREATE TRIGGER dossiers_immutable BEFORE UPDATE ON dossiers
BEGIN
    SELECT RAISE(ABORT, 'dossier ' || OLD.identifier || ': id, identifier, year, class, number, opened_at and created_by cannot change')
    WHERE NEW.seq IS NOT OLD.seq OR NEW.id IS NOT OLD.id OR NEW.identifier IS NOT OLD.identifier
       OR NEW.year IS NOT OLD.year OR NEW.class IS NOT OLD.class OR NEW.number IS NOT OLD.number
       OR NEW.opened_at IS NOT OLD.opened_at OR NEW.created_by IS NOT OLD.created_by;
    SELECT RAISE(ABORT, 'dossier ' || OLD.identifier || ': position cannot go back from ' || OLD.position || ' to ' || NEW.position)
    WHERE NEW.position < OLD.position;
END;

CREATE TRIGGER dossiers_no_delete BEFORE DELETE ON dossiers
BEGIN
    SELECT RAISE(ABORT, 'dossier ' || OLD.identifier || ': delete refused: a dossier is never deleted, only closed');
END;

CREATE TABLE dossier_items (
    dossier_id      TEXT NOT NULL REFERENCES dossiers (id),
    kind            TEXT NOT NULL CHECK (kind IN ('registration')),
    registration_id TEXT NOT NULL REFERENCES registrations (id),
    added_at        TEXT NOT NULL,
    added_by        TEXT NOT NULL,
    PRIMARY KEY (dossier_id, registration_id)
) STRICT;
CREATE INDEX dossier_items_registration ON dossier_items (registration_id);

CREATE TRIGGER dossier_items_insert BEFORE INSERT ON dossier_items
BEGIN
    SELECT RAISE(ABORT, 'dossier ' || d.identifier || ' is closed: a closed dossier accepts no new items and loses none')
    FROM dossiers d WHERE d.id = NEW.dossier_id AND d.status = 'closed';
    SELECT RAISE(ABORT, 'dossier item: insert refused: the registration is already filed in this dossier')
    WHERE EXISTS (SELECT 1 FROM dossier_items WHERE dossier_id = NEW.dossier_id AND registration_id = NEW.registration_id);
END;

CREATE TRIGGER dossier_items_no_update BEFORE UPDATE ON dossier_items
BEGIN
    SELECT RAISE(ABORT, 'dossier item: update refused');
END;

CREATE TRIGGER dossier_items_delete BEFORE DELETE ON dossier_items
BEGIN
    SELECT RAISE(ABORT, 'dossier ' || d.identifier || ' is closed: a closed dossier accepts no new items and loses none')
    FROM dossiers d WHERE d.id = OLD.dossier_id AND d.status = 'closed';
END;
