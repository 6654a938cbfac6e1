package domain

import (
	"context"
	"encoding/json"
	"io"
	"iter"
	"time"
)

// Store is the persistence port: the union of the ports below, one per consumer, so that each
// service file names the few it uses. Each method is one database transaction: a write records
// the entity, its audit events, its change-feed event and its idempotency record together, or
// none of them. Implementations turn driver errors into *Error (duplicate key → ECConflict).
type Store interface {
	InstallationStore
	RegisterStore
	OfficeStore
	ClientStore
	UserStore
	RegistrationStore
	ClassStore
	DossierStore
	HoldStore
	DisposalStore
	DocumentStore
	ProcedureStore
	CaseStore
	WebhookStore
	AuditStore
	AuditTrailStore
	IdempotencyStore
	DirectoryStore
	IntakeStore
	DispatchStore
	EmergencyStore
	ImportStore
	FixityStore
	PackageStore
	AssignmentStore
}

// PackageStore keeps the archive packages. Used by packages.go and the package job.
type PackageStore interface {
	// CreatePackage stores p (building) with w and enqueues the job that builds it, in one
	// transaction. Returns ECConflict if w's idempotency key was taken meanwhile.
	CreatePackage(ctx context.Context, p *ArchivePackage, w Write) error
	// ArchivePackage returns one package (ECNotFound).
	ArchivePackage(ctx context.Context, id string) (*ArchivePackage, error)
	// FinishPackage records the result of building a package that is building, with a
	// package.built change event when it is ready. Returns ECNotFound, or ECConflict if the
	// package is no longer building.
	FinishPackage(ctx context.Context, id string, r PackageResult) error
	// ArchivePackages lists packages matching f, newest first, a page at a time
	// (ECValidation for a bad cursor).
	ArchivePackages(ctx context.Context, f PackageFilter) (Page[*ArchivePackage], error)
	// UpdatePackage locks the package, calls change with it, and stores its state, sending
	// and outcome with the Write that change returns. If change returns an error nothing is
	// written. Returns ECNotFound.
	UpdatePackage(ctx context.Context, id string, change func(*ArchivePackage) (Write, error)) (*ArchivePackage, error)
	// DueJournals lists, oldest first, up to limit journals of a date before before whose
	// scheduled package (JournalScheduleKey) does not exist.
	DueJournals(ctx context.Context, before string, limit int) ([]JournalDay, error)
	// DueDossiers lists up to limit closed dossiers holding a registration that have no
	// scheduled package (DossierScheduleKey) created at or after since, longest closed first.
	DueDossiers(ctx context.Context, since time.Time, limit int) ([]string, error)
	// EnqueuePackageSends enqueues the sending job of up to limit ready archival packages,
	// oldest first, unless one is already waiting or running; it returns how many it saw.
	EnqueuePackageSends(ctx context.Context, limit int) (int, error)
	// ConservationStatus counts packages by state and finds the oldest journal whose
	// scheduled package is not sent (sent or acknowledged).
	ConservationStatus(ctx context.Context) (ConservationStatus, error)
}

// ConservationDestination is where archival packages are sent (package conservation: a
// folder or an HTTP endpoint). Deliver returns *DeliveryRefused when the destination refused
// the package for good; any other error is temporary. String names the destination for the
// record, without secrets.
type ConservationDestination interface {
	Deliver(ctx context.Context, p Parcel) error
	String() string
}

// FixityStore keeps the fixity runs and the blobs they found wrong, and lists the digests the
// database references. Used by fixity.go.
type FixityStore interface {
	// ClaimFixityRun returns the run c.Holder is to work on, holding its lease until
	// c.LeaseUntil: the running run if its lease expired or c.Holder holds it, else, when the
	// latest run started at or before c.DueAt (or there is none), a new run c.NewID. It returns
	// nil when another process holds the running run or no run is due.
	ClaimFixityRun(ctx context.Context, c FixityClaim) (*FixityRun, error)

	// AdvanceFixityRun stores run's cursor and counts and renews holder's lease until
	// leaseUntil. Returns ECConflict when holder no longer holds the run.
	AdvanceFixityRun(ctx context.Context, run *FixityRun, holder string, leaseUntil time.Time) error

	// FinishFixityRun stores run as done at, with its counts, and resolves the failures
	// recorded by earlier runs that run did not find again. Returns ECConflict as
	// AdvanceFixityRun.
	FinishFixityRun(ctx context.Context, run *FixityRun, holder string, at time.Time) error

	// FixityDigests lists, in order, up to limit distinct digests after the given one that
	// something kept references: content disposed of is left out.
	FixityDigests(ctx context.Context, after string, limit int) ([]string, error)

	// CountFixityDigests counts the digests FixityDigests lists, for a progress bar.
	CountFixityDigests(ctx context.Context) (int64, error)

	// FixityReferences lists what references the digest, in a stable order.
	FixityReferences(ctx context.Context, sha256 string) ([]FixityReference, error)

	// RecordFixityFailure stores f, or updates the failure of the same digest (its problem,
	// references, last time seen and run), reopening it if it was resolved.
	RecordFixityFailure(ctx context.Context, f *FixityFailure) error

	// FixityRuns lists the latest runs, newest first; FixityFailures the failures f selects,
	// newest first, with the number of open ones.
	FixityRuns(ctx context.Context, limit int) ([]*FixityRun, error)
	FixityFailures(ctx context.Context, f FixityFailureFilter) ([]*FixityFailure, int64, error)
}

