-- Sportello schema, version 23, SQLite: mail intake and the segnatura received. See the
-- PostgreSQL file for the design. RAISE messages are string literals (SQLite 3.40).
CREATE TABLE intake_messages (
    seq             INTEGER PRIMARY KEY AUTOINCREMENT,
    id              TEXT    NOT NULL UNIQUE,
    mailbox         TEXT    NOT NULL CHECK (mailbox <> ''),
    uid_validity    INTEGER NOT NULL CHECK (uid_validity > 0),
    uid             INTEGER NOT NULL CHECK (uid > 0),
    message_id      TEXT    NOT NULL,
    dedupe_key      TEXT    NOT NULL CHECK (dedupe_key <> ''),
    sha256          TEXT    NOT NULL CHECK (length(sha256) = 64 AND sha256 NOT GLOB '*[^0-9a-f]*'),
    size            INTEGER NOT NULL CHECK (size > 0),
    channel         TEXT    NOT NULL CHECK (channel IN ('pec', 'email')),
    register_code   TEXT    NOT NULL,
    offices         TEXT    NOT NULL,
    sender          TEXT    NOT NULL,
    subject         TEXT    NOT NULL,
    state           TEXT    NOT NULL CHECK (state IN ('registered', 'draft', 'discarded', 'receipt', 'unmatched', 'duplicate', 'rejected')),
    received_at     TEXT    NOT NULL,
    registration_id TEXT    REFERENCES registrations (id),
    duplicate_of    TEXT    REFERENCES intake_messages (id),
    detail          TEXT    NOT NULL,
    decided_by      TEXT,
    decided_at      TEXT,
    UNIQUE (mailbox, uid_validity, uid),
    CHECK ((state = 'registered') = (registration_id IS NOT NULL)),
    CHECK ((state = 'duplicate') = (duplicate_of IS NOT NULL))
) STRICT;
CREATE UNIQUE INDEX intake_messages_once ON intake_messages (mailbox, dedupe_key) WHERE state <> 'duplicate';
CREATE INDEX intake_messages_state ON intake_messages (state, seq);
CREATE INDEX intake_messages_cursor ON intake_messages (mailbox, seq);

CREATE TRIGGER intake_messages_no_delete BEFORE DELETE ON intake_messages
BEGIN
    SELECT RAISE(ABORT, 'intake message: delete refused: the record of a received message is kept');
END;

CREATE TRIGGER intake_messages_immutable BEFORE UPDATE ON intake_messages
BEGIN
    SELECT RAISE(ABORT, 'intake message: update refused: what was received is immutable')
    WHERE NEW.seq IS NOT OLD.seq OR NEW.id IS NOT OLD.id OR NEW.mailbox IS NOT OLD.mailbox OR NEW.uid_validity IS NOT OLD.uid_validity
       OR NEW.uid IS NOT OLD.uid OR NEW.message_id IS NOT OLD.message_id OR NEW.dedupe_key IS NOT OLD.dedupe_key
       OR NEW.sha256 IS NOT OLD.sha256 OR NEW.size IS NOT OLD.size OR NEW.channel IS NOT OLD.channel
       OR NEW.received_at IS NOT OLD.received_at OR NEW.duplicate_of IS NOT OLD.duplicate_of;
    SELECT RAISE(ABORT, 'intake message: state change refused: only a draft is registered or discarded')
    WHERE NEW.state IS NOT OLD.state AND NOT (OLD.state = 'draft' AND NEW.state IN ('registered', 'discarded'));
    SELECT RAISE(ABORT, 'intake message: update refused: its registration is fixed')
    WHERE OLD.registration_id IS NOT NULL AND NEW.registration_id IS NOT OLD.registration_id;
END;

CREATE TABLE registration_interop (
    registration_id        TEXT    PRIMARY KEY REFERENCES registrations (id),
    version                TEXT    NOT NULL CHECK (version IN ('3.0.0', '2013', '2001')),
    sender_ipa_code        TEXT    NOT NULL,
    sender_aoo_code        TEXT    NOT NULL,
    sender_register        TEXT    NOT NULL,
    sender_number          TEXT    NOT NULL,
    sender_date            TEXT    NOT NULL,
    sender_address         TEXT    NOT NULL,
    message_id             TEXT    NOT NULL,
    confirmation_requested INTEGER NOT NULL,
    anomalies              TEXT    NOT NULL,
    answer_kind            TEXT    NOT NULL CHECK (answer_kind IN ('', 'ConfermaRicezione', 'NotificaEccezione')),
    answer_message_id      TEXT    NOT NULL,
    answer_state           TEXT    NOT NULL CHECK (answer_state IN ('', 'pending', 'sent', 'failed')),
    answer_attempts        INTEGER NOT NULL CHECK (answer_attempts >= 0),
    answer_error           TEXT    NOT NULL,
    answer_sent_at         TEXT,
    annulled_by_sender     TEXT,
    CHECK ((answer_kind = '') = (answer_state = ''))
) STRICT;
CREATE INDEX registration_interop_sender ON registration_interop (sender_ipa_code, sender_aoo_code, sender_number, sender_date);

CREATE TRIGGER registration_interop_no_delete BEFORE DELETE ON registration_interop
BEGIN
    SELECT RAISE(ABORT, 'interoperability: delete refused');
END;

CREATE TRIGGER registration_interop_immutable BEFORE UPDATE ON registration_interop
BEGIN
    SELECT RAISE(ABORT, 'interoperability: update refused: what was received is immutable')
    WHERE NEW.registration_id IS NOT OLD.registration_id OR NEW.version IS NOT OLD.version
       OR NEW.sender_ipa_code IS NOT OLD.sender_ipa_code OR NEW.sender_aoo_code IS NOT OLD.sender_aoo_code
       OR NEW.sender_register IS NOT OLD.sender_register OR NEW.sender_number IS NOT OLD.sender_number
       OR NEW.sender_date IS NOT OLD.sender_date OR NEW.sender_address IS NOT OLD.sender_address
       OR NEW.message_id IS NOT OLD.message_id
       OR NEW.confirmation_requested IS NOT OLD.confirmation_requested OR NEW.anomalies IS NOT OLD.anomalies
       OR NEW.answer_kind IS NOT OLD.answer_kind OR NEW.answer_message_id IS NOT OLD.answer_message_id;
    SELECT RAISE(ABORT, 'interoperability: update refused: the annulment by the sender is recorded')
    WHERE OLD.annulled_by_sender IS NOT NULL AND NEW.annulled_by_sender IS NOT OLD.annulled_by_sender;
END;
