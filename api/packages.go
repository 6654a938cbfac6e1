package api

import (
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/sportello/sportello/domain"
	"github.com/sportello/sportello/signing/tlog"
)

// NewPackage asks for an archive package: exactly one of dossier, registrations and journals.
type NewPackage struct {
	// Kind is aip (archival package, for the conservation system; the default) or dip
	// (distribution package, for a requester); both have the same format.
	Kind string `json:"kind,omitempty" enums:"aip,dip"`
	// Dossier is a dossier's id or identifier: every registration filed in it.
	Dossier string `json:"dossier,omitempty" example:"2026-VI.3-000012"`
	// Registrations are references such as PG/2026/42 (at most 10000, none twice).
	Registrations []string `json:"registrations,omitempty" maxItems:"10000"`
	// Journals are a register's daily journals from one protocol date to another (at most
	// 366 days).
	Journals *PackageJournals `json:"journals,omitempty"`
}

// PackageJournals selects a register's daily journals, from and to inclusive.
type PackageJournals struct {
	Register string `json:"register" example:"PG"`
	From     string `json:"from" format:"date" example:"2026-03-01"`
	To       string `json:"to" format:"date" example:"2026-03-31"`
}

// ArchivePackage is an archive package: building until its job has built it, then ready (or
// failed, with a reason); an archival package then goes to conservation: sent, and
// acknowledged or refused (with the conservator's reason).
type ArchivePackage struct {
	ID    string `json:"id" format:"uuid"`
	Kind  string `json:"kind" enums:"aip,dip"`
	State string `json:"state" enums:"building,ready,sent,acknowledged,refused,failed"`
	// Request is what the package was asked for.
	Request NewPackage `json:"request"`
	// Items is how many registrations (or, for a range of journals, journals) it holds.
	Items int `json:"items"`
	// Files is how many files the zip holds beside PIndex.xml, its seal and its time-stamp.
	Files int `json:"files"`
	// Size and SHA256 are the zip's, IndexSHA256 that of PIndex.xml; null until ready.
	Size        *int64  `json:"size" extensions:"x-nullable"`
	SHA256      *string `json:"sha256" extensions:"x-nullable" example:"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"`
	IndexSHA256 *string `json:"index_sha256" extensions:"x-nullable" example:"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"`
	// LeafIndex is the package's leaf in the transparency log; null until the sequencer has
	// logged it (normally within a second of ready).
	LeafIndex *uint64 `json:"leaf_index" extensions:"x-nullable"`
	// Reason says why building failed; "" otherwise.
	Reason    string     `json:"reason"`
	CreatedBy string     `json:"created_by"`
	CreatedAt time.Time  `json:"created_at"`
	BuiltAt   *time.Time `json:"built_at" extensions:"x-nullable"`
	// ScheduleKey names the scheduled item the package was made for (journal/PG/2026-03-01,
	// dossier/<id>/2026); null for a package requested by hand.
	ScheduleKey *string `json:"schedule_key" extensions:"x-nullable" example:"journal/PG/2026-03-01"`
	// SentAt and Destination say when and where the package was sent; null until sent.
	SentAt      *time.Time `json:"sent_at" extensions:"x-nullable"`
	Destination *string    `json:"destination" extensions:"x-nullable" example:"file:///srv/versamenti"`
	// SettledAt is when the package was acknowledged or refused; null before.
	SettledAt *time.Time `json:"settled_at" extensions:"x-nullable"`
	// OutcomeReason is why the destination or the conservator refused the package; "" otherwise.
	OutcomeReason string `json:"outcome_reason"`
	// Report is the conservator's rapporto di versamento (GET …/report); null until uploaded.
	Report *PackageReport `json:"report" extensions:"x-nullable"`
}

// PackageReport describes the uploaded rapporto di versamento.
type PackageReport struct {
	SHA256    string `json:"sha256" example:"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"`
	MediaType string `json:"media_type" enums:"application/xml,application/pdf"`
	Size      int64  `json:"size"`
}