// IntakeStore keeps the records of the messages the mailboxes yield and the interoperability of
// the registrations made from them. Used by intake.go.
type IntakeStore interface {
	// RecordIntake stores m and, when r is not nil, numbers and stores r with w (as
	// CreateRegistration, with r.Interoperability and the job sending its answer), all in one
	// transaction. It reports recorded=false, writing nothing, when (mailbox, UIDVALIDITY, UID)
	// is recorded already. When the mailbox recorded m.DedupeKey already, m is stored as a
	// duplicate of that record instead (State, DuplicateOf set) and r is not stored.
	RecordIntake(ctx context.Context, m *IntakeMessage, r *Registration, w Write) (recorded bool, err error)

	// IntakeCursor returns the UIDVALIDITY of the last message recorded for a mailbox and the
	// highest UID recorded under it: where reading resumes (0, 0 for none).
	IntakeCursor(ctx context.Context, mailbox string) (uidValidity, uid uint32, err error)

	// IntakeMessage returns one record (ECNotFound); IntakeMessages lists them newest first,
	// filtered, one page at a time.
	IntakeMessage(ctx context.Context, id string) (*IntakeMessage, error)
	IntakeMessages(ctx context.Context, f IntakeFilter) (Page[*IntakeMessage], error)

	// DecideIntake locks the record, calls change with it, and stores its state, registration,
	// detail and decision with the Write change returns, and the registration it returns (as
	// RecordIntake), all or none. If change returns an error nothing is written (ECNotFound).
	DecideIntake(ctx context.Context, id string, change func(*IntakeMessage) (*Registration, Write, error)) (*IntakeMessage, error)

	// AnnulledBySender records a on the registration received from address with the sender
	// identifier id, unless one is recorded already, and returns that registration's id
	// (ECNotFound when there is none).
	AnnulledBySender(ctx context.Context, id ProtocolID, address string, a SenderAnnulment) (registrationID string, err error)
}

// DispatchStore keeps the dispatches of outgoing registrations and their receipts. Used by
// dispatch.go, dispatch_send.go and dispatch_link.go.
type DispatchStore interface {
	// CreateDispatch stores d with its recipients, w, a change-feed event, and one send job per
	// recipient, all in one transaction: each message is queued if and only if the dispatch
	// exists. Returns ECConflict if w's idempotency key was taken meanwhile.
	CreateDispatch(ctx context.Context, d *Dispatch, w Write) error

	// Dispatch returns one dispatch with its recipients and their receipts (ECNotFound);
	// Dispatches lists a registration's, oldest first.
	Dispatch(ctx context.Context, id string) (*Dispatch, error)
	Dispatches(ctx context.Context, registrationID string) ([]*Dispatch, error)

	// DispatchTargetsByMessageID returns the recipients whose message has one of these
	// Message-IDs (without angle brackets).
	DispatchTargetsByMessageID(ctx context.Context, messageIDs []string) ([]DispatchTarget, error)

	// UpdateDispatchRecipient locks recipient n of the dispatch, calls change with the dispatch
	// and that recipient, and, if change reports a change, stores the recipient's state,
	// attempts, last error, sending time and protocol answer, the receipt it links, w, a
	// change-feed event and the webhook event, all or none. change's error is returned
	// (wrapped) and nothing is written. Returns ECNotFound, ECConflict if the recipient has a
	// receipt with the same SHA-256 already.
	UpdateDispatchRecipient(ctx context.Context, id string, n int, change func(*Dispatch, *DispatchRecipient) (RecipientChange, error)) error
}

