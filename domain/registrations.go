package domain

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
)

// The services in this file use the ports RegistrationStore and AuditStore (ports.go).

// NewRegistration is the input of Register: what the client states about the document. Number,
// date and digests are assigned by the system, never by the client (R1).
type NewRegistration struct {
	Register        string
	Direction       Direction
	Channel         Channel
	Subject         string
	Correspondents  []Correspondent
	SenderReference *SenderReference
	// ReceivedOn is the date the document reached the office, YYYY-MM-DD, if before the
	// protocol date; optional.
	ReceivedOn string
	// Emergency, when set, is the entry of the emergency register this registration loads
	// (LoadEmergencyEntries, or Register with it): its outage must be of the same register
	// and its date within the outage.
	Emergency *Emergency
	// ImageCopy, when set, says that the document is an image copy of a paper original, with
	// its attestation of conformity if any (image_copy.go). The channel must then be one of
	// paper (its default), counter or post.
	ImageCopy    *ImageCopy
	Class        string
	Offices      []string
	Confidential bool
	// Document and Attachments describe content already in the blob store (see StoreContent).
	Document    *File
	Attachments []File
	// DocumentID names an unregistered document whose content becomes the primary document,
	// instead of Document.
	DocumentID string
	// Interoperability is what a segnatura received with the document stated, set when the
	// document is a message carrying one (intake_mail.go); nil otherwise.
	Interoperability *Interoperability
	// InReplyTo names, as people write it (`PG/2026/42`, see ParseRef), the incoming
	// registration an outgoing one answers; optional.
	InReplyTo string
}

// Validate checks the input against R1 and the shape rules; it lists every failing field.
func (in *NewRegistration) Validate() error {
	var v Validation
	if in.Register == "" {
		in.Register = DefaultRegister
	}
	switch in.Direction {
	case Incoming, Outgoing, Internal:
	case "":
		v.Add("direction", "is required (incoming, outgoing or internal)")
	default:
		v.Add("direction", "must be incoming, outgoing or internal")
	}
	if in.Channel == "" && in.ImageCopy != nil {
		in.Channel = ChannelPaper
	}
	if in.Channel == "" {
		in.Channel = ChannelAPI
	} else if !slices.Contains(Channels, in.Channel) {
		v.Add("channel", "must be one of %v", Channels)
	}
	in.Subject = strings.TrimSpace(in.Subject)
	switch n := len([]rune(in.Subject)); {
	case n == 0:
		v.Add("subject", "is required")
	case n > MaxSubject:
		v.Add("subject", "is longer than %d characters", MaxSubject)
	}
	validateCorrespondents(&v, in.Direction, in.Correspondents)
	if in.SenderReference != nil {
		if in.SenderReference.Number == "" {
			v.Add("sender_reference.number", "is required")
		}
		if in.SenderReference.Date != "" && !ValidDate(in.SenderReference.Date) {
			v.Add("sender_reference.date", "must be a date YYYY-MM-DD")
		}
	}
	if in.ReceivedOn != "" && !ValidDate(in.ReceivedOn) {
		v.Add("received_on", "must be a date YYYY-MM-DD")
	}
	if in.InReplyTo != "" {
		if _, ok := ParseRef(in.InReplyTo); !ok {
			v.Add("in_reply_to", "must name a registration as register/year/number, such as PG/2026/42")
		} else if in.Direction != Outgoing {
			v.Add("in_reply_to", "only an outgoing registration answers another")
		}
	}
	if in.Emergency != nil {
		validateEmergency(&v, "emergency", in.Emergency)
	}
	if in.ImageCopy != nil {
		validateImageCopy(&v, "image_copy", in.ImageCopy, in.Channel)
	}
	if in.Class != "" && !ValidClass(in.Class) {
		v.Add("class", "must be a classification code such as VI.3")
	}
	switch {
	case in.Document != nil && in.DocumentID != "":
		v.Add("document_id", "give either a document part or document_id, not both")
	case in.Document != nil:
		validateFile(&v, "document", *in.Document)
	case in.DocumentID == "":
		v.Add("document", "the primary document is required")
	}
	for i, a := range in.Attachments {
		validateFile(&v, fmt.Sprintf("attachments[%d]", i), a)
	}
	return v.Err()
}

