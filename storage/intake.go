package storage

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/riverqueue/river"
	"gorm.io/gorm"

	"github.com/sportello/sportello/domain"
	"github.com/sportello/sportello/jobs"
)

// errLostRace rolls back a RecordIntake whose message another process recorded first.
var errLostRace = errors.New("message recorded by another process")

// RecordIntake stores the record of a received message and, with it, its registration, in one
// transaction (domain.IntakeStore). The registration is inserted first and the record last,
// its UNIQUE (mailbox, uid_validity, uid) deciding between processes reading the same mailbox:
// the one that finds the message recorded rolls everything back, its registration's number
// included, and reports recorded=false. A record whose dedupe key the mailbox holds already
// becomes a duplicate of it; two processes recording the same Message-ID under different UIDs
// at once meet on the partial unique index, and the loser, retried, finds the winner's record.
func (db *DB) RecordIntake(ctx context.Context, m *domain.IntakeMessage, r *domain.Registration, w domain.Write) (bool, error) {
	m.ReceivedAt = utcMicro(m.ReceivedAt)
	var enc encoded
	if r != nil {
		var err error
		if enc, err = prepare(r); err != nil {
			return false, fmt.Errorf("record message %s: %w", m.ID, err)
		}
	}
	for attempt := 0; ; attempt++ {
		number, identifier, position := int64(0), "", int64(0)
		if r != nil {
			number, identifier, position = r.Number, r.Identifier, r.Position
		}
		state, regID := m.State, m.RegistrationID
		err := db.write(ctx, func(tx *gorm.DB) error {
			first, err := db.firstOf(tx, m.Mailbox, m.DedupeKey)
			if err != nil {
				return err
			}
			reg := r
			if first != "" {
				m.State, m.DuplicateOf, m.RegistrationID, reg = domain.IntakeDuplicate, first, "", nil
			}
			if reg != nil {
				if err := db.insertRegistration(ctx, tx, reg, enc, w, false); err != nil {
					return err
				}
			}
			inserted, err := db.insertIntake(tx, m)
			if err != nil || !inserted {
				return cmpErr(err, errLostRace)
			}
			if r == nil { // a registration's write went with it; a duplicate's is dropped with it
				return db.storeWrite(tx, w)
			}
			return nil
		})
		if err == nil {
			if r != nil && m.State == domain.IntakeRegistered {
				db.counters.Store(counterKey{r.Register, r.Year}, struct{}{})
			}
			return true, nil
		}
		if r != nil {
			r.Number, r.Identifier, r.Position = number, identifier, position
		}
		m.State, m.RegistrationID, m.DuplicateOf = state, regID, ""
		if errors.Is(err, errLostRace) {
			return false, nil
		}
		if isUnique(err, "intake_messages") && attempt < 2 {
			continue // the same dedupe key recorded meanwhile under another UID: now a duplicate
		}
		return false, fmt.Errorf("record message %s: %w", m.ID, guarded(err))
	}
}

// cmpErr returns err, or alt when err is nil.
func cmpErr(err, alt error) error {
	if err != nil {
		return err
	}
	return alt
}

// firstOf returns the id of the record holding the dedupe key in the mailbox, "" if none.
func (db *DB) firstOf(tx *gorm.DB, mailbox, key string) (string, error) {
	var id string
	err := tx.Raw(`SELECT id FROM intake_messages WHERE mailbox = ? AND dedupe_key = ? AND state <> ?`,
		mailbox, key, domain.IntakeDuplicate).Row().Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("look for message %s: %w", key, err)
	}
	return id, nil
}

// insertIntake inserts m unless its (mailbox, uid_validity, uid) is recorded, and reports
// whether it did.
func (db *DB) insertIntake(tx *gorm.DB, m *domain.IntakeMessage) (bool, error) {
	offices, err := jsonText(orEmpty(m.Offices))
	if err != nil {
		return false, err
	}
	res := tx.Exec(`INSERT INTO intake_messages (id, mailbox, uid_validity, uid, message_id, dedupe_key, sha256, size,
		channel, register_code, offices, sender, subject, state, received_at, registration_id, duplicate_of, detail)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (mailbox, uid_validity, uid) DO NOTHING`,
		m.ID, m.Mailbox, int64(m.UIDValidity), int64(m.UID), m.MessageID, m.DedupeKey, m.SHA256, m.Size,
		string(m.Channel), m.Register, offices, m.Sender, m.Subject, m.State, db.ts(m.ReceivedAt),
		nullString(m.RegistrationID), nullString(m.DuplicateOf), m.Detail)
	if res.Error != nil {
		return false, res.Error
	}
	return res.RowsAffected == 1, nil
}

