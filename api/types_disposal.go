package api

import (
	"time"

	"github.com/sportello/sportello/domain"
)

// DisposalRef is what a disposed registration shows of its disposal (scarto).
type DisposalRef struct {
	ID            string    `json:"id" format:"uuid"`
	Authorization string    `json:"authorization" example:"Soprintendenza archivistica del Lazio, prot. 1234/2026"`
	At            time.Time `json:"at" format:"date-time"`
}

// NewHold places a legal hold on a dossier (id or identifier) or on a class and its descendants.
type NewHold struct {
	Dossier   string `json:"dossier,omitempty" example:"2026-VI.3-000012"`
	Class     string `json:"class,omitempty" example:"VI.3" extensions:"x-pattern=class"`
	Reason    string `json:"reason" example:"Contenzioso in corso"`
	Reference string `json:"reference,omitempty" example:"TAR Lazio, ric. 567/2026"`
}

// HoldRelease gives the reason for releasing a hold.
type HoldRelease struct {
	Reason string `json:"reason" example:"Sentenza passata in giudicato"`
}

// Hold is a legal hold; while `released_at` is null it blocks disposal.
type Hold struct {
	ID                string     `json:"id" format:"uuid"`
	Dossier           string     `json:"dossier,omitempty" format:"uuid"`
	DossierIdentifier string     `json:"dossier_identifier,omitempty" example:"2026-VI.3-000012"`
	Class             string     `json:"class,omitempty" example:"VI.3"`
	Reason            string     `json:"reason"`
	Reference         string     `json:"reference"`
	CreatedAt         time.Time  `json:"created_at" format:"date-time"`
	CreatedBy         string     `json:"created_by"`
	ReleasedAt        *time.Time `json:"released_at" format:"date-time" extensions:"x-nullable"`
	ReleasedBy        string     `json:"released_by,omitempty"`
	ReleaseReason     string     `json:"release_reason,omitempty"`
}

// DueItem is one entry of the disposal worklist.
type DueItem struct {
	Kind           string     `json:"kind" enums:"dossier,registration"`
	ID             string     `json:"id" format:"uuid"`
	Identifier     string     `json:"identifier"`
	Reference      string     `json:"reference,omitempty" example:"PG/2026/0000042"` // registrations only
	Class          string     `json:"class" example:"VI.3"`
	ClosedAt       *time.Time `json:"closed_at,omitempty" format:"date-time"` // dossiers only
	Date           string     `json:"date,omitempty" format:"date"`           // registrations only
	RetentionYears int        `json:"retention_years" example:"10"`
	DueOn          string     `json:"due_for_disposal_on" format:"date"`
}

// DueList lists what is due for disposal; never paged.
type DueList struct {
	Items []DueItem `json:"items"`
	// ClassesWithoutRetention is the other worklist: every class whose retention is not set
	// yet (neither retention_years nor retention_permanent), in scheme order. Nothing under
	// them is ever due until a records officer sets it (PATCH /v1/classes/{code}).
	ClassesWithoutRetention []ClassWithoutRetention `json:"classes_without_retention"`
}

// ClassWithoutRetention is a class whose retention is not set yet.
type ClassWithoutRetention struct {
	Code    string `json:"code" example:"VI.3"`
	Title   string `json:"title" example:"Edilizia privata"`
	ValidTo string `json:"valid_to,omitempty" format:"date"` // absent while open
}

// NewDisposal asks to dispose of dossiers and unfiled registrations (scarto).
type NewDisposal struct {
	Authorization string   `json:"authorization" example:"Soprintendenza archivistica del Lazio, prot. 1234/2026"`
	Date          string   `json:"date,omitempty" format:"date"` // retention is checked on it; default today, never in the future
	Items         []string `json:"items" example:"2016-VI.3-000001,PG/2016/42"`
}

// Disposal is a disposal record, kept forever.
type Disposal struct {
	ID            string         `json:"id" format:"uuid"`
	Authorization string         `json:"authorization"`
	Date          string         `json:"date" format:"date"`
	By            string         `json:"by"`
	ByName        string         `json:"by_name"`
	At            time.Time      `json:"at" format:"date-time"`
	Items         []DisposedItem `json:"items"`
}

// DisposedItem is a disposed dossier, registration or unregistered document (whose identifier
// is its id); a registration or document disposed of with its dossier names it in `dossier`.
type DisposedItem struct {
	Kind       string         `json:"kind" enums:"dossier,registration,document"`
	ID         string         `json:"id" format:"uuid"`
	Identifier string         `json:"identifier"`
	Dossier    string         `json:"dossier,omitempty"`
	Files      []DisposedFile `json:"files"`
}

// DisposedFile is a destroyed file and its SHA-256 (hex).
type DisposedFile struct {
	Filename string `json:"filename"`
	SHA256   string `json:"sha256"`
}

func toHold(h domain.Hold) Hold {
	out := Hold{ID: h.ID, Dossier: h.Dossier, DossierIdentifier: h.DossierIdentifier, Class: h.Class, Reason: h.Reason,
		Reference: h.Reference, CreatedAt: utc(h.CreatedAt), CreatedBy: h.CreatedBy, ReleasedBy: h.ReleasedBy, ReleaseReason: h.ReleaseReason}
	if h.ReleasedAt != nil {
		t := utc(*h.ReleasedAt)
		out.ReleasedAt = &t
	}
	return out
}

func toDisposal(d *domain.Disposal) Disposal {
	out := Disposal{ID: d.ID, Authorization: d.Authorization, Date: d.Date, By: d.By, ByName: d.ByName, At: utc(d.At),
		Items: make([]DisposedItem, 0, len(d.Items))}
	for _, it := range d.Items {
		item := DisposedItem{Kind: it.Kind, ID: it.ID, Identifier: it.Identifier, Dossier: it.Dossier, Files: []DisposedFile{}}
		for _, f := range it.Files {
			item.Files = append(item.Files, DisposedFile(f))
		}
		out.Items = append(out.Items, item)
	}
	return out
}