// registering lists the roles that may register documents directly. Portals register only
// through the cases of their applicants (SubmitCase, PostCaseMessage), where what they file is
// the applicant's; importers bring in incoming mail only.
var registering = []Role{RoleProtocolOperator, RoleRecordsOfficer, RoleImporter}

// uploading lists the roles that may upload content: those who register, portals for their
// applicants' cases, and clerks, whose messages and final acts in the cases they handle are
// registered.
var uploading = append(slices.Clone(registering), RolePortal, RoleClerk)

// MayRegister returns forbidden unless p may register documents directly, so that a request
// is refused before its content is read and stored.
func MayRegister(p Principal) error {
	return p.require("registering", registering...)
}

// mayRegisterDirection returns validation_failed naming direction when p registers only as an
// importer and in is not incoming: an import brings in the mail the administration received.
func mayRegisterDirection(p Principal, in NewRegistration) error {
	if (in.Direction == Outgoing || in.Direction == Internal) && !p.Has(RoleProtocolOperator, RoleRecordsOfficer) {
		return Invalid("direction", "an importer registers incoming documents only, not %s", in.Direction)
	}
	return nil
}

// StoreContent writes content to the blob store and returns its digest and size. Uploads call it
// before Register: content is durable before any row points to it, and content left
// unreferenced by a failed registration is harmless. Only principals who may register
// documents, directly or through cases, may store content. Returns forbidden.
func (s *Service) StoreContent(ctx context.Context, p Principal, r io.Reader) (sha256 string, size int64, err error) {
	if err := p.require("uploading content", uploading...); err != nil {
		return "", 0, err
	}
	return s.Blobs.Put(ctx, r)
}

// Register records a document in the protocol register (art. 53): it takes the next number of
// the register's counter for the current year in Rome, in one transaction with the audit and
// change-feed events. A retry with the same idempotency key returns the first registration and
// replayed=true. With DocumentID the registration takes that document's content, and the
// document is marked registered in the same transaction (conflict if it already is); without a
// class of its own the registration takes the document's. A class must exist and be valid on
// the protocol date. Returns validation_failed (also for an unknown register or class, or an
// importer's registration that is not incoming), forbidden (see MayRegister), conflict.
func (s *Service) Register(ctx context.Context, p Principal, in NewRegistration, idem Idempotency) (*Registration, bool, error) {
	if err := MayRegister(p); err != nil {
		return nil, false, err
	}
	if err := mayRegisterDirection(p, in); err != nil {
		return nil, false, err
	}
	// An uploaded .eml on channel pec or email is read: its parts become attachments, and what
	// the metadata leaves out is proposed from it (intake_mail.go).
	if s.uploadedMessage(in) {
		if err := s.registerUploadedMessage(ctx, &in); err != nil {
			return nil, false, err
		}
	}
	if err := in.Validate(); err != nil {
		return nil, false, err
	}
	return idempotent(ctx, s, p, idem, KindRegistration, s.Store.RegistrationByID, func() (*Registration, error) {
		if err := s.checkOffices(ctx, in.Offices); err != nil {
			return nil, err
		}
		if in.Emergency != nil {
			if err := s.checkEmergency(ctx, "emergency", in); err != nil {
				return nil, err
			}
		}
		var doc *Document
		if in.DocumentID != "" {
			var err error
			if doc, err = s.documentForRegistration(ctx, p, in.DocumentID); err != nil {
				return nil, err
			}
			f := doc.File
			in.Document = &f
			// The document was classified when it was stored; registering it does not unfile it.
			if in.Class == "" {
				in.Class = doc.Class
			}
		}
		if err := s.checkContent(ctx, append([]File{*in.Document}, in.Attachments...)); err != nil {
			return nil, err
		}
		if err := s.checkUnclassified(ctx, in); err != nil {
			return nil, err
		}
		now := s.now()
		local := now.In(s.Location)
		if in.Class != "" {
			if err := s.checkClass(ctx, "class", in.Class, local.Format(time.DateOnly)); err != nil {
				return nil, err
			}
		}
		if err := checkAttestedOn("image_copy", in.ImageCopy, now, s.Location); err != nil {
			return nil, err
		}
		r := newRegistration(p, in, now, s.Location)
		if in.InReplyTo != "" {
			answered, err := s.answered(ctx, p, in.InReplyTo)
			if err != nil {
				return nil, err
			}
			r.InReplyTo = answered
		}
		if err := s.nameAnswer(ctx, r); err != nil {
			return nil, err
		}
		if r.ReceivedOn > r.Date {
			return nil, Invalid("received_on", "is after the protocol date %s", r.Date)
		}
		w := Write{
			Audit:       []AuditEvent{audit(p, now, "registration.created", KindRegistration, r.ID)},
			Idempotency: idem.record(p, KindRegistration, r.ID, now),
			// Checked again under the content locks: a disposal may have destroyed the same bytes
			// since the check above.
			Verify: func(ctx context.Context) error {
				return s.checkContent(ctx, append([]File{r.Document}, r.Attachments...))
			},
		}
		if doc != nil {
			w.Document = doc.ID
			e := audit(p, now, "document.registered", KindDocument, doc.ID)
			e.Detail = r.ID
			w.Audit = append(w.Audit, e)
		}
		err := s.Store.CreateRegistration(ctx, r, w)
		if IsCode(err, ECNotFound) {
			return nil, &Error{Code: ECValidation, Message: "register: unknown register " + in.Register,
				Fields: []FieldError{{Field: "register", Message: "unknown register " + in.Register}}, Err: err}
		}
		if err != nil {
			return nil, fmt.Errorf("register in %s: %w", in.Register, err)
		}
		return r, nil
	})
}

