package api

import (
	"encoding/json"
	"time"

	"github.com/sportello/sportello/domain"
)

// Conversions between the contract types (types.go) and the domain. Lists are never nil, so
// that the JSON says [] rather than null.

func toRegistration(r *domain.Registration) Registration {
	out := Registration{
		ID: r.ID, Register: r.Register, Year: r.Year, Number: r.Number,
		NumberFormatted: domain.FormatNumber(r.Number), Identifier: r.Identifier,
		RegisteredAt: utc(r.RegisteredAt), Date: r.Date, ReceivedOn: r.ReceivedOn, Direction: string(r.Direction),
		Channel: string(r.Channel), Subject: r.Subject,
		Correspondents: make([]Correspondent, 0, len(r.Correspondents)),
		Document:       toSignedFile(r.Document, r.Signatures), Attachments: make([]File, 0, len(r.Attachments)),
		Class: r.Class, Offices: nonNil(r.Offices), Dossiers: nonNil(r.Dossiers),
		Confidential: r.Confidential, Status: string(r.Status), Position: r.Position, CreatedBy: r.CreatedBy,
		TextStatus: r.TextStatus, InReplyTo: r.InReplyTo,
	}
	for _, c := range r.Correspondents {
		out.Correspondents = append(out.Correspondents, Correspondent(c))
	}
	if r.SenderReference != nil {
		sr := SenderReference(*r.SenderReference)
		out.SenderReference = &sr
	}
	if r.Emergency != nil {
		e := Emergency(*r.Emergency)
		out.Emergency = &e
	}
	if r.ImageCopy != nil {
		ic := ImageCopy(*r.ImageCopy)
		out.ImageCopy = &ic
	}
	for _, a := range r.Attachments {
		out.Attachments = append(out.Attachments, toSignedFile(a, r.Signatures))
	}
	if d := r.Disposal; d != nil {
		out.Disposal = &DisposalRef{ID: d.ID, Authorization: d.Authorization, At: utc(d.At)}
	}
	if a := r.Annulment; a != nil {
		out.Annulment = &Annulment{Reason: a.Reason, Authorization: a.Authorization, By: a.By, ByName: a.ByName, At: utc(a.At)}
	}
	out.Interoperability = toInteroperability(r.Interoperability)
	return out
}

func toFile(f domain.File) File {
	return File{Filename: f.Filename, Description: f.Description, MediaType: f.MediaType, Size: f.Size, SHA256: f.SHA256}
}

// toSignedFile is a registration's file with the signatures found on it.
func toSignedFile(f domain.File, sigs domain.FileSignatures) File {
	out := toFile(f)
	for _, s := range sigs[f.SHA256] {
		var at *time.Time
		if s.SigningTime != nil {
			t := utc(*s.SigningTime)
			at = &t
		}
		out.Signatures = append(out.Signatures, Signature{Format: s.Format, Signer: s.Signer, SigningTime: at,
			Valid: s.Valid, Trusted: s.Trusted, Reason: s.Reason})
	}
	return out
}

func toHistory(events []domain.AuditEvent) History {
	h := History{Items: make([]HistoryEvent, 0, len(events))}
	for _, e := range events {
		h.Items = append(h.Items, HistoryEvent{
			At: utc(e.At), Actor: e.Actor, ActorName: e.ActorName, Action: e.Action,
			Field: e.Field, Old: rawOrNil(e.Old), New: rawOrNil(e.New), Detail: e.Detail,
		})
	}
	return h
}

// rawOrNil keeps an absent value absent (omitempty) instead of encoding it as null.
func rawOrNil(m json.RawMessage) any {
	if len(m) == 0 {
		return nil
	}
	return m
}

func toRegister(r domain.Register) Register {
	return Register{Code: r.Code, Name: r.Name, CreatedAt: utc(r.CreatedAt), AllowUnclassified: r.AllowUnclassified}
}

func toOffice(o domain.Office) Office {
	return Office{Code: o.Code, Name: o.Name, CreatedAt: utc(o.CreatedAt)}
}

func toPrincipal(p domain.Principal) Principal {
	return Principal{ID: p.ID, Name: p.Name, Roles: roleNames(p.Roles), Offices: nonNil(p.Offices), Person: p.Person}
}

func toCreatedClient(c domain.CreatedClient) CreatedClient {
	return CreatedClient{
		ID: c.ID, Name: c.Name, Roles: roleNames(c.Roles), Offices: nonNil(c.Offices),
		CreatedAt: utc(c.CreatedAt), Token: c.Token,
	}
}

func roleNames(roles []domain.Role) []string {
	out := make([]string, 0, len(roles))
	for _, r := range roles {
		out = append(out, string(r))
	}
	return out
}

// utc renders timestamps in UTC at the microsecond precision both database engines keep, so
// that a replayed answer, read back from the database, equals the first one.
func utc(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func toClass(c domain.Class) Class {
	return Class{
		Code: c.Code, Parent: c.Parent, Level: c.Level, Title: c.Title, Description: c.Description,
		RetentionYears: c.RetentionYears, RetentionPermanent: c.RetentionPermanent, ValidFrom: c.ValidFrom,
		ValidTo: c.ValidTo, ReplacedBy: c.ReplacedBy, CreatedAt: utc(c.CreatedAt),
	}
}

func toClasses(cs []domain.Class) []Class {
	out := make([]Class, 0, len(cs))
	for _, c := range cs {
		out = append(out, toClass(c))
	}
	return out
}

func toClassTree(nodes []domain.ClassNode) []Class {
	out := make([]Class, 0, len(nodes))
	for _, n := range nodes {
		c := toClass(n.Class)
		if len(n.Children) > 0 {
			c.Children = toClassTree(n.Children)
		}
		out = append(out, c)
	}
	return out
}

// convertAll converts every item of a domain list for the API, never returning nil: an empty
// list is `[]` in JSON, as the contract says.
func convertAll[T, U any](in []T, conv func(T) U) []U {
	out := make([]U, 0, len(in))
	for _, v := range in {
		out = append(out, conv(v))
	}
	return out
}
