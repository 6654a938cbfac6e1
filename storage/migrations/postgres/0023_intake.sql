-- Sportello schema, version 23, PostgreSQL: mail intake and the segnatura received (issue 14).
--
-- intake_messages records every message a configured mailbox yielded, once: the UNIQUE
-- (mailbox, uid_validity, uid) makes a message handled exactly once across restarts and
-- replicas (the replica losing the race rolls back its whole transaction, registration
-- included, and skips), and the partial unique index on (mailbox, dedupe_key) lets one
-- Message-ID (or, without one, one content digest) be kept at most once per mailbox: a resend
-- or the same message after a change of UIDVALIDITY is recorded as a duplicate of the first.
-- The raw message is in the blob store under sha256 before the row exists.
--
-- States: registered (a registration was made from it, registration_id), draft (kept for an
-- operator), discarded (a draft an operator discarded, with reason, who and when), receipt (a
-- PEC receipt or protocol message linked to a dispatch), unmatched (one that answered nothing
-- of ours), duplicate (duplicate_of names the first), rejected (not a readable message, or a
-- message that cannot be registered; detail says why).
CREATE TABLE intake_messages (
    seq             bigserial   PRIMARY KEY,
    id              text        NOT NULL UNIQUE,
    mailbox         text        NOT NULL CHECK (mailbox <> ''),
    uid_validity    bigint      NOT NULL CHECK (uid_validity > 0),
    uid             bigint      NOT NULL CHECK (uid > 0),
    message_id      text        NOT NULL,
    dedupe_key      text        NOT NULL CHECK (dedupe_key <> ''),
    sha256          text        NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    size            bigint      NOT NULL CHECK (size > 0),
    channel         text        NOT NULL CHECK (channel IN ('pec', 'email')),
    register_code   text        NOT NULL,
    offices         text        NOT NULL,
    sender          text        NOT NULL,
    subject         text        NOT NULL,
    state           text        NOT NULL CHECK (state IN ('registered', 'draft', 'discarded', 'receipt', 'unmatched', 'duplicate', 'rejected')),
    received_at     timestamptz NOT NULL,
    registration_id text        REFERENCES registrations (id),
    duplicate_of    text        REFERENCES intake_messages (id),
    detail          text        NOT NULL,
    decided_by      text,
    decided_at      timestamptz,
    UNIQUE (mailbox, uid_validity, uid),
    CHECK ((state = 'registered') = (registration_id IS NOT NULL)),
    CHECK ((state = 'duplicate') = (duplicate_of IS NOT NULL))
);
CREATE UNIQUE INDEX intake_messages_once ON intake_messages (mailbox, dedupe_key) WHERE state <> 'duplicate';
CREATE INDEX intake_messages_state ON intake_messages (state, seq);
CREATE INDEX intake_messages_cursor ON intake_messages (mailbox, seq);

-- A message's record is kept: never deleted, its identity never changed, and only a draft
-- changes state (to registered or discarded).
CREATE FUNCTION intake_messages_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'intake message %: delete refused: the record of a received message is kept', OLD.id
            USING ERRCODE = 'SP001';
    END IF;
    IF (NEW.seq, NEW.id, NEW.mailbox, NEW.uid_validity, NEW.uid, NEW.message_id, NEW.dedupe_key, NEW.sha256, NEW.size,
        NEW.channel, NEW.received_at, NEW.duplicate_of)
        IS DISTINCT FROM (OLD.seq, OLD.id, OLD.mailbox, OLD.uid_validity, OLD.uid, OLD.message_id, OLD.dedupe_key, OLD.sha256,
        OLD.size, OLD.channel, OLD.received_at, OLD.duplicate_of) THEN
        RAISE EXCEPTION 'intake message %: update refused: what was received is immutable', OLD.id
            USING ERRCODE = 'SP001';
    END IF;
    IF NEW.state IS DISTINCT FROM OLD.state AND NOT (OLD.state = 'draft' AND NEW.state IN ('registered', 'discarded')) THEN
        RAISE EXCEPTION 'intake message %: state % to % refused: only a draft is registered or discarded', OLD.id,
            OLD.state, NEW.state USING ERRCODE = 'SP001';
    END IF;
    IF OLD.registration_id IS NOT NULL AND NEW.registration_id IS DISTINCT FROM OLD.registration_id THEN
        RAISE EXCEPTION 'intake message %: update refused: its registration is fixed', OLD.id
            USING ERRCODE = 'SP001';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER intake_messages_guard BEFORE UPDATE OR DELETE ON intake_messages
    FOR EACH ROW EXECUTE FUNCTION intake_messages_guard();