// answered returns the identifier of the registration an outgoing one answers, named as
// people write it: one the principal may see, incoming. Returns validation_failed naming
// in_reply_to otherwise.
func (s *Service) answered(ctx context.Context, p Principal, name string) (string, error) {
	ref, _ := ParseRef(name)
	r, err := s.Registration(ctx, p, ref)
	if IsCode(err, ECNotFound) {
		return "", Invalid("in_reply_to", "no registration %s", ref)
	}
	if err != nil {
		return "", err
	}
	if r.Direction != Incoming {
		return "", Invalid("in_reply_to", "%s is %s: only an incoming registration is answered", ref, r.Direction)
	}
	return r.Identifier, nil
}

// Registration returns one registration the principal may see. Returns not_found also when the
// registration exists but is not visible, so that its existence does not leak.
func (s *Service) Registration(ctx context.Context, p Principal, ref Ref) (*Registration, error) {
	r, err := s.Store.Registration(ctx, ref)
	if err != nil {
		return nil, err
	}
	if !VisibilityOf(p).Allows(r) {
		return nil, Errorf(ECNotFound, "registration %s not found", ref)
	}
	return r, nil
}

// RegistrationByID returns one registration the principal may see, by id (not_found also when
// it is not visible).
func (s *Service) RegistrationByID(ctx context.Context, p Principal, id string) (*Registration, error) {
	r, err := s.Store.RegistrationByID(ctx, id)
	if err != nil {
		return nil, err
	}
	if !VisibilityOf(p).Allows(r) {
		return nil, Errorf(ECNotFound, "registration %s not found", id)
	}
	return r, nil
}