// EmergencyStore keeps the outages of the registers and loads the entries of the emergency
// register (art. 63). Used by emergency.go.
type EmergencyStore interface {
	// CreateOutage stores o with w. Returns ECConflict when o overlaps another outage of the
	// same register (checked in the transaction, so two racing outages cannot both be stored)
	// or w's idempotency key was taken meanwhile, ECNotFound for an unknown register.
	CreateOutage(ctx context.Context, o *Outage, w Write) error
	// Outage returns one outage with its EntryCount (ECNotFound); Outages those of a register,
	// oldest first.
	Outage(ctx context.Context, id string) (*Outage, error)
	Outages(ctx context.Context, register string) ([]Outage, error)
	// EmergencyEntries returns the registrations loaded from outage's entries with the given
	// emergency numbers (every one when numbers is nil), in emergency-number order.
	EmergencyEntries(ctx context.Context, outage string, numbers []int64) ([]*Registration, error)
	// CreateRegistrations numbers and stores rs, all of one register and year, in one
	// transaction and in the order given, as CreateRegistration stores one: they take
	// consecutive numbers. w's audit events and idempotency record are stored with them. Any
	// failure rolls everything back. Returns ECNotFound for an unknown register, ECConflict for
	// an emergency number already loaded from the same outage or a taken idempotency key.
	CreateRegistrations(ctx context.Context, rs []*Registration, w Write) error
}

// ImportStore keeps the server-side imports and the outcome of each of their rows. Used by
// imports.go and by the import job (jobs.RunImportWorker).
type ImportStore interface {
	// CreateImport stores im with w and queues its job, in one transaction: the job exists if
	// and only if the import does. Returns ECConflict if w's idempotency key was taken meanwhile.
	CreateImport(ctx context.Context, im *Import, w Write) error
	// Import returns one import with its rows counted by state (ECNotFound); ImportState only
	// its state, cheaply (the job asks before every row).
	Import(ctx context.Context, id string) (*Import, error)
	ImportState(ctx context.Context, id string) (string, error)
	// Imports lists the imports created by createdBy (all when empty), newest first, at most
	// limit.
	Imports(ctx context.Context, createdBy string, limit int) ([]Import, error)
	// ImportRows returns up to limit rows of an import in state (every state when empty) whose
	// index is above after (-1: from the first), in manifest order: a page at a time.
	ImportRows(ctx context.Context, id, state string, after, limit int) ([]ImportRow, error)
	// StartImport moves a queued import to running at at, storing its rows (all pending or
	// failed) unless they are stored already; a running import stays as it is. The rows are
	// taken from the sequence as they are stored, never all held; an error in it rolls
	// everything back and is returned. Returns ECConflict for an import that has ended.
	StartImport(ctx context.Context, id string, rows iter.Seq2[ImportRow, error], at time.Time) error
	// RecordImportRows records, in one transaction, the outcomes of pending rows (done with
	// their registration, or failed with their reason); a row no longer pending is left as it
	// is.
	RecordImportRows(ctx context.Context, id string, rows []ImportRow) error
	// CreateRegistrationBatch numbers and stores rs, all of one register and year, in one
	// transaction and in the order given, each with its own write ws[i] (audit events,
	// idempotency record, Verify), as CreateRegistration stores one: they take consecutive
	// numbers. Any failure rolls everything back and consumes no number.
	CreateRegistrationBatch(ctx context.Context, rs []*Registration, ws []Write) error
	// EndImport moves an import that has not ended to state (done, failed with cause, or
	// cancelled) at at, with w. Returns ECConflict for an import that has ended already.
	EndImport(ctx context.Context, id, state, cause string, at time.Time, w Write) error
}

// DirectoryStore keeps the IPA directory: the administrations, AOOs and UOs lists an admin
// loads.
// Used by directory.go.
type DirectoryStore interface {
	// ReplaceDirectory replaces imp.List with admins (or aoos), records imp with w, all or
	// none: a search sees the whole old list or the whole new one. DirectoryImport returns one
	// record of a load (ECNotFound).
	ReplaceDirectory(ctx context.Context, imp DirectoryImport, admins []DirectoryAdministration, aoos []DirectoryAOO, w Write) error
	// ReplaceDirectoryUOs is ReplaceDirectory for the UOs list.
	ReplaceDirectoryUOs(ctx context.Context, imp DirectoryImport, uos []DirectoryUO, w Write) error
	DirectoryImport(ctx context.Context, id string) (DirectoryImport, error)

	// Directory lists the administrations f selects in name order, each with all its AOOs and
	// the UOs f finds, one page at a time.
	Directory(ctx context.Context, f DirectoryFilter) (Page[DirectoryEntry], error)
}

// InstallationStore is the installation itself: the database answering and the AOO it was set up
// for. Used by admin.go, dispatch_link.go, intake.go, segnatura.go and the readiness probe
// (internal/app).
type InstallationStore interface {
	// Ping checks that the database answers.
	Ping(ctx context.Context) error

	// AOO returns the AOO. Returns ECNotFound before Bootstrap.
	AOO(ctx context.Context) (AOO, error)

	// Bootstrap creates the AOO and the register if no AOO exists yet, and reports whether it
	// did. Returns ECConflict if an AOO with other codes exists: identifiers never change.
	Bootstrap(ctx context.Context, aoo AOO, reg Register) (created bool, err error)
}