// createPackage asks for an archive package.
//
//	@Summary		Ask for an archive package (pacchetto di archiviazione o di distribuzione)
//	@Description	Records officers and administrators. Name exactly one of `dossier` (its registrations), `registrations` or `journals` (a register's daily journals between two dates). The package is built in the background: the answer is 202 with the package `building`; poll `GET /v1/archive/packages/{id}` until it is `ready` (or `failed`, with a reason). The zip holds every file of every registration, each one's Allegato 5 metadata, its registration record and log receipt, the daily journals involved with theirs, the checkpoint they are proved against, and a UNI SInCRO index (PIndex.xml) sealed CAdES detached (PIndex.xml.p7s) and time-stamped (PIndex.xml.tsr): docs/package-format.md. The same content gives the same zip, but for the seal and the time-stamp. Each built package is a leaf of the transparency log. Unknown items are 422 naming the field.
//	@Tags			archive
//	@Accept			json
//	@Produce		json
//	@Security		BearerAuth
//	@Param			Idempotency-Key	header		string		false	"Makes retries safe: the same key and request answer the first result"	minlength(1)	maxlength(255)
//	@Param			package			body		NewPackage	true	"What the package holds"
//	@Success		202				{object}	ArchivePackage
//	@Header			202				{string}	Location			"URL of the package"
//	@Header			202				{string}	Idempotent-Replayed	"true when this answers an earlier request with the same Idempotency-Key"
//	@Failure		401,403,409,413,415,422,500,503	{object}	Problem
//	@ID				createPackage
//	@Router			/v1/archive/packages [post]
func (h *handlers) createPackage(c *gin.Context) {
	body, err := readJSONBody(c)
	if err != nil {
		h.fail(c, err)
		return
	}
	var in NewPackage
	if err := decodeStrict(body, &in, "body", nil); err != nil {
		h.fail(c, err)
		return
	}
	req := domain.PackageRequest{Kind: in.Kind, Dossier: in.Dossier, Registrations: in.Registrations}
	if in.Journals != nil {
		req.Journals = &domain.PackageJournals{Register: in.Journals.Register, From: in.Journals.From, To: in.Journals.To}
	}
	p, replayed, err := h.svc.RequestPackage(c.Request.Context(), principal(c), req, jsonIdempotency(c, body))
	if err != nil {
		h.fail(c, err)
		return
	}
	out, err := h.archivePackage(c, p)
	if err != nil {
		h.fail(c, err)
		return
	}
	markReplayed(c, replayed)
	c.Header("Location", "/v1/archive/packages/"+p.ID)
	respond(c, http.StatusAccepted, out)
}

// getPackage returns an archive package's state.
//
//	@Summary		An archive package
//	@Description	Records officers and administrators. Its state (`building`, `ready`, `failed` with a reason; then, for an archival package, `sent` to the conservation destination, and `acknowledged` or `refused` with the reason), and once ready the zip's size and SHA-256, the index's SHA-256 and the package's leaf in the transparency log.
//	@Tags			archive
//	@Produce		json
//	@Security		BearerAuth
//	@Param			id	path		string	true	"Package id"	format(uuid)
//	@Success		200	{object}	ArchivePackage
//	@Failure		401,403,404,500,503	{object}	Problem
//	@ID				getPackage
//	@Router			/v1/archive/packages/{id} [get]
func (h *handlers) getPackage(c *gin.Context) {
	p, err := h.svc.ArchivePackage(c.Request.Context(), principal(c), c.Param("id"))
	if err != nil {
		h.fail(c, err)
		return
	}
	out, err := h.archivePackage(c, p)
	if err != nil {
		h.fail(c, err)
		return
	}
	respond(c, http.StatusOK, out)
}