CREATE TRIGGER intake_messages_no_truncate BEFORE TRUNCATE ON intake_messages
    FOR EACH STATEMENT EXECUTE FUNCTION sportello_refuse_truncate();

-- What a segnatura received with a registration stated and what its check found (Allegato 6):
-- the sender AOO's protocol identifier, the anomaly codes (JSON [{code, detail}]), whether a
-- confirmation was asked, the answer sent back (kind, its Message-ID, its state), and the
-- sender's annulment of its registration when one arrives (JSON, NULL until then). A table of
-- its own beside the guarded registrations row: the answer's state and the annulment change
-- after the registration. What was received never changes.
CREATE TABLE registration_interop (
    registration_id        text        PRIMARY KEY REFERENCES registrations (id),
    version                text        NOT NULL CHECK (version IN ('3.0.0', '2013', '2001')),
    sender_ipa_code        text        NOT NULL,
    sender_aoo_code        text        NOT NULL,
    sender_register        text        NOT NULL,
    sender_number          text        NOT NULL,
    sender_date            text        NOT NULL,
    sender_address         text        NOT NULL,
    message_id             text        NOT NULL,
    confirmation_requested boolean     NOT NULL,
    anomalies              text        NOT NULL,
    answer_kind            text        NOT NULL CHECK (answer_kind IN ('', 'ConfermaRicezione', 'NotificaEccezione')),
    answer_message_id      text        NOT NULL,
    answer_state           text        NOT NULL CHECK (answer_state IN ('', 'pending', 'sent', 'failed')),
    answer_attempts        bigint      NOT NULL CHECK (answer_attempts >= 0),
    answer_error           text        NOT NULL,
    answer_sent_at         timestamptz,
    annulled_by_sender     text,
    CHECK ((answer_kind = '') = (answer_state = ''))
);
CREATE INDEX registration_interop_sender ON registration_interop (sender_ipa_code, sender_aoo_code, sender_number, sender_date);

CREATE FUNCTION registration_interop_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'interoperability of %: delete refused', OLD.registration_id USING ERRCODE = 'SP001';
    END IF;
    IF (NEW.registration_id, NEW.version, NEW.sender_ipa_code, NEW.sender_aoo_code, NEW.sender_register,
        NEW.sender_number, NEW.sender_date, NEW.sender_address, NEW.message_id, NEW.confirmation_requested, NEW.anomalies,
        NEW.answer_kind, NEW.answer_message_id)
        IS DISTINCT FROM (OLD.registration_id, OLD.version, OLD.sender_ipa_code, OLD.sender_aoo_code,
        OLD.sender_register, OLD.sender_number, OLD.sender_date, OLD.sender_address, OLD.message_id, OLD.confirmation_requested,
        OLD.anomalies, OLD.answer_kind, OLD.answer_message_id) THEN
        RAISE EXCEPTION 'interoperability of %: update refused: what was received is immutable', OLD.registration_id
            USING ERRCODE = 'SP001';
    END IF;
    IF OLD.annulled_by_sender IS NOT NULL AND NEW.annulled_by_sender IS DISTINCT FROM OLD.annulled_by_sender THEN
        RAISE EXCEPTION 'interoperability of %: update refused: the sender''s annulment is recorded', OLD.registration_id
            USING ERRCODE = 'SP001';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER registration_interop_guard BEFORE UPDATE OR DELETE ON registration_interop
    FOR EACH ROW EXECUTE FUNCTION registration_interop_guard();
CREATE TRIGGER registration_interop_no_truncate BEFORE TRUNCATE ON registration_interop
    FOR EACH STATEMENT EXECUTE FUNCTION sportello_refuse_truncate();