// RegisterStore keeps the registers. Used by admin.go, intake.go and registration_checks.go.
type RegisterStore interface {
	// Registers lists the registers by code. Register returns one (ECNotFound).
	Registers(ctx context.Context) ([]Register, error)
	Register(ctx context.Context, code string) (Register, error)

	// CreateRegister returns ECConflict if the code exists.
	CreateRegister(ctx context.Context, r Register, w Write) error
}

// OfficeStore keeps the offices (UOR). Used by admin.go, case_notes.go, dossiers.go, procedures.go
// and registration_checks.go.
type OfficeStore interface {
	// Offices lists the offices by code. CreateOffice returns ECConflict if the code exists.
	Offices(ctx context.Context) ([]Office, error)
	CreateOffice(ctx context.Context, o Office, w Write) error
}

// ClientStore keeps the API clients and their keys. Used by admin.go and apikeys.go.
type ClientStore interface {
	// CreateClient stores a client and its first key. Client returns ECNotFound.
	CreateClient(ctx context.Context, c Client, key APIKey, w Write) error
	Client(ctx context.Context, id string) (Client, error)

	// APIKey returns the key with this id (ECNotFound), for authentication.
	APIKey(ctx context.Context, id string) (APIKey, error)

	// CountClients returns the number of stored clients (0 on a fresh install).
	CountClients(ctx context.Context) (int, error)

	// Clients lists the clients with all their keys, by id, one page at a time.
	Clients(ctx context.Context, f ClientFilter) (Page[ClientKeys], error)

	// ChangeKeys locks the client's keys, calls change with them (oldest first) and stores what
	// it returns: the new keys, the expiry and revocation of the changed ones, and the Write. If
	// change returns an error nothing is written. Returns ECNotFound for an unknown client.
	ChangeKeys(ctx context.Context, clientID string, change func(keys []APIKey) (KeyChange, error)) error

	// RecordKeyUse sets the key's last use to at unless it was recorded after since already:
	// replicas sharing the database then write it at most once per interval.
	RecordKeyUse(ctx context.Context, id string, at, since time.Time) error
}

// UserStore keeps the staff users, each beside the client of the same id that holds its
// name, roles, offices and keys. Used by users.go and signin.go.
type UserStore interface {
	// CreateUser stores the user and its client. Returns ECConflict for a tax code, e-mail or
	// subject another user has.
	CreateUser(ctx context.Context, u User, w Write) error
	// User returns one user (ECNotFound, also for a client that is no user).
	User(ctx context.Context, id string) (User, error)
	// Users lists the users by id (oldest first), one page at a time.
	Users(ctx context.Context, f UserFilter) (Page[User], error)
	// UserBySubject returns the user bound to an identity provider's subject (ECNotFound).
	UserBySubject(ctx context.Context, subject string) (User, error)
	// UnboundUser returns the user no subject is bound to yet with this tax code, or when
	// taxCode is empty with this e-mail (ECNotFound).
	UnboundUser(ctx context.Context, taxCode, email string) (User, error)
	// ChangeUser locks the user, calls change with it and stores the user it returns (name,
	// e-mail, subject, roles, offices, update and deactivation times) with the Write. If
	// change returns an error nothing is written. Returns ECNotFound, ECConflict (e-mail or
	// subject of another user).
	ChangeUser(ctx context.Context, id string, change func(User) (User, Write, error)) error
}

// RegistrationStore keeps the protocol register's entries. Used by cases.go, dispatch_link.go,
// dispatch_send.go, disposal_plan.go, documents.go, filing.go, intake.go and registrations.go.
type RegistrationStore interface {
	// CreateRegistration takes the next number of the (r.Register, r.Year) counter, calls
	// r.AssignNumber with it and the stored AOO, and stores r with its offices, w's audit events
	// and idempotency record, and one change-feed event whose position it sets in r.Position.
	// Any failure rolls everything back: no number is consumed (R2). Returns ECNotFound for an
	// unknown register, ECConflict if w's idempotency key was taken meanwhile.
	CreateRegistration(ctx context.Context, r *Registration, w Write) error

	// Registration returns one registration by reference or id (ECNotFound).
	Registration(ctx context.Context, ref Ref) (*Registration, error)
	RegistrationByID(ctx context.Context, id string) (*Registration, error)

	// Registrations lists registrations newest first, filtered, one page at a time.
	Registrations(ctx context.Context, f RegistrationFilter) (Page[*Registration], error)

	// UpdateRegistration locks the registration, calls change with it, and stores the mutable
	// fields (class, offices, dossiers, status, annulment) with the Write that change returns,
	// plus one change-feed event. A change of dossiers (identifiers) adds and removes dossier
	// items, recorded as added by w.Actor at w.At, with a change-feed event per dossier;
	// ECValidation for an unknown dossier, ECConflict for a closed one. If change returns an error nothing is written. The database
	// itself refuses any change to an immutable column. Returns ECNotFound.
	UpdateRegistration(ctx context.Context, id string, change func(*Registration) (Write, error)) (*Registration, error)
}