// getPackageContent returns a ready package's zip.
//
//	@Summary		Download an archive package
//	@Description	Records officers and administrators. The zip of a ready package (409 while building, or failed), with ranges (`Range: bytes=…`, answered 206). ETag is the quoted SHA-256 (hex); Repr-Digest carries it in base64.
//	@Tags			archive
//	@Produce		application/zip
//	@Security		BearerAuth
//	@Param			id	path		string	true	"Package id"	format(uuid)
//	@Success		200	{file}		binary
//	@Success		206	{file}		binary
//	@Header			200	{string}	ETag				"Quoted hex SHA-256"
//	@Header			200	{string}	Content-Disposition	"attachment; filename=..."
//	@Header			200	{string}	Repr-Digest			"sha-256=:<base64>:"
//	@Failure		401,403,404,409,500,503	{object}	Problem
//	@Failure		416	{string}	string	"The range is not satisfiable (plain text)"
//	@ID				getPackageContent
//	@Router			/v1/archive/packages/{id}/content [get]
func (h *handlers) getPackageContent(c *gin.Context) {
	ctx := c.Request.Context()
	p, err := h.svc.ArchivePackage(ctx, principal(c), c.Param("id"))
	if err != nil {
		h.fail(c, err)
		return
	}
	if p.State == domain.PackageBuilding || p.State == domain.PackageFailed || p.SHA256 == "" {
		h.fail(c, domain.Errorf(domain.ECConflict, "archive package %s is %s: no content", p.ID, p.State))
		return
	}
	// A range is read from the blob store alone (S3: a ranged GetObject), not the whole zip.
	if ok, err := h.svc.Blobs.Exists(ctx, p.SHA256); err != nil {
		h.fail(c, err)
		return
	} else if !ok {
		h.fail(c, domain.Errorf(domain.ECNotFound, "archive package %s: content %s not in the blob store", p.ID, p.SHA256))
		return
	}
	content := domain.NewBlobReadSeeker(ctx, h.svc.Blobs, p.SHA256, p.Size)
	defer content.Close()
	hd := c.Writer.Header()
	hd.Set("ETag", `"`+p.SHA256+`"`)
	hd.Set("Cache-Control", "private")
	if sum, err := hex.DecodeString(p.SHA256); err == nil {
		hd.Set("Repr-Digest", "sha-256=:"+base64.StdEncoding.EncodeToString(sum)+":")
	}
	c.Header("Content-Type", "application/zip")
	c.Header("Content-Disposition", fmt.Sprintf(`attachment; filename="pacchetto-%s.zip"`, p.ID))
	http.ServeContent(c.Writer, c.Request, "", time.Time{}, content)
}

// archivePackage converts p, with its leaf index once logged.
func (h *handlers) archivePackage(c *gin.Context, p *domain.ArchivePackage) (ArchivePackage, error) {
	out := ArchivePackage{ID: p.ID, Kind: p.Kind, State: p.State, Items: p.Items, Files: p.Files, Reason: p.Reason,
		CreatedBy: p.CreatedBy, CreatedAt: utc(p.CreatedAt),
		Request: NewPackage{Kind: p.Request.Kind, Dossier: p.Request.Dossier, Registrations: p.Request.Registrations}}
	if j := p.Request.Journals; j != nil {
		out.Request.Journals = &PackageJournals{Register: j.Register, From: j.From, To: j.To}
	}
	if p.BuiltAt != nil {
		t := utc(*p.BuiltAt)
		out.BuiltAt = &t
	}
	out.OutcomeReason = p.OutcomeReason
	if p.ScheduleKey != "" {
		key := p.ScheduleKey
		out.ScheduleKey = &key
	}
	if p.SentAt != nil {
		t, dest := utc(*p.SentAt), p.Destination
		out.SentAt, out.Destination = &t, &dest
	}
	if p.SettledAt != nil {
		t := utc(*p.SettledAt)
		out.SettledAt = &t
	}
	if r := p.Report; r != nil {
		out.Report = &PackageReport{SHA256: r.SHA256, MediaType: r.MediaType, Size: r.Size}
	}
	if p.SHA256 != "" {
		size, sum, index := p.Size, p.SHA256, p.IndexSHA256
		out.Size, out.SHA256, out.IndexSHA256 = &size, &sum, &index
		if h.tlog != nil {
			i, _, err := h.tlog.LeafByEntity(c.Request.Context(), tlog.KindPackage, p.ID)
			switch {
			case err == nil:
				out.LeafIndex = &i
			case !domain.IsCode(err, domain.ECNotFound):
				return out, err
			}
		}
	}
	return out, nil
}
