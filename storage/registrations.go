package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"

	"gorm.io/gorm"

	"github.com/sportello/sportello/domain"
)

// Change-feed event kinds of registrations.
const (
	changeCreated  = "registration.created"
	changeUpdated  = "registration.updated"
	changeAnnulled = "registration.annulled"
)

// CreateRegistration numbers and stores r with its offices, w and one change-feed event (R2).
// The extraction of its text is enqueued after it commits, by DispatchTexts.
//
// Everything that does not need the number is written first; the counter row is taken last,
// together with the one insert that needs it (see numberAndInsert), so that concurrent
// registrations in the same register wait on each other only for that and the commit. If
// anything fails the transaction rolls back, the counter with it: no number is consumed, and r
// keeps no number. Concurrent calls for one register and year share one transaction
// (groupcommit.go).
func (db *DB) CreateRegistration(ctx context.Context, r *domain.Registration, w domain.Write) error {
	enc, err := prepare(r)
	if err != nil {
		return fmt.Errorf("create registration %s: %w", r.ID, err)
	}
	key := counterKey{r.Register, r.Year}
	// A registration with the interoperability of a received segnatura writes a row beside it
	// and may enqueue its answer: it is written alone, not in a group (insertRegistration).
	if _, known := db.counters.Load(key); known && r.Interoperability == nil {
		return db.createGrouped(key, &pendingRegistration{ctx: ctx, r: r, enc: enc, w: w, turn: make(chan bool, 1)})
	}
	if r.Interoperability != nil {
		return db.createRegistration(ctx, r, enc, w)
	}
	// The first registrations of a counter may have to create its row (numberAndInsert), and
	// are written alone. They take turns here, so that once one has committed the others are
	// grouped: written alone they would each hold the audit chain's head on PostgreSQL from
	// their first statement to their commit (runAllChainLast), one after the other.
	first, _ := db.firsts.LoadOrStore(key, make(chan struct{}, 1))
	turn := first.(chan struct{})
	select {
	case turn <- struct{}{}:
	case <-ctx.Done():
		return fmt.Errorf("create registration %s: %w", r.ID, ctx.Err())
	}
	if _, known := db.counters.Load(key); known {
		<-turn
		return db.createGrouped(key, &pendingRegistration{ctx: ctx, r: r, enc: enc, w: w, turn: make(chan bool, 1)})
	}
	defer func() { <-turn }()
	return db.createRegistration(ctx, r, enc, w)
}

// createRegistration writes r alone, in a transaction of its own.
func (db *DB) createRegistration(ctx context.Context, r *domain.Registration, enc encoded, w domain.Write) error {
	number, identifier, position := r.Number, r.Identifier, r.Position
	err := db.write(ctx, func(tx *gorm.DB) error { return db.insertRegistration(ctx, tx, r, enc, w, true) })
	if err != nil {
		r.Number, r.Identifier, r.Position = number, identifier, position
		return fmt.Errorf("create registration %s: %w", r.ID, err)
	}
	// Only now, committed, is the counter row surely there for every other transaction.
	db.counters.Store(counterKey{r.Register, r.Year}, struct{}{})
	return nil
}

// prepare brings r's times to the stored precision and encodes its JSON columns, before the
// transaction that inserts it starts.
func prepare(r *domain.Registration) (encoded, error) {
	r.RegisteredAt = utcMicro(r.RegisteredAt)
	if r.Annulment != nil {
		r.Annulment.At = utcMicro(r.Annulment.At)
	}
	return encode(r)
}