// ClassStore keeps the classification scheme (titolario). Used by classes.go, holds.go,
// procedures.go, retention.go and segnatura.go.
type ClassStore interface {
	// Classes lists the classes selected by f, in no particular order (the caller sorts).
	// Class returns one class whatever its validity (ECNotFound).
	Classes(ctx context.Context, f ClassFilter) ([]Class, error)
	Class(ctx context.Context, code string) (Class, error)

	// CreateClasses stores cs (parents are inserted before children) with w, all or none. In
	// the same transaction, with scheme writes serialised, it first calls check with every
	// stored class; check's error is returned (wrapped) and nothing is written. Returns
	// ECConflict if a code exists, ECValidation if a parent is missing.
	CreateClasses(ctx context.Context, cs []Class, check func(existing []Class) error, w Write) error

	// CloseClass locks the class, calls change with it and its direct children, and stores its
	// valid_to and replaced_by with the Write that change returns. If change returns an error
	// nothing is written. Returns ECNotFound.
	CloseClass(ctx context.Context, code string, change func(c *Class, children []Class) (Write, error)) (Class, error)

	// SetClassRetention locks the scheme, calls change with the classes of codes in that order,
	// and stores the retention (RetentionYears, RetentionPermanent) of the classes change
	// returns, with its Write; if change returns an error nothing is written. Returns
	// ECNotFound for an unknown code.
	SetClassRetention(ctx context.Context, codes []string, change func(cs []Class) ([]Class, Write, error)) ([]Class, error)
}

// DossierStore keeps the dossiers (fascicoli) and their items. Used by disposal_plan.go,
// dossiers.go, dossier_patch.go, filing.go, holds.go, retention.go and segnatura.go.
type DossierStore interface {
	// CreateDossier takes the next number of the (d.Class, d.Year) counter, calls d.AssignNumber
	// with it, and stores d with w and one change-feed event whose position it sets in
	// d.Position. Any failure rolls everything back: no number is consumed. Returns
	// ECValidation for an unknown class, office or parent, ECConflict if w's idempotency key
	// was taken meanwhile.
	CreateDossier(ctx context.Context, d *Dossier, w Write) error

	// Dossier returns one dossier by id or identifier, with its items (ECNotFound).
	Dossier(ctx context.Context, key string) (*Dossier, error)

	// Dossiers lists dossiers newest first, filtered, one page at a time, with their items.
	Dossiers(ctx context.Context, f DossierFilter) (Page[*Dossier], error)

	// UpdateDossier locks the dossier, calls change with it, and stores its status and
	// closed_at (with one change-feed event when the status changes) and its responsible with
	// the Write that change returns. If change returns an error nothing is written. Returns
	// ECNotFound.
	UpdateDossier(ctx context.Context, id string, change func(*Dossier) (Write, error)) (*Dossier, error)
}

// HoldStore keeps the legal holds. Used by holds.go and retention.go.
type HoldStore interface {
	// CreateHold stores a legal hold with w (ECValidation for an unknown dossier or class).
	// Hold returns one (ECNotFound); ActiveHolds lists those not released.
	CreateHold(ctx context.Context, h Hold, w Write) error
	Hold(ctx context.Context, id string) (Hold, error)
	ActiveHolds(ctx context.Context) ([]Hold, error)

	// Holds lists holds newest first, filtered, one page at a time.
	Holds(ctx context.Context, f HoldFilter) (Page[Hold], error)

	// ReleaseHold locks the hold, calls change with it and stores its release with the Write
	// change returns. If change returns an error nothing is written. Returns ECNotFound.
	ReleaseHold(ctx context.Context, id string, change func(*Hold) (Write, error)) (Hold, error)
}

