package domain

import (
	"context"
	"fmt"
	"time"
)

// The services in this file use the ports PackageStore, RegistrationStore, DossierStore and RegisterStore (ports.go).

// Archive packages (pacchetti di archiviazione and di distribuzione, docs/package-format.md) are
// zips of registrations, their files, metadata, receipts, journals and log proofs, with a UNI
// SInCRO index sealed and time-stamped. A request stores the package as building and enqueues
// the job that builds it (package archive assembles, jobs runs it); the built zip is kept in
// the blob store and its digest logged in the transparency log.

// KindPackage is the entity kind of archive packages in audit events, idempotency records, the
// change feed and the transparency log.
const KindPackage = "package"

// EventPackageBuilt is the change-feed event stored with a package that became ready, from
// which the log sequencer takes the package's leaf.
const EventPackageBuilt = "package.built"

// Package kinds: an archival package for the conservation system, a distribution package for
// a requester. Both have the same format.
const (
	PackageAIP = "aip"
	PackageDIP = "dip"
)

// Package states. A state moves forward only (the database refuses the rest): building →
// ready | failed; ready → sent | refused | acknowledged; sent → acknowledged | refused
// (package_sending.go).
const (
	PackageBuilding     = "building"
	PackageReady        = "ready"
	PackageFailed       = "failed"
	PackageSent         = "sent"
	PackageAcknowledged = "acknowledged"
	PackageRefused      = "refused"
)

// MaxPackageRegistrations bounds the registrations one request names in a list (the request's
// size); what a package may hold is bounded by Service.PackageLimits.
const MaxPackageRegistrations = 10000

// PackageLimits bound what one archive package may hold: registrations (or daily journals) and
// bytes of documents and attachments (SPORTELLO_PACKAGE_MAX_ITEMS, SPORTELLO_PACKAGE_MAX_BYTES);
// zero is no bound. A request over either is refused (validation_failed), and so is a build
// over either, should the items have grown since.
type PackageLimits struct {
	MaxItems int
	MaxBytes int64
}

// Check refuses a package of items holding size bytes of files over either bound.
func (l PackageLimits) Check(items int, size int64) error {
	if l.MaxItems > 0 && items > l.MaxItems {
		return Invalid("package", "%d items, more than the %d a package may hold (SPORTELLO_PACKAGE_MAX_ITEMS)", items, l.MaxItems)
	}
	if l.MaxBytes > 0 && size > l.MaxBytes {
		return Invalid("package", "%d bytes of files, more than the %d a package may hold (SPORTELLO_PACKAGE_MAX_BYTES)", size, l.MaxBytes)
	}
	return nil
}

// PackageSize is the bytes of r's files a package would carry: none once disposed of.
func PackageSize(r *Registration) int64 {
	if r.Disposal != nil {
		return 0
	}
	n := r.Document.Size
	for _, f := range r.Attachments {
		n += f.Size
	}
	return n
}

// MaxPackageJournalDays bounds the days of a journal range.
const MaxPackageJournalDays = 366

// PackageJournals selects a register's daily journals from From to To (YYYY-MM-DD, inclusive).
type PackageJournals struct {
	Register string `json:"register"`
	From     string `json:"from"`
	To       string `json:"to"`
}

// PackageRequest says what a package holds: exactly one of a dossier (id or identifier), a list
// of registrations ("PG/2026/42"), or a range of daily journals.
type PackageRequest struct {
	Kind          string           `json:"kind,omitempty"`
	Dossier       string           `json:"dossier,omitempty"`
	Registrations []string         `json:"registrations,omitempty"`
	Journals      *PackageJournals `json:"journals,omitempty"`
}

// Validate checks the request's shape and fills the default kind (aip); the items themselves
// are looked up when the request is accepted.
func (r *PackageRequest) Validate() error {
	switch r.Kind {
	case "":
		r.Kind = PackageAIP
	case PackageAIP, PackageDIP:
	default:
		return Invalid("kind", "kind must be %q or %q, not %q", PackageAIP, PackageDIP, r.Kind)
	}
	n := 0
	if r.Dossier != "" {
		n++
	}
	if r.Registrations != nil {
		n++
	}
	if r.Journals != nil {
		n++
	}
	if n != 1 {
		return Invalid("dossier", "name exactly one of dossier, registrations and journals")
	}
	if r.Registrations != nil {
		if len(r.Registrations) == 0 || len(r.Registrations) > MaxPackageRegistrations {
			return Invalid("registrations", "name between 1 and %d registrations", MaxPackageRegistrations)
		}
		seen := map[Ref]bool{}
		for i, s := range r.Registrations {
			ref, ok := ParseRef(s)
			if !ok {
				return Invalid(fmt.Sprintf("registrations[%d]", i), "%q is not a registration reference such as PG/2026/42", s)
			}
			if seen[ref] {
				return Invalid(fmt.Sprintf("registrations[%d]", i), "%s is named twice", ref)
			}
			seen[ref] = true
		}
	}
	if j := r.Journals; j != nil {
		if j.Register == "" {
			return Invalid("journals.register", "the register is required")
		}
		from, err := time.Parse(time.DateOnly, j.From)
		if err != nil {
			return Invalid("journals.from", "from must be a date YYYY-MM-DD, not %q", j.From)
		}
		to, err := time.Parse(time.DateOnly, j.To)
		if err != nil {
			return Invalid("journals.to", "to must be a date YYYY-MM-DD, not %q", j.To)
		}
		if to.Before(from) || to.Sub(from) > MaxPackageJournalDays*24*time.Hour {
			return Invalid("journals.to", "to must be on or after from, at most %d days later", MaxPackageJournalDays)
		}
	}
	return nil
}