// Registrations lists the registrations the principal may see, newest first. The confidential
// ones listed are reads, each an audit event (RecordShown).
func (s *Service) Registrations(ctx context.Context, p Principal, f RegistrationFilter) (Page[*Registration], error) {
	var v Validation
	if f.From != "" && !ValidDate(f.From) {
		v.Add("from", "must be a date YYYY-MM-DD")
	}
	if f.To != "" && !ValidDate(f.To) {
		v.Add("to", "must be a date YYYY-MM-DD")
	}
	if f.Direction != "" && f.Direction != Incoming && f.Direction != Outgoing && f.Direction != Internal {
		v.Add("direction", "must be incoming, outgoing or internal")
	}
	if f.Channel != "" && !slices.Contains(Channels, f.Channel) {
		v.Add("channel", "must be one of %v", Channels)
	}
	if f.Status != "" && f.Status != StatusActive && f.Status != StatusAnnulled {
		v.Add("status", "must be active or annulled")
	}
	if f.Unclassified && f.Class != "" {
		v.Add("unclassified", "cannot be combined with class")
	}
	if f.Limit < 0 || f.Limit > MaxLimit {
		v.Add("limit", "must be between 1 and %d", MaxLimit)
	}
	if err := v.Err(); err != nil {
		return Page[*Registration]{}, err
	}
	if f.Limit == 0 {
		f.Limit = DefaultLimit
	}
	f.Visibility = VisibilityOf(p)
	page, err := s.Store.Registrations(ctx, f)
	if err == nil {
		s.recordRegistrationsShown(p, ShownInList, page.Items...)
	}
	return page, err
}

// OpenContent returns the primary document (attachment < 0) or the attachment with that index,
// with its description, for a registration the principal may see. Returns not_found.
func (s *Service) OpenContent(ctx context.Context, p Principal, ref Ref, attachment int) (File, io.ReadCloser, error) {
	r, err := s.Registration(ctx, p, ref)
	if err != nil {
		return File{}, nil, err
	}
	f := r.Document
	if attachment >= 0 {
		if attachment >= len(r.Attachments) {
			return File{}, nil, Errorf(ECNotFound, "registration %s has no attachment %d", ref, attachment)
		}
		f = r.Attachments[attachment]
	}
	if r.Disposal != nil {
		return File{}, nil, Errorf(ECGone, "the content of registration %s was destroyed by disposal %s (authorisation %s)",
			ref, r.Disposal.ID, r.Disposal.Authorization)
	}
	rc, err := s.Blobs.Open(ctx, f.SHA256)
	if err != nil {
		return File{}, nil, fmt.Errorf("open %s of %s: %w", f.SHA256, ref, err)
	}
	s.recordAccess(p, ActionDownload, KindRegistration, r.ID, r.Identifier+" "+f.SHA256)
	return f, rc, nil
}

// RegistrationPatch changes the mutable fields; nil fields stay as they are.
type RegistrationPatch struct {
	Class    *string
	Offices  *[]string
	Dossiers *[]string
}