// DisposalStore records disposals (scarto) and the destruction of their content. Used by
// disposal.go and retention.go.
type DisposalStore interface {
	// DisposalCandidates lists what retention makes due by due, in the database: closed
	// dossiers not disposed of, closed before the cutoff of their class's retention period,
	// and classified registrations in no dossier and not disposed of, dated on or before it.
	// Classes without a cutoff (permanent) contribute nothing.
	DisposalCandidates(ctx context.Context, due DueCutoffs) ([]*Dossier, []*Registration, error)

	// CreateDisposal stores d and marks the dossiers, registrations and documents of t disposed
	// of by it, with w and a change-feed event each, all or none. Inside the transaction it
	// first locks t's LockDossiers and LockClasses (as CreateHold does the row it holds), then
	// calls t.CheckHolds with the holds active then, so that a hold placed meanwhile is seen.
	// It records t.Content as content to destroy after the commit (PendingContent). Returns
	// ECConflict if one is disposed of meanwhile (or a dossier was reopened), and CheckHolds's
	// error as it is.
	CreateDisposal(ctx context.Context, d *Disposal, t DisposalTargets, w Write) error

	// PendingContent lists the digests a committed disposal has still to destroy: a crash
	// between the commit and the deletion leaves them here for the sweep.
	PendingContent(ctx context.Context) ([]string, error)

	// Disposal returns one disposal record (ECNotFound).
	Disposal(ctx context.Context, id string) (*Disposal, error)

	// ContentInUse reports whether a registration not disposed of, an unregistered document not
	// disposed of, or a journal references the digest.
	ContentInUse(ctx context.Context, sha256 string) (bool, error)

	// DeleteUnusedContent calls del, inside a transaction that excludes any registration of the
	// same content, if and only if nothing kept references the digest, and reports whether it
	// did. Either way it marks the digest's pending deletions (PendingContent) done, in the same
	// transaction, unless del fails. A registration of the same bytes either commits first (and the content stays) or
	// waits, then finds the content gone and fails (Write.Verify).
	DeleteUnusedContent(ctx context.Context, sha256 string, del func() error) (bool, error)
}

// DocumentStore keeps the documents not (yet) registered. Used by documents.go and filing.go.
type DocumentStore interface {
	// CreateDocument stores d with w and one change-feed event whose position it sets in
	// d.Position. Returns ECValidation for an unknown class, ECConflict if w's idempotency key
	// was taken meanwhile. Document returns one document with its registration, dossiers and
	// disposal (ECNotFound).
	CreateDocument(ctx context.Context, d *Document, w Write) error
	Document(ctx context.Context, id string) (*Document, error)

	// FileDocument files the document into the dossier (both ids), if it is not filed there
	// yet, with w and a change-feed event for each, and reports whether it added it (when not, only
	// w's idempotency record is stored). The dossier
	// is locked while its status is checked: ECConflict if it is not open, ECNotFound for an
	// unknown dossier or document.
	FileDocument(ctx context.Context, dossierID, documentID string, w Write) (bool, error)
}

// ProcedureStore keeps the procedures a portal submits cases to. Used by case_handling.go,
// case_submit.go and procedures.go.
type ProcedureStore interface {
	// CreateProcedures stores procedures with w, all or none (ECConflict if a code exists,
	// ECValidation for an unknown office or class). Procedure returns one (ECNotFound);
	// Procedures lists them by code.
	CreateProcedures(ctx context.Context, ps []Procedure, w Write) error
	Procedure(ctx context.Context, code string) (Procedure, error)
	Procedures(ctx context.Context) ([]Procedure, error)
	// CreateProcedureVersion stores a draft version with w (ECConflict if its number is
	// taken). ProcedureVersion returns one (ECNotFound), ProcedureVersions all of a procedure
	// by number.
	CreateProcedureVersion(ctx context.Context, v Procedure, w Write) error
	ProcedureVersion(ctx context.Context, code string, version int) (Procedure, error)
	ProcedureVersions(ctx context.Context, code string) ([]Procedure, error)
	// PublishProcedureVersion publishes a draft at `at` by `by` and makes it the version in
	// force, with w, in one transaction: ECConflict unless it is a draft newer than the
	// version in force.
	PublishProcedureVersion(ctx context.Context, code string, version int, at time.Time, by string, w Write) error
	// CaseTimes returns the cases of the procedures submitted or closed between two instants,
	// or open, with what monitoring needs (see ProcedureStats).
	CaseTimes(ctx context.Context, from, to time.Time) ([]CaseTime, error)
	// RegistrationCounts counts the registrations dated between two days (YYYY-MM-DD, both
	// included) per day, register, direction, channel and office.
	RegistrationCounts(ctx context.Context, from, to string) ([]RegistrationCount, error)
}

// CatalogueIndex is a word index of the catalogue's procedures (search/catalogue.go).
// Search returns the codes of the procedures whose text matches every word of q, best first;
// Fingerprint says which content the index holds, so that Service rebuilds it on change.
type CatalogueIndex interface {
	Rebuild(ps []Procedure, fingerprint string) error
	Fingerprint() string
	Search(q string) ([]string, error)
}

