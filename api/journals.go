package api

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/sportello/sportello/domain"
	"github.com/sportello/sportello/signing/tlog"
)

// JournalArchive is what the journal endpoints read: the daily journals (package journal)
// and their stored bytes.
type JournalArchive interface {
	Journal(ctx context.Context, register, date string) (domain.Journal, error)
	Journals(ctx context.Context, register, from, to string) ([]domain.Journal, error)
	// Content returns stored bytes by SHA-256.
	Content(ctx context.Context, sha256 string) ([]byte, error)
}

// JournalRecord describes one daily journal.
type JournalRecord struct {
	Register string `json:"register" example:"PG"`
	Date     string `json:"date" format:"date" example:"2026-11-27"`
	// Registrations is how many registrations the journal lists.
	Registrations int       `json:"registrations" example:"42"`
	JSONSHA256    string    `json:"json_sha256" example:"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"`
	PDFSHA256     string    `json:"pdf_sha256" example:"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"`
	CreatedAt     time.Time `json:"created_at"`
	// LeafIndex is the journal's leaf in the transparency log; null until the sequencer has
	// logged it (normally within a second).
	LeafIndex *uint64 `json:"leaf_index" extensions:"x-nullable"`
}

// JournalList is a page of journals; all of them fit one page, next_cursor is always "".
type JournalList struct {
	Items      []JournalRecord `json:"items"`
	NextCursor string          `json:"next_cursor"`
}

// journalParams are the query parameters of GET /v1/registers/{code}/journals.
var journalParams = []string{"from", "to"}

// getJournal returns one daily journal.
//
//	@Summary		Daily journal of a register (PDF or JSON)
//	@Description	The *registro giornaliero di protocollo* of one register and protocol date (Europe/Rome): that day's registrations in number order — identifier, number, time, direction, subject, correspondents' names, document SHA-256, status, and for one annulled before the day ended the annulment with the reference of the authorising act. By default, and with `Accept: application/pdf`, the A4 PDF sealed PAdES B-T that embeds the JSON as `journal.json`; with `Accept: application/json`, the canonical JSON itself, byte for byte what `json_sha256` and the journal's transparency-log leaf commit to. Journals are produced shortly after midnight for the days before, back-filled after downtime, and never rewritten: 404 until produced. Records officers only (the journal lists confidential registrations too).
//	@Tags			registers
//	@Produce		json,application/pdf
//	@Security		BearerAuth
//	@Param			code	path		string	true	"Register code"	example(PG)
//	@Param			date	path		string	true	"Protocol date (YYYY-MM-DD)"	format(date)
//	@Success		200		{object}	object
//	@Failure		401,403,404,406,422,500,503	{object}	Problem
//	@ID				getJournal
//	@Router			/v1/registers/{code}/journals/{date} [get]
func (h *handlers) getJournal(c *gin.Context) {
	media := negotiate(c.GetHeader("Accept"), mediaPDF, mediaJSON)
	if media == "" {
		h.fail(c, domain.Errorf(codeNotAcceptable, "the journal is available as %s or %s", mediaPDF, mediaJSON))
		return
	}
	c.Header("Vary", "Accept")
	code, date := c.Param("code"), c.Param("date")
	if err := h.journalAccess(c, code, "date", date); err != nil {
		h.fail(c, err)
		return
	}
	ctx := c.Request.Context()
	j, err := h.journals.Journal(ctx, code, date)
	if err != nil {
		h.fail(c, err)
		return
	}
	digest := j.PDFSHA256
	if media == mediaJSON {
		digest = j.JSONSHA256
	}
	b, err := h.journals.Content(ctx, digest)
	if err != nil {
		h.fail(c, err)
		return
	}
	if media == mediaPDF {
		c.Header("Content-Disposition", fmt.Sprintf(`inline; filename="registro-%s-%s.pdf"`, j.Register, j.Date))
	}
	c.Data(http.StatusOK, media, b)
}

// listJournals lists a register's daily journals.
//
//	@Summary		List the daily journals of a register
//	@Description	The journals produced for the register, oldest first, optionally between two protocol dates (inclusive), with their digests and transparency-log leaf index. Days without registrations have no journal. Records officers only.
//	@Tags			registers
//	@Produce		json
//	@Security		BearerAuth
//	@Param			code	path		string	true	"Register code"	example(PG)
//	@Param			from	query		string	false	"First protocol date, inclusive (YYYY-MM-DD)"	format(date)
//	@Param			to		query		string	false	"Last protocol date, inclusive (YYYY-MM-DD)"	format(date)
//	@Success		200		{object}	JournalList
//	@Failure		401,403,404,422,500,503	{object}	Problem
//	@ID				listJournals
//	@Router			/v1/registers/{code}/journals [get]
func (h *handlers) listJournals(c *gin.Context) {
	var v domain.Validation
	q := c.Request.URL.Query()
	checkQuery(&v, q, journalParams)
	if err := v.Err(); err != nil {
		h.fail(c, err)
		return
	}
	code, from, to := c.Param("code"), q.Get("from"), q.Get("to")
	if err := h.journalAccess(c, code, "from", from, "to", to); err != nil {
		h.fail(c, err)
		return
	}
	ctx := c.Request.Context()
	js, err := h.journals.Journals(ctx, code, from, to)
	if err != nil {
		h.fail(c, err)
		return
	}
	out := JournalList{Items: make([]JournalRecord, 0, len(js))}
	for _, j := range js {
		rec := JournalRecord{Register: j.Register, Date: j.Date, Registrations: j.Registrations,
			JSONSHA256: j.JSONSHA256, PDFSHA256: j.PDFSHA256, CreatedAt: utc(j.CreatedAt)}
		index, _, err := h.tlog.LeafByEntity(ctx, tlog.KindJournal, j.EntityID())
		switch {
		case err == nil:
			rec.LeafIndex = &index
		case !domain.IsCode(err, domain.ECNotFound):
			h.fail(c, err)
			return
		}
		out.Items = append(out.Items, rec)
	}
	respond(c, http.StatusOK, out)
}

// journalAccess checks the caller's role, the date parameters (given as name, value pairs;
// empty values are not checked) and that the register exists.
func (h *handlers) journalAccess(c *gin.Context, code string, dates ...string) error {
	if !principal(c).Has(domain.RoleRecordsOfficer) {
		return domain.Errorf(domain.ECForbidden, "daily journals require the role %s", domain.RoleRecordsOfficer)
	}
	if h.journals == nil {
		return domain.Errorf(domain.ECUnavailable, "daily journals are not available on this instance")
	}
	var v domain.Validation
	for i := 0; i+1 < len(dates); i += 2 {
		if _, err := time.Parse(time.DateOnly, dates[i+1]); dates[i+1] != "" && err != nil {
			v.Add(dates[i], "must be a date YYYY-MM-DD")
		}
	}
	if err := v.Err(); err != nil {
		return err
	}
	if _, err := h.svc.Store.Register(c.Request.Context(), code); err != nil {
		return err
	}
	return nil
}