// insertRegistration numbers and stores r (encoded as enc) with its offices, w and one change-feed
// event in tx: the body of CreateRegistration, shared with the transactions that register a
// document among other writes (CreateCase). The caller restores r's number if tx rolls back.
// With last set, the numbering statement commits tx (numberAndInsert): only for a caller
// that has nothing left to write.
func (db *DB) insertRegistration(ctx context.Context, tx *gorm.DB, r *domain.Registration, enc encoded, w domain.Write, last bool) error {
	aoo, err := db.loadAOO(tx)
	if domain.IsCode(err, domain.ECNotFound) {
		// Not the caller's not_found (an unknown register): the installation is broken.
		return errors.New("no AOO: the installation is not bootstrapped")
	}
	if err != nil {
		return err
	}
	stmts := db.registrationStmts(r, w)
	// The content locks (lockContent) are taken by the same statement as the inserts, and
	// w.Verify checks the content after it, still before the commit: a disposal deleting the
	// same bytes has then either committed before the locks were granted, and Verify finds the
	// content gone, or waits for this commit and finds the content in use.
	if lock, ok := db.lockContentStmt(digests(r)); ok {
		stmts = append(stmts, lock)
	}
	tail, err := db.runAllChainLast(tx, stmts)
	if err != nil {
		if isUnique(err, "content_refs") {
			// The id is taken: its content references were recorded by the registration that has it.
			return conflict(err, "registration %s already exists", r.ID)
		}
		return officesError(idempotencyConflict(err, w), r.Offices)
	}
	if w.Verify != nil {
		if err := w.Verify(ctx); err != nil {
			return err
		}
	}
	if w.Document != "" {
		if err := db.registerDocument(tx, w.Document, r.ID); err != nil {
			return err
		}
	}
	if err := db.numberAndInsert(tx, aoo, r, enc, last && r.Interoperability == nil, tail); err != nil {
		return err
	}
	if r.Interoperability != nil {
		if err := db.insertInterop(tx, r); err != nil {
			return err
		}
	}
	r.TextStatus = domain.TextPending
	return nil
}

// registrationStmts returns the statements that store r and w but need no number: r's change
// event, whose position goes to r.Position, its content references and offices, and w's audit
// and idempotency records.
func (db *DB) registrationStmts(r *domain.Registration, w domain.Write) []stmt {
	change := db.changeStmt(changeCreated, domain.KindRegistration, r.ID)
	change.into = &r.Position
	stmts := []stmt{change, contentRefsStmt(domain.KindRegistration, r.ID, digests(r))}
	if len(r.Offices) > 0 {
		stmts = append(stmts, officesStmt(r.ID, r.Offices))
	}
	return append(stmts, db.writeStmts(w)...)
}

// digests lists the digests of r's document and attachments.
func digests(r *domain.Registration) []string {
	out := []string{r.Document.SHA256}
	for _, a := range r.Attachments {
		out = append(out, a.SHA256)
	}
	return out
}

// officesStmt assigns a registration to offices, keeping their order.
func officesStmt(id string, offices []string) stmt {
	var q strings.Builder
	q.WriteString(`INSERT INTO registration_offices (registration_id, office_code, ordinal) VALUES `)
	args := make([]any, 0, 3*len(offices))
	for i, o := range offices {
		if i > 0 {
			q.WriteString(", ")
		}
		q.WriteString("(?, ?, ?)")
		args = append(args, id, o, i)
	}
	return stmt{sql: q.String(), args: args}
}

// officesError turns a refused office assignment into a validation error.
func officesError(err error, offices []string) error {
	kind, table, _ := classify(err)
	switch {
	case kind == foreignKeyViolation && (table == "registration_offices" || table == ""):
		return &domain.Error{Code: domain.ECValidation, Message: fmt.Sprintf("unknown office in %v", offices), Err: err}
	case kind == uniqueViolation && table == "registration_offices":
		return &domain.Error{Code: domain.ECValidation, Message: fmt.Sprintf("an office is listed twice in %v", offices), Err: err}
	}
	return err
}

// UpdateRegistration locks the registration, lets change modify it, and stores the mutable
// fields (class, offices, dossiers, status, annulment) with the Write change returns and one
// change-feed event. An error from change is returned as it is, and nothing is written.
// Returns ECNotFound, and ECImmutable when change altered a field that never changes.
func (db *DB) UpdateRegistration(ctx context.Context, id string,
	change func(*domain.Registration) (domain.Write, error)) (*domain.Registration, error) {
	return updateLocked(ctx, db, lockedUpdate[domain.Registration, domain.Write]{
		what: "registration", id: id,
		load: func(tx *gorm.DB) (*domain.Registration, error) {
			r, _, err := scanRegistration(tx.Raw(db.selectRegistrations()+` WHERE r.id = ?`+db.forUpdate("r"), id).Row())
			return r, err
		},
		copy: clone,
		write: func(tx *gorm.DB, before, r *domain.Registration, w domain.Write) error {
			f, err := db.immutableChange(before, r)
			if err != nil {
				return err
			}
			if f != "" {
				return domain.Errorf(domain.ECImmutable, "registration %s: %s cannot change", id, f)
			}
			if err := db.storeChange(tx, before, r, w); err != nil {
				return err
			}
			if err := db.storeAssignments(tx, r, w.Assignments); err != nil {
				return err
			}
			return db.storeWrite(tx, w)
		},
	}, change)
}