// CaseStore keeps the cases and their messages. Used by case_handling.go, case_messages.go,
// case_submit.go and cases.go.
type CaseStore interface {
	// CreateCase stores a submitted case in one transaction: it numbers and stores r (as
	// CreateRegistration, calling w.Verify under the content locks), numbers and stores d (as
	// CreateDossier), files r in d as added by w.Actor at w.At, and stores c with its steps, r
	// as a document shared with the applicant, w's audit events and idempotency record, and a
	// change-feed event each. Any failure rolls everything back: no number is consumed.
	// Returns ECValidation for an unknown class or office, ECConflict if w's idempotency key
	// was taken meanwhile.
	CreateCase(ctx context.Context, c *Case, r *Registration, d *Dossier, w Write) error

	// Case returns one case, with its dossier's identifier and its steps (ECNotFound).
	Case(ctx context.Context, id string) (*Case, error)

	// Cases lists cases newest first, filtered, one page at a time; Registration stays nil.
	Cases(ctx context.Context, f CaseFilter) (Page[*Case], error)

	// UpdateCase locks the case, calls change with it, and stores its status, deadline, steps,
	// closing and final act with what change returns (see CaseChange) and one change-feed
	// event, all or none. If change returns an error nothing is written. Returns ECNotFound,
	// ECImmutable if change altered anything else, ECConflict if the dossier cannot take the
	// registration (closed).
	UpdateCase(ctx context.Context, id string, change func(*Case) (CaseChange, error)) (*Case, error)

	// CaseMessages lists a case's messages, oldest first, with their registrations.
	// CaseMessage returns one (ECNotFound).
	CaseMessages(ctx context.Context, caseID string) ([]CaseMessage, error)
	CaseMessage(ctx context.Context, id string) (CaseMessage, error)
}

// WebhookStore keeps the portals' webhooks and their deliveries. Used by webhook.go.
type WebhookStore interface {
	// SetWebhook stores (or replaces) a client's webhook with w. Webhook returns one by client
	// id (ECNotFound). WebhookDeliveries lists a client's delivery attempts for the cases of
	// one applicant, newest first.
	SetWebhook(ctx context.Context, wh Webhook, w Write) error
	Webhook(ctx context.Context, clientID string) (Webhook, error)
	WebhookDeliveries(ctx context.Context, clientID, applicant string, limit int) ([]WebhookDelivery, error)
}

// AuditStore reads the audit trail. Used by dossiers.go and registrations.go.
type AuditStore interface {
	// Audit lists audit events about one entity, oldest first.
	Audit(ctx context.Context, entityKind, entityID string) ([]AuditEvent, error)
}

// AuditTrailStore reads and appends to the whole audit trail. Used by audit.go.
type AuditTrailStore interface {
	// AuditTrail lists the events f selects, in seq order (ECValidation for a bad cursor).
	AuditTrail(ctx context.Context, f AuditFilter) (Page[AuditEvent], error)
	// AuditChainHead returns the chain's head.
	AuditChainHead(ctx context.Context) (AuditHead, error)
	// AppendAudit chains and stores events in one transaction of their own: the reads and
	// refusals that no write carries.
	AppendAudit(ctx context.Context, events []AuditEvent) error
	// AuditAnchors returns the transparency-log leaves of kind LeafKindAuditHead, in index order.
	AuditAnchors(ctx context.Context) ([]TLogLeaf, error)
}

// IdempotencyStore reads the records of earlier requests. Used by service.go.
type IdempotencyStore interface {
	// Idempotency returns the record of an earlier request with this key (ECNotFound).
	Idempotency(ctx context.Context, principalID, key string) (IdempotencyRecord, error)
}

// DisposalTargets is what one disposal marks disposed of (ids), what it locks and re-checks
// inside its transaction, and the content (digests) it destroys after the commit.
type DisposalTargets struct {
	Dossiers, Registrations, Documents []string
	LockDossiers, LockClasses          []string
	CheckHolds                         func(active []Hold) error
	Content                            []string
}

// DueCutoffs says, by retention period in years, what is due for disposal on a day: a dossier
// closed before ClosedBefore, a registration dated on or before DatedBy (YYYY-MM-DD).
type DueCutoffs map[int]DueCutoff

// DueCutoff is the cutoff of one retention period; see DueCutoffs.
type DueCutoff struct {
	ClosedBefore time.Time
	DatedBy      string
}

