package domain

import (
	"bufio"
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// The services in this file use the port PackageStore (ports.go).

// An archival package (aip) leaves for the conservation system once it is ready: the sending
// job hands it to the configured destination (package conservation: a folder or an HTTP
// endpoint), and the package becomes sent, or refused when the destination refuses it for
// good. The conservator answers with a rapporto di versamento, which a records officer uploads:
// the package becomes acknowledged, or refused with the conservator's reason. Each change is an
// audit event of the package (package.sent, package.acknowledged, package.refused).

// PackageReport is the conservator's rapporto di versamento: a blob, its media type and size.
type PackageReport struct {
	SHA256    string
	MediaType string
	Size      int64
}

// Media types of a rapporto di versamento.
const (
	ReportXML = "application/xml"
	ReportPDF = "application/pdf"
)

// Outcomes of a rapporto di versamento.
const (
	OutcomeAcknowledged = "acknowledged"
	OutcomeRefused      = "refused"
)

// MaxReasonLength bounds a refusal's reason, in characters.
const MaxReasonLength = 2000

// PackageOutcome is what a records officer uploads for a package: the conservator's outcome,
// the reason of a refusal, and the report itself, already in the blob store (required to
// acknowledge, optional with a refusal; nil when none).
type PackageOutcome struct {
	Outcome string
	Reason  string
	Report  *File
}

// maySettle lists who records the conservator's answer: the records officers, who keep the
// archive (manuale di gestione).
var maySettle = []Role{RoleRecordsOfficer}

// PackageFilter selects archive packages: State and Kind filter when set; newest first.
type PackageFilter struct {
	State  string
	Kind   string
	Limit  int
	Cursor string
}

// packageStates are the states a filter may name.
var packageStates = []string{PackageBuilding, PackageReady, PackageFailed, PackageSent, PackageAcknowledged, PackageRefused}

// Validate checks the filter's values.
func (f PackageFilter) Validate() error {
	var v Validation
	if f.State != "" && !slices.Contains(packageStates, f.State) {
		v.Add("state", "must be one of %s", strings.Join(packageStates, ", "))
	}
	if f.Kind != "" && f.Kind != PackageAIP && f.Kind != PackageDIP {
		v.Add("kind", "must be %s or %s", PackageAIP, PackageDIP)
	}
	if f.Limit < 0 || f.Limit > MaxLimit {
		v.Add("limit", "must be between 1 and %d", MaxLimit)
	}
	return v.Err()
}

// Parcel is a package as a destination receives it: its id names the files, SHA256 and Size
// are the zip's, Open reads it from the blob store.
type Parcel struct {
	ID     string
	SHA256 string
	Size   int64
	Open   func(ctx context.Context) (io.ReadCloser, error)
}

// DeliveryRefused is what a destination returns when it refused a package for good (an HTTP
// 4xx): the package becomes refused with Reason. Any other error is temporary and the
// delivery is tried again.
type DeliveryRefused struct{ Reason string }

func (e *DeliveryRefused) Error() string { return "refused by the destination: " + e.Reason }

// ArchivePackages lists packages, newest first, to records officers and admins. Returns
// forbidden, or validation_failed for a bad filter or cursor.
func (s *Service) ArchivePackages(ctx context.Context, p Principal, f PackageFilter) (Page[*ArchivePackage], error) {
	if err := p.require("reading archive packages", mayArchive...); err != nil {
		return Page[*ArchivePackage]{}, err
	}
	if err := f.Validate(); err != nil {
		return Page[*ArchivePackage]{}, err
	}
	return s.Store.ArchivePackages(ctx, f)
}

// SendPackage hands the archival package id to dest, if it is ready: the package becomes sent,
// or refused when dest refuses it for good. A package in any other state (a dip, one already
// sent or settled) is left as it is, so a repeated job does nothing. An error is temporary: the
// job tries again later.
func (s *Service) SendPackage(ctx context.Context, id string, dest ConservationDestination) error {
	pkg, err := s.Store.ArchivePackage(ctx, id)
	if err != nil {
		return fmt.Errorf("send package %s: %w", id, err)
	}
	if pkg.Kind != PackageAIP || pkg.State != PackageReady {
		return nil
	}
	parcel := Parcel{ID: pkg.ID, SHA256: pkg.SHA256, Size: pkg.Size,
		Open: func(ctx context.Context) (io.ReadCloser, error) { return s.Blobs.Open(ctx, pkg.SHA256) }}
	err = dest.Deliver(ctx, parcel)
	var refused *DeliveryRefused
	if err != nil && !errors.As(err, &refused) {
		return fmt.Errorf("send package %s to %s: %w", id, dest, err)
	}
	_, err = s.Store.UpdatePackage(ctx, id, func(k *ArchivePackage) (Write, error) {
		if k.State != PackageReady {
			return Write{}, Errorf(ECConflict, "archive package %s is %s, not ready", id, k.State)
		}
		now := s.now()
		from := k.State
		if refused != nil {
			k.State, k.SettledAt, k.OutcomeReason = PackageRefused, &now, truncate(refused.Reason, MaxReasonLength)
		} else {
			k.State, k.SentAt, k.Destination = PackageSent, &now, dest.String()
		}
		return Write{Audit: []AuditEvent{stateChange(system, now, k, from)}}, nil
	})
	if IsCode(err, ECConflict) {
		return nil // settled by hand meanwhile
	}
	return err
}

// SettlePackage records the conservator's answer about a package, to records officers and
// admins: acknowledged with its rapporto di versamento (XML or PDF), or refused with a reason
// (and the report, when there is one). A ready package may be settled too, when it was
// handed over by hand. Returns forbidden, not_found, validation_failed for a bad outcome,
// reason or report, and conflict for a package that is not ready or sent.
func (s *Service) SettlePackage(ctx context.Context, p Principal, id string, o PackageOutcome) (*ArchivePackage, error) {
	if err := p.require("recording the outcome of an archive package", maySettle...); err != nil {
		return nil, err
	}
	var v Validation
	o.Reason = strings.TrimSpace(o.Reason)
	switch o.Outcome {
	case OutcomeAcknowledged:
		if o.Report == nil {
			v.Add("report", "acknowledging a package needs the conservator's report")
		}
		if o.Reason != "" {
			v.Add("reason", "only a refusal has a reason")
		}
	case OutcomeRefused:
		if o.Reason == "" {
			v.Add("reason", "a refusal needs its reason")
		}
	default:
		v.Add("outcome", "must be %s or %s", OutcomeAcknowledged, OutcomeRefused)
	}
	if utf8.RuneCountInString(o.Reason) > MaxReasonLength {
		v.Add("reason", "must be at most %d characters", MaxReasonLength)
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	if _, err := s.Store.ArchivePackage(ctx, id); err != nil {
		return nil, err
	}
	var report *PackageReport
	if o.Report != nil {
		mediaType, err := s.reportMediaType(ctx, o.Report.SHA256)
		if err != nil {
			return nil, err
		}
		report = &PackageReport{SHA256: o.Report.SHA256, MediaType: mediaType, Size: o.Report.Size}
	}
	return s.Store.UpdatePackage(ctx, id, func(k *ArchivePackage) (Write, error) {
		if k.State != PackageReady && k.State != PackageSent {
			return Write{}, Errorf(ECConflict, "archive package %s is %s: only a ready or sent package gets an outcome", id, k.State)
		}
		if k.Kind != PackageAIP {
			return Write{}, Errorf(ECConflict, "archive package %s is a distribution package: it is not sent to conservation", id)
		}
		now := s.now()
		from := k.State
		k.State, k.SettledAt, k.Report = o.Outcome, &now, report
		if o.Outcome == OutcomeRefused {
			k.State, k.OutcomeReason = PackageRefused, o.Reason
		}
		return Write{Audit: []AuditEvent{stateChange(p, now, k, from)}}, nil
	})
}

// stateChange is the audit event of k's move from state from to its state: action
// package.<state>, field state, the reason or destination in the detail.
func stateChange(p Principal, now time.Time, k *ArchivePackage, from string) AuditEvent {
	e := audit(p, now, "package."+k.State, KindPackage, k.ID)
	e.Field, e.Old, e.New = "state", []byte(`"`+from+`"`), []byte(`"`+k.State+`"`)
	switch {
	case k.State == PackageRefused:
		e.Detail = k.OutcomeReason
	case k.State == PackageSent:
		e.Detail = k.Destination
	case k.Report != nil:
		e.Detail = "report " + k.Report.SHA256
	}
	return e
}

// reportMediaType reads the stored report and tells its media type (ReportMediaType);
// validation_failed naming report for anything else.
func (s *Service) reportMediaType(ctx context.Context, sha256 string) (string, error) {
	rc, err := s.Blobs.Open(ctx, sha256)
	if err != nil {
		return "", fmt.Errorf("read report %s: %w", sha256, err)
	}
	defer rc.Close()
	mt, err := ReportMediaType(rc)
	if err != nil {
		return "", Invalid("report", "%v", err)
	}
	return mt, nil
}

// ReportMediaType tells a rapporto di versamento's media type from its bytes: a PDF (it starts
// with %PDF-) or a well-formed XML document. Anything else is refused.
func ReportMediaType(r io.Reader) (string, error) {
	br := bufio.NewReader(r)
	if head, _ := br.Peek(5); string(head) == "%PDF-" {
		return ReportPDF, nil
	}
	d := xml.NewDecoder(br)
	root := false
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return "", fmt.Errorf("the report must be a PDF or a well-formed XML document: %v", err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			root = true
		case xml.CharData:
			if !root && len(bytes.TrimSpace(t)) > 0 {
				return "", errors.New("the report must be a PDF or an XML document")
			}
		}
	}
	if !root {
		return "", errors.New("the report must be a PDF or an XML document with an element")
	}
	return ReportXML, nil
}