// storeChange writes what changed from before to r, if anything, and sets r.Position to the
// new change-feed event. A change of dossiers files and unfiles r (see refile) as w says.
func (db *DB) storeChange(tx *gorm.DB, before, r *domain.Registration, w domain.Write) error {
	r.Offices = orEmpty(r.Offices)
	r.Dossiers = orEmpty(r.Dossiers)
	if r.Annulment != nil {
		r.Annulment.At = utcMicro(r.Annulment.At)
	}
	officesChanged := !slices.Equal(before.Offices, r.Offices)
	dossiersChanged := !sameSet(before.Dossiers, r.Dossiers)
	if !officesChanged && !dossiersChanged && before.Class == r.Class && before.Confidential == r.Confidential &&
		before.Status == r.Status && equalAnnulment(before.Annulment, r.Annulment) {
		r.Position, r.Dossiers = before.Position, before.Dossiers
		return nil
	}
	kind := changeUpdated
	if before.Status != domain.StatusAnnulled && r.Status == domain.StatusAnnulled {
		kind = changeAnnulled
	}
	if err := db.runAll(tx, &r.Position, db.changeStmt(kind, domain.KindRegistration, r.ID)); err != nil {
		return fmt.Errorf("append change event: %w", err)
	}
	if dossiersChanged {
		if err := db.refile(tx, r, before.Dossiers, w); err != nil {
			return err
		}
	}
	set := make([]string, len(changedColumns))
	args := make([]any, len(changedColumns), len(changedColumns)+1)
	for i, c := range changedColumns {
		set[i], args[i] = c.name+" = ?", c.value(db, r, encoded{})
	}
	if err := tx.Exec(`UPDATE registrations SET `+strings.Join(set, ", ")+` WHERE id = ?`, append(args, r.ID)...).Error; err != nil {
		return fmt.Errorf("store change: %w", err)
	}
	if !officesChanged {
		return nil
	}
	if err := tx.Exec(`DELETE FROM registration_offices WHERE registration_id = ?`, r.ID).Error; err != nil {
		return fmt.Errorf("reassign offices: %w", err)
	}
	if len(r.Offices) == 0 {
		return nil
	}
	return officesError(db.runAll(tx, nil, officesStmt(r.ID, r.Offices)), r.Offices)
}

func equalAnnulment(a, b *domain.Annulment) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Reason == b.Reason && a.Authorization == b.Authorization && a.By == b.By &&
		a.ByName == b.ByName && a.At.Equal(b.At)
}

// Registration returns one registration by register, year and number (ECNotFound).
func (db *DB) Registration(ctx context.Context, ref domain.Ref) (*domain.Registration, error) {
	r, _, err := scanRegistration(db.read(ctx).Raw(db.selectRegistrations()+
		` WHERE r.register_code = ? AND r.year = ? AND r.number = ?`, ref.Register, ref.Year, ref.Number).Row())
	if errors.Is(err, sql.ErrNoRows) {
		return nil, domain.Errorf(domain.ECNotFound, "registration %s not found", ref)
	}
	if err != nil {
		return nil, fmt.Errorf("registration %s: %w", ref, err)
	}
	return r, nil
}

// RegistrationByID returns one registration by id (ECNotFound).
func (db *DB) RegistrationByID(ctx context.Context, id string) (*domain.Registration, error) {
	r, _, err := scanRegistration(db.read(ctx).Raw(db.selectRegistrations()+` WHERE r.id = ?`, id).Row())
	if errors.Is(err, sql.ErrNoRows) {
		return nil, domain.Errorf(domain.ECNotFound, "registration %s not found", id)
	}
	if err != nil {
		return nil, fmt.Errorf("registration %s: %w", id, err)
	}
	return r, nil
}