// ArchivePackage is the record of an archive package. Size, SHA256, IndexSHA256, Files and
// BuiltAt are set once it is ready, Reason once it failed. ScheduleKey names the scheduled item
// it was made for ("" for one requested by hand); SentAt and Destination are set once sent,
// SettledAt once acknowledged or refused, OutcomeReason once refused, Report once the
// conservator's report is uploaded.
type ArchivePackage struct {
	ID      string
	Kind    string
	State   string
	Request PackageRequest
	// Items is how many registrations (or journals, for a journal range) the package holds.
	Items       int
	Files       int
	Size        int64
	SHA256      string
	IndexSHA256 string
	Reason      string
	CreatedBy   string
	CreatedAt   time.Time
	BuiltAt     *time.Time

	ScheduleKey   string
	SentAt        *time.Time
	Destination   string
	SettledAt     *time.Time
	OutcomeReason string
	Report        *PackageReport
}

// PackageResult is what building a package gives: ready with its zip's digest (the zip is in
// the blob store under SHA256), or failed with a reason.
type PackageResult struct {
	State       string
	Items       int
	Files       int
	Size        int64
	SHA256      string
	IndexSHA256 string
	Reason      string
	At          time.Time
}

// mayArchive lists who requests and reads archive packages.
var mayArchive = []Role{RoleRecordsOfficer, RoleAdmin}

// RequestPackage accepts a request for a package, to records officers and admins: it checks
// that the dossier, the registrations or the register exist, stores the package as building
// and enqueues its build. The bool reports a replay of an earlier request with the same
// Idempotency-Key.
func (s *Service) RequestPackage(ctx context.Context, p Principal, req PackageRequest, idem Idempotency) (*ArchivePackage, bool, error) {
	if err := p.require("requesting an archive package", mayArchive...); err != nil {
		return nil, false, err
	}
	if err := req.Validate(); err != nil {
		return nil, false, err
	}
	return idempotent(ctx, s, p, idem, KindPackage, s.Store.ArchivePackage, func() (*ArchivePackage, error) {
		items, err := s.packageItems(ctx, req)
		if err != nil {
			return nil, err
		}
		now := s.now()
		pkg := &ArchivePackage{ID: NewID(), Kind: req.Kind, State: PackageBuilding, Request: req, Items: items,
			CreatedBy: p.ID, CreatedAt: now}
		w := Write{Audit: []AuditEvent{audit(p, now, "package.requested", KindPackage, pkg.ID)},
			Idempotency: idem.record(p, KindPackage, pkg.ID, now)}
		if err := s.Store.CreatePackage(ctx, pkg, w); err != nil {
			return nil, fmt.Errorf("request package: %w", err)
		}
		return pkg, nil
	})
}

// packageItems checks that what req names exists and counts it.
func (s *Service) packageItems(ctx context.Context, req PackageRequest) (int, error) {
	switch {
	case req.Dossier != "":
		d, err := s.Store.Dossier(ctx, req.Dossier)
		if IsCode(err, ECNotFound) {
			return 0, Invalid("dossier", "unknown dossier %q", req.Dossier)
		}
		if err != nil {
			return 0, err
		}
		n, size := 0, int64(0)
		for _, it := range d.Items {
			if it.Registration != nil {
				n++
				size += PackageSize(it.Registration)
			}
		}
		if n == 0 {
			return 0, Invalid("dossier", "dossier %s holds no registration", d.Identifier)
		}
		if err := s.PackageLimits.Check(n, size); err != nil {
			return 0, err
		}
		return n, nil
	case req.Journals != nil:
		if _, err := s.Store.Register(ctx, req.Journals.Register); IsCode(err, ECNotFound) {
			return 0, Invalid("journals.register", "unknown register %q", req.Journals.Register)
		} else if err != nil {
			return 0, err
		}
		return 0, nil
	}
	var size int64
	for i, ref := range req.Registrations {
		r, _ := ParseRef(ref)
		reg, err := s.Store.Registration(ctx, r)
		if IsCode(err, ECNotFound) {
			return 0, Invalid(fmt.Sprintf("registrations[%d]", i), "unknown registration %s", ref)
		} else if err != nil {
			return 0, err
		}
		size += PackageSize(reg)
	}
	if err := s.PackageLimits.Check(len(req.Registrations), size); err != nil {
		return 0, err
	}
	return len(req.Registrations), nil
}

// ArchivePackage returns one package to records officers and admins (not_found otherwise).
func (s *Service) ArchivePackage(ctx context.Context, p Principal, id string) (*ArchivePackage, error) {
	if err := p.require("reading archive packages", mayArchive...); err != nil {
		return nil, err
	}
	return s.Store.ArchivePackage(ctx, id)
}