// Write is what a write transaction records beside the entity itself.
type Write struct {
	Audit       []AuditEvent
	Idempotency *IdempotencyRecord
	// Actor and At say who made the write and when, for rows that record it themselves: the
	// dossier items that a change of a registration's dossiers adds.
	Actor string
	At    time.Time
	// Verify, when set, runs inside a registration's transaction after the content it
	// references has been locked against deletion: it checks that the content is still stored.
	Verify func(ctx context.Context) error
	// Document, when set on a registration's write, is the id of the unregistered document
	// whose content the registration takes: storage marks it registered in the same
	// transaction, and returns ECConflict if it is registered or disposed of already.
	Document string
	// Assignments, when set on a registration's write, are the assignment rows it inserts
	// and the state changes it makes, in the same transaction.
	Assignments *AssignmentWrite
}

// BlobStore keeps file content addressed by its SHA-256. Content is durable when Put returns;
// storing the same content twice stores it once.
type BlobStore interface {
	// Put stores r's bytes and returns their hex SHA-256 and size. Nothing is visible under
	// the digest unless all bytes were written and synced. Returns ECInsufficientStorage when
	// the disk is full.
	Put(ctx context.Context, r io.Reader) (sha256 string, size int64, err error)
	// Open returns the content with this digest (ECNotFound).
	Open(ctx context.Context, sha256 string) (io.ReadCloser, error)
	// Exists reports whether content with this digest is stored.
	Exists(ctx context.Context, sha256 string) (bool, error)
	// Delete destroys the content with this digest, for disposal (scarto); content already
	// gone is not an error.
	Delete(ctx context.Context, sha256 string) error
}

// AuditEvent is one entry of the audit trail: who did what to which entity, when, and for a
// field change the old and new values (M2). Audit events are never updated or deleted.
type AuditEvent struct {
	ID         int64           `json:"id"`
	At         time.Time       `json:"at"`
	Actor      string          `json:"actor"`
	ActorName  string          `json:"actor_name"`
	Action     string          `json:"action"`
	EntityKind string          `json:"entity_kind"`
	EntityID   string          `json:"entity_id"`
	Field      string          `json:"field,omitempty"`
	Old        json.RawMessage `json:"old,omitempty"`
	New        json.RawMessage `json:"new,omitempty"`
	Detail     string          `json:"detail,omitempty"`
	// Person is the staff member who acted (Principal.Person), beside the client in Actor.
	Person string `json:"person,omitempty"`
	// RequestID and ClientAddress are the request the event comes from and the caller's address.
	RequestID     string `json:"request_id,omitempty"`
	ClientAddress string `json:"client_address,omitempty"`
	// Seq, PrevHash and Hash are the event's place in the hash chain (docs/audit.md): storage
	// assigns them in the transaction that writes the event (AuditChainHash).
	Seq      int64  `json:"seq"`
	PrevHash string `json:"prev_hash"`
	Hash     string `json:"hash"`
}

// Entity kinds used in audit events, idempotency records and the change feed.
const (
	KindRegistration = "registration"
	KindRegister     = "register"
	KindOffice       = "office"
	KindClient       = "client"
	KindAPIKey       = "api_key"
)

// IdempotencyRecord remembers that a principal's request with Key created or changed the
// resource (Kind, ResourceID); RequestHash fingerprints the request so that a reuse of the key
// for another request is refused.
type IdempotencyRecord struct {
	PrincipalID string
	Key         string
	RequestHash string
	Kind        string
	ResourceID  string
	CreatedAt   time.Time
}

// Page is one page of a list; NextCursor is empty on the last page.
type Page[T any] struct {
	Items      []T    `json:"items"`
	NextCursor string `json:"next_cursor"`
}

// RegistrationFilter selects registrations. Zero fields do not filter. Class matches the class
// and its descendants (`VI` matches `VI.3.2`). From and To are inclusive protocol dates.
type RegistrationFilter struct {
	Register  string
	Year      int
	Direction Direction
	Channel   Channel
	Status    Status
	Class     string
	// Unclassified keeps only registrations without a class: the worklist of documents still
	// to classify (C1).
	Unclassified bool
	Office       string
	From, To     string
	Visibility   Visibility
	Limit        int
	Cursor       string
}

// Pagination limits.
const (
	DefaultLimit = 50
	MaxLimit     = 500
)

// AssignmentStore keeps assignments. Used by assignment.go.
type AssignmentStore interface {
	// Assignments returns the assignments of a registration in the order they were made.
	Assignments(ctx context.Context, registrationID string) ([]Assignment, error)
	// Assignment returns one assignment. Returns ECNotFound.
	Assignment(ctx context.Context, id string) (Assignment, error)
	// AssignmentWorklist returns a page of assignments in order and the counts per state.
	AssignmentWorklist(ctx context.Context, f AssignmentFilter) (AssignmentList, error)
}