// IntakeCursor returns where reading a mailbox resumes (domain.IntakeStore): the UIDVALIDITY of
// the message recorded last and the highest UID recorded under it.
func (db *DB) IntakeCursor(ctx context.Context, mailbox string) (uint32, uint32, error) {
	var validity, uid int64
	err := db.read(ctx).Raw(`SELECT uid_validity, (SELECT max(uid) FROM intake_messages m
			WHERE m.mailbox = l.mailbox AND m.uid_validity = l.uid_validity)
		FROM intake_messages l WHERE mailbox = ? ORDER BY seq DESC LIMIT 1`, mailbox).Row().Scan(&validity, &uid)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, 0, nil
	}
	if err != nil {
		return 0, 0, fmt.Errorf("cursor of mailbox %s: %w", mailbox, err)
	}
	return uint32(validity), uint32(uid), nil
}

// intakeColumns is the select list of an intake record, in scanIntake's order.
const intakeColumns = `seq, id, mailbox, uid_validity, uid, message_id, dedupe_key, sha256, size, channel,
	register_code, offices, sender, subject, state, received_at, registration_id, duplicate_of, detail, decided_by, decided_at`

// scanIntake reads one row of intakeColumns.
func scanIntake(row rowScanner) (*domain.IntakeMessage, int64, error) {
	var (
		m                       domain.IntakeMessage
		seq, validity, uid      int64
		channel, offices        string
		regID, dupOf, decidedBy sql.NullString
		decidedAt               time.Time
		decided                 bool
	)
	err := row.Scan(&seq, &m.ID, &m.Mailbox, &validity, &uid, &m.MessageID, &m.DedupeKey, &m.SHA256, &m.Size, &channel,
		&m.Register, &offices, &m.Sender, &m.Subject, &m.State, timeCol{T: &m.ReceivedAt}, &regID, &dupOf, &m.Detail,
		&decidedBy, timeCol{T: &decidedAt, Valid: &decided})
	if err != nil {
		return nil, 0, err
	}
	m.UIDValidity, m.UID, m.Channel = uint32(validity), uint32(uid), domain.Channel(channel)
	m.RegistrationID, m.DuplicateOf, m.DecidedBy = regID.String, dupOf.String, decidedBy.String
	if decided {
		m.DecidedAt = &decidedAt
	}
	if err := json.Unmarshal([]byte(offices), &m.Offices); err != nil {
		return nil, 0, fmt.Errorf("intake message %s: offices: %w", m.ID, err)
	}
	return &m, seq, nil
}

// IntakeMessage returns one record (ECNotFound).
func (db *DB) IntakeMessage(ctx context.Context, id string) (*domain.IntakeMessage, error) {
	m, _, err := scanIntake(db.read(ctx).Raw(`SELECT `+intakeColumns+` FROM intake_messages WHERE id = ?`, id).Row())
	if errors.Is(err, sql.ErrNoRows) {
		return nil, domain.Errorf(domain.ECNotFound, "received message %s not found", id)
	}
	if err != nil {
		return nil, fmt.Errorf("intake message %s: %w", id, err)
	}
	return m, nil
}

// IntakeMessages lists records newest first, filtered by state and mailbox, one page at a time.
func (db *DB) IntakeMessages(ctx context.Context, f domain.IntakeFilter) (domain.Page[*domain.IntakeMessage], error) {
	out := domain.Page[*domain.IntakeMessage]{Items: []*domain.IntakeMessage{}}
	q := `SELECT ` + intakeColumns + ` FROM intake_messages WHERE 1 = 1`
	var args []any
	if f.State != "" {
		q += ` AND state = ?`
		args = append(args, f.State)
	}
	if f.Mailbox != "" {
		q += ` AND mailbox = ?`
		args = append(args, f.Mailbox)
	}
	if f.Cursor != "" {
		seq, err := decodeCursor(f.Cursor)
		if err != nil {
			return out, err
		}
		q += ` AND seq < ?`
		args = append(args, seq)
	}
	q += ` ORDER BY seq DESC LIMIT ?`
	args = append(args, f.Limit+1)
	rows, err := db.read(ctx).Raw(q, args...).Rows()
	if err != nil {
		return out, fmt.Errorf("intake messages: %w", err)
	}
	defer rows.Close()
	var last int64
	for rows.Next() {
		m, seq, err := scanIntake(rows)
		if err != nil {
			return out, fmt.Errorf("intake messages: %w", err)
		}
		if len(out.Items) == f.Limit {
			out.NextCursor = encodeCursor(last)
			break
		}
		out.Items, last = append(out.Items, m), seq
	}
	if err := rows.Err(); err != nil {
		return out, fmt.Errorf("intake messages: %w", err)
	}
	return out, nil
}