// UpdateRegistration changes class, offices or dossiers (M1, R4) and records each change in the
// history with old and new values (M2). A new class must exist and be valid on the
// registration's date. Dossiers are named by identifier: each must exist, and a dossier the
// registration enters or leaves must be open (conflict otherwise); the registration is filed
// into and unfiled from them in the same transaction. Returns forbidden, not_found, validation_failed, conflict (annulled).
func (s *Service) UpdateRegistration(ctx context.Context, p Principal, ref Ref, patch RegistrationPatch) (*Registration, error) {
	if err := p.require("changing a registration", RoleProtocolOperator, RoleRecordsOfficer); err != nil {
		return nil, err
	}
	var v Validation
	if patch.Class != nil && *patch.Class != "" && !ValidClass(*patch.Class) {
		v.Add("class", "must be a classification code such as VI.3")
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	if patch.Offices != nil {
		if err := s.checkOffices(ctx, *patch.Offices); err != nil {
			return nil, err
		}
	}
	current, err := s.Registration(ctx, p, ref)
	if err != nil {
		return nil, err
	}
	var (
		dossiers   []string
		dossierIDs map[string]string
	)
	if patch.Dossiers != nil {
		if dossiers, dossierIDs, err = s.checkDossiers(ctx, *patch.Dossiers, current.Dossiers); err != nil {
			return nil, err
		}
	}
	// A new class must be valid on the registration's own date; keeping the current one is
	// always allowed, so that a closed code never blocks other changes.
	if patch.Class != nil && *patch.Class != "" && *patch.Class != current.Class {
		if err := s.checkClass(ctx, "class", *patch.Class, current.Date); err != nil {
			return nil, err
		}
	}
	return s.Store.UpdateRegistration(ctx, current.ID, func(r *Registration) (Write, error) {
		if r.Status == StatusAnnulled {
			return Write{}, Errorf(ECConflict, "registration %s is annulled", ref)
		}
		if r.Disposal != nil {
			return Write{}, Errorf(ECConflict, "registration %s is disposed of (disposal %s)", ref, r.Disposal.ID)
		}
		now := s.now()
		w := Write{Actor: p.ID, At: now}
		record := func(field string, old, new any) error {
			e, err := change(p, now, KindRegistration, r.ID, field, old, new)
			w.Audit = append(w.Audit, e)
			return err
		}
		if patch.Class != nil && *patch.Class != r.Class {
			if err := record("class", r.Class, *patch.Class); err != nil {
				return w, err
			}
			r.Class = *patch.Class
		}
		if patch.Offices != nil {
			offices := uniq(*patch.Offices)
			if !slices.Equal(offices, r.Offices) {
				if err := record("offices", r.Offices, offices); err != nil {
					return w, err
				}
				r.Offices = offices
			}
		}
		if patch.Dossiers != nil && !sameDossiers(dossiers, r.Dossiers) {
			return s.refile(p, r, dossiers, dossierIDs, w)
		}
		return w, nil
	})
}

// AnnulmentRequest is what annulling needs: the reason and the reference of the authorising act
// (estremi del provvedimento).
type AnnulmentRequest struct {
	Reason        string
	Authorization string
}

// Annul voids a registration (art. 54, M3): only a records officer, only with the reference of
// the authorising act. The registration stays whole and readable, marked annulled with who, when
// and why; its number is never reused. Returns forbidden, validation_failed, not_found, conflict.
func (s *Service) Annul(ctx context.Context, p Principal, ref Ref, in AnnulmentRequest, idem Idempotency) (*Registration, bool, error) {
	if err := p.require("annulment", RoleRecordsOfficer); err != nil {
		return nil, false, err
	}
	var v Validation
	if strings.TrimSpace(in.Reason) == "" {
		v.Add("reason", "is required")
	}
	if strings.TrimSpace(in.Authorization) == "" {
		v.Add("authorization", "the reference of the authorising act is required")
	}
	if err := v.Err(); err != nil {
		return nil, false, err
	}
	return idempotent(ctx, s, p, idem, KindRegistration, s.Store.RegistrationByID, func() (*Registration, error) {
		current, err := s.Registration(ctx, p, ref)
		if err != nil {
			return nil, err
		}
		return s.Store.UpdateRegistration(ctx, current.ID, func(r *Registration) (Write, error) {
			if r.Status == StatusAnnulled {
				return Write{}, Errorf(ECConflict, "registration %s is already annulled", ref)
			}
			now := s.now()
			r.Status = StatusAnnulled
			r.Annulment = &Annulment{
				Reason: strings.TrimSpace(in.Reason), Authorization: strings.TrimSpace(in.Authorization),
				By: p.ID, ByName: p.Name, At: now.UTC(),
			}
			e, err := change(p, now, KindRegistration, r.ID, "status", StatusActive, StatusAnnulled)
			e.Action = "registration.annulled"
			e.Detail = r.Annulment.Authorization + ": " + r.Annulment.Reason
			return Write{Audit: []AuditEvent{e}, Idempotency: idem.record(p, KindRegistration, r.ID, now)}, err
		})
	})
}

// History returns every recorded event of a registration the principal may see: its creation,
// each change with old and new values, its annulment (M2). The history of a confidential
// registration is a read of it, an audit event.
func (s *Service) History(ctx context.Context, p Principal, ref Ref) ([]AuditEvent, error) {
	r, err := s.Registration(ctx, p, ref)
	if err != nil {
		return nil, err
	}
	events, err := s.Store.Audit(ctx, KindRegistration, r.ID)
	if err == nil {
		s.recordRegistrationsShown(p, ShownInHistory, r)
	}
	return events, err
}

// uniq returns codes without duplicates, in first-seen order, never nil.
func uniq(codes []string) []string {
	out := make([]string, 0, len(codes))
	for _, c := range codes {
		if !slices.Contains(out, c) {
			out = append(out, c)
		}
	}
	return out
}