// DecideIntake locks a record, lets change decide it, and stores the decision with its
// registration, if any, in one transaction (domain.IntakeStore).
func (db *DB) DecideIntake(ctx context.Context, id string, change func(*domain.IntakeMessage) (*domain.Registration, domain.Write, error)) (*domain.IntakeMessage, error) {
	var out *domain.IntakeMessage
	var reg *domain.Registration
	err := db.write(ctx, func(tx *gorm.DB) error {
		q := `SELECT ` + intakeColumns + ` FROM intake_messages WHERE id = ?`
		if db.engine == Postgres {
			q += ` FOR UPDATE`
		}
		m, _, err := scanIntake(tx.Raw(q, id).Row())
		if errors.Is(err, sql.ErrNoRows) {
			return domain.Errorf(domain.ECNotFound, "received message %s not found", id)
		}
		if err != nil {
			return err
		}
		r, w, err := change(m)
		if err != nil {
			return err
		}
		if r != nil {
			enc, err := prepare(r)
			if err != nil {
				return err
			}
			if err := db.insertRegistration(ctx, tx, r, enc, w, false); err != nil {
				return err
			}
			reg = r
		} else if err := db.storeWrite(tx, w); err != nil {
			return err
		}
		err = tx.Exec(`UPDATE intake_messages SET state = ?, registration_id = ?, detail = ?, decided_by = ?, decided_at = ?
			WHERE id = ?`, m.State, nullString(m.RegistrationID), m.Detail, nullString(m.DecidedBy), db.tsOrNil(m.DecidedAt), id).Error
		out = m
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("decide received message %s: %w", id, guarded(err))
	}
	if reg != nil {
		db.counters.Store(counterKey{reg.Register, reg.Year}, struct{}{})
	}
	return out, nil
}

// insertInterop stores what r's segnatura stated and found, in r's transaction, and enqueues
// the job that sends its answer, if one is due.
func (db *DB) insertInterop(tx *gorm.DB, r *domain.Registration) error {
	in := r.Interoperability
	anomalies, err := jsonText(orEmpty(in.Anomalies))
	if err != nil {
		return err
	}
	var kind, messageID, state string
	if in.Answer != nil {
		kind, messageID, state = in.Answer.Kind, in.Answer.MessageID, domain.AnswerPending
	}
	err = tx.Exec(`INSERT INTO registration_interop (registration_id, version, sender_ipa_code, sender_aoo_code,
		sender_register, sender_number, sender_date, sender_address, message_id, confirmation_requested, anomalies,
		answer_kind, answer_message_id, answer_state, answer_attempts, answer_error)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, '')`,
		r.ID, in.Version, in.Sender.IPACode, in.Sender.AOOCode, in.Sender.Register, in.Sender.Number, in.Sender.Date,
		in.SenderAddress, in.MessageID, in.ConfirmationRequested, anomalies, kind, messageID, state).Error
	if err != nil {
		return fmt.Errorf("store the interoperability of %s: %w", r.ID, err)
	}
	if in.Answer == nil {
		return nil
	}
	return db.enqueueMany(tx, []river.InsertManyParams{{Args: jobs.SendInteropAnswer{RegistrationID: r.ID}}})
}

// AnswerOutcome records an attempt to send the answer to a registration's segnatura.
func (db *DB) AnswerOutcome(ctx context.Context, registrationID, state, cause string, attempt int, at time.Time) error {
	if len(cause) > 2000 {
		cause = cause[:2000]
	}
	var sentAt any
	if state == domain.AnswerSent {
		sentAt = db.ts(at)
	}
	err := db.write(ctx, func(tx *gorm.DB) error {
		return tx.Exec(`UPDATE registration_interop SET answer_state = ?, answer_error = ?, answer_attempts = ?,
			answer_sent_at = coalesce(?, answer_sent_at) WHERE registration_id = ? AND answer_state <> ?`,
			state, cause, attempt, sentAt, registrationID, domain.AnswerSent).Error
	})
	if err != nil {
		return fmt.Errorf("record the answer of %s: %w", registrationID, err)
	}
	return nil
}

// AnnulledBySender records the sender's annulment on the registration received from address
// under the sender identifier id (domain.IntakeStore). A second annulment of the same one
// leaves the first.
func (db *DB) AnnulledBySender(ctx context.Context, id domain.ProtocolID, address string, a domain.SenderAnnulment) (string, error) {
	a.At = utcMicro(a.At)
	text, err := jsonText(a)
	if err != nil {
		return "", err
	}
	var regID string
	err = db.write(ctx, func(tx *gorm.DB) error {
		err := tx.Raw(`SELECT registration_id FROM registration_interop WHERE sender_ipa_code = ? AND sender_aoo_code = ?
			AND sender_number = ? AND sender_date = ? AND lower(sender_address) = lower(?)
			AND (? = '' OR sender_register = ?) ORDER BY registration_id LIMIT 1`,
			id.IPACode, id.AOOCode, id.Number, id.Date, address, id.Register, id.Register).Row().Scan(&regID)
		if errors.Is(err, sql.ErrNoRows) {
			return domain.Errorf(domain.ECNotFound, "no registration received from %s as %s/%s %s of %s",
				address, id.IPACode, id.AOOCode, id.Number, id.Date)
		}
		if err != nil {
			return err
		}
		return tx.Exec(`UPDATE registration_interop SET annulled_by_sender = ? WHERE registration_id = ?
			AND annulled_by_sender IS NULL`, text, regID).Error
	})
	if err != nil {
		return "", fmt.Errorf("record an annulment by the sender: %w", err)
	}
	return regID, nil
}

// interopSelect is the subquery that reads a registration's interoperability (alias r) as one
// JSON object, NULL when it has none.
func (db *DB) interopSelect() string {
	fields := `'version', i.version, 'ipa_code', i.sender_ipa_code, 'aoo_code', i.sender_aoo_code,
		'register', i.sender_register, 'number', i.sender_number, 'date', i.sender_date,
		'address', i.sender_address, 'message_id', i.message_id, 'confirmation_requested', i.confirmation_requested,
		'answer_kind', i.answer_kind, 'answer_message_id', i.answer_message_id, 'answer_state', i.answer_state,
		'answer_attempts', i.answer_attempts, 'answer_error', i.answer_error, 'answer_sent_at', i.answer_sent_at`
	if db.engine == Postgres {
		return `(SELECT json_build_object(` + fields + `, 'anomalies', i.anomalies::json,
			'annulled_by_sender', i.annulled_by_sender::json)::text FROM registration_interop i WHERE i.registration_id = r.id)`
	}
	return `(SELECT json_object(` + fields + `, 'anomalies', json(i.anomalies),
		'annulled_by_sender', json(i.annulled_by_sender)) FROM registration_interop i WHERE i.registration_id = r.id)`
}

// interopRow is interopSelect's object. confirmation_requested is a boolean on PostgreSQL and
// 0 or 1 on SQLite.
type interopRow struct {
	Version         string                  `json:"version"`
	IPACode         string                  `json:"ipa_code"`
	AOOCode         string                  `json:"aoo_code"`
	Register        string                  `json:"register"`
	Number          string                  `json:"number"`
	Date            string                  `json:"date"`
	Address         string                  `json:"address"`
	MessageID       string                  `json:"message_id"`
	Confirmation    any                     `json:"confirmation_requested"`
	AnswerKind      string                  `json:"answer_kind"`
	AnswerMessageID string                  `json:"answer_message_id"`
	AnswerState     string                  `json:"answer_state"`
	AnswerAttempts  int                     `json:"answer_attempts"`
	AnswerError     string                  `json:"answer_error"`
	AnswerSentAt    *string                 `json:"answer_sent_at"`
	Anomalies       []domain.Anomaly        `json:"anomalies"`
	Annulled        *domain.SenderAnnulment `json:"annulled_by_sender"`
}

// decodeInterop reads interopSelect's object.
func decodeInterop(text string) (*domain.Interoperability, error) {
	var row interopRow
	if err := json.Unmarshal([]byte(text), &row); err != nil {
		return nil, fmt.Errorf("decode interoperability: %w", err)
	}
	in := &domain.Interoperability{Version: row.Version, SenderAddress: row.Address, MessageID: row.MessageID,
		Sender: domain.ProtocolID{IPACode: row.IPACode, AOOCode: row.AOOCode, Register: row.Register,
			Number: row.Number, Date: row.Date},
		Anomalies: row.Anomalies, AnnulledBySender: row.Annulled}
	switch v := row.Confirmation.(type) {
	case bool:
		in.ConfirmationRequested = v
	case float64:
		in.ConfirmationRequested = v != 0
	}
	if row.AnswerKind != "" {
		a := &domain.InteropAnswer{Kind: row.AnswerKind, MessageID: row.AnswerMessageID, State: row.AnswerState,
			Error: row.AnswerError, Attempts: row.AnswerAttempts}
		if row.AnswerSentAt != nil {
			var t time.Time
			if err := (timeCol{T: &t}).parse(*row.AnswerSentAt); err != nil {
				return nil, err
			}
			a.SentAt = &t
		}
		in.Answer = a
	}
	return in, nil
}
