package api

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/sportello/sportello/domain"
)

// maxDirectoryBody limits a list upload: the published administrations list is about ten
// megabytes.
const maxDirectoryBody = 64 << 20

var (
	directoryImportParams = []string{"kind"}
	directoryParams       = []string{"q", "limit", "cursor"}
)

// importDirectory loads an IPA open-data list.
//
//	@Summary		Load an IPA open-data list (administrations, AOOs or UOs)
//	@Description	Admin only. The body is the list as AgID publishes it in its open data (IndicePA): the administrations (`kind=administrations`, "Enti": columns `Codice_IPA`, `Denominazione_ente`, optionally `Codice_fiscale_ente`), the AOOs (`kind=aoos`, "Aree Organizzative Omogenee": `Codice_IPA`, `Codice_uni_aoo`, `Denominazione_aoo`) or the UOs (`kind=uos`, "Unità Organizzative": `Codice_IPA`, `Codice_uni_uo`, `Descrizione_uo`, optionally `Codice_uni_aoo`), with `Mail1` … `Mail5` and their `Tipo_Mail1` … (`Pec` or `Altro`). A header row names the columns, in any order and case; other columns are ignored. Separated by tabs, commas or semicolons (whichever the header uses), UTF-8 with or without a byte order mark, fields optionally quoted. Each entry keeps its first PEC as digital address, or else its first address. All or nothing: a bad value is 422 naming `line N: column`, and nothing is stored; a good file replaces that whole list at once (the other list stays).
//	@Tags			directory
//	@Accept			text/csv
//	@Accept			text/tab-separated-values
//	@Produce		json
//	@Security		BearerAuth
//	@Param			kind			query		string	true	"Which list the file is"	Enums(administrations, aoos, uos)
//	@Param			Idempotency-Key	header		string	false	"Makes retries safe"	minlength(1)	maxlength(255)
//	@Param			list			body		string	true	"The list as published: a header row, then one entry per line"
//	@Success		201				{object}	DirectoryImport
//	@Header			201				{string}	Idempotent-Replayed	"true when this answers an earlier request with the same Idempotency-Key"
//	@Failure		401,403,413,415,422,500,503	{object}	Problem
//	@ID				importDirectory
//	@Router			/v1/directory/imports [post]
func (h *handlers) importDirectory(c *gin.Context) {
	q := c.Request.URL.Query()
	var v domain.Validation
	checkQuery(&v, q, directoryImportParams)
	list := domain.DirectoryList(q.Get("kind"))
	if list != domain.DirectoryAdministrations && list != domain.DirectoryAOOs && list != domain.DirectoryUOs {
		v.Add("kind", "must be administrations, aoos or uos")
	}
	if err := v.Err(); err != nil {
		h.fail(c, err)
		return
	}
	body, idem, err := readDirectoryList(c)
	if err != nil {
		h.fail(c, err)
		return
	}
	imp, replayed, err := h.svc.ImportDirectory(c.Request.Context(), principal(c), list, body, idem)
	if err != nil {
		h.fail(c, err)
		return
	}
	markReplayed(c, replayed)
	respond(c, http.StatusCreated, DirectoryImport{ID: imp.ID, Kind: string(imp.List), Entries: imp.Entries,
		ImportedAt: imp.ImportedAt, ImportedBy: imp.ImportedBy})
}

// readDirectoryList reads the uploaded list, refusing text that is not UTF-8 or holds NUL
// characters with the line they are on.
func readDirectoryList(c *gin.Context) ([]byte, domain.Idempotency, error) {
	mt, _, _ := mime.ParseMediaType(c.GetHeader("Content-Type"))
	if mt != "text/csv" && mt != "text/tab-separated-values" {
		return nil, domain.Idempotency{}, domain.Errorf(domain.ECUnsupportedMedia,
			"the list must be sent as text/csv or text/tab-separated-values, not %q", mt)
	}
	body, err := io.ReadAll(http.MaxBytesReader(c.Writer, c.Request.Body, maxDirectoryBody))
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		return nil, domain.Idempotency{}, domain.Errorf(domain.ECPayloadTooLarge, "the list is larger than %d bytes", maxDirectoryBody)
	}
	if err != nil {
		return nil, domain.Idempotency{}, domain.Invalid("body", "could not be read: %v", err)
	}
	if problem := textProblem(string(body)); problem != "" {
		line := 1 + bytes.Count(body[:firstFault(body)], []byte("\n"))
		return nil, domain.Idempotency{}, domain.Invalid(fmt.Sprintf("line %d", line), "%s", problem)
	}
	var idem domain.Idempotency
	if key := c.GetHeader(idempotencyKeyHeader); key != "" {
		f := newFingerprint(c.Request.Method, c.Request.URL.Path)
		f.add(c.Query("kind"))
		f.add(string(body))
		idem = domain.Idempotency{Key: key, Hash: f.sum()}
	}
	return body, idem, nil
}

// searchDirectory finds administrations in the IPA directory.
//
//	@Summary		Find administrations, their AOOs and UOs (IPA directory)
//	@Description	Staff only (a portal is 403). Searches the lists an admin loaded (POST /v1/directory/imports): an administration is found when each word of `q` begins a word of its name or of the name of one of its AOOs or UOs (any case, accents ignored: `citta castel` finds "Città di Castello"), or when `q` is its IPA code or the code of one of its AOOs or UOs (any case). Without `q`, every administration. In name order, each with all its AOOs and their digital addresses (PEC when published), and in `uos` the UOs `q` names: the UO whose code it is, and those whose name has a word that a word of `q` begins while every word of `q` begins a word of the UO's or the administration's name (`roma urbanistica` finds Roma Capitale's "Dipartimento Urbanistica"); at most 100 per administration, in name order, none without `q`. A UO's correspondent carries its administration's IPA code, its AOO's code (when the list names one) and its own code and digital address. An AOO or UO is found through its administration, so the administrations list is needed too. Recipients are picked from here: each `correspondent` has exactly the fields of a registration's correspondent — copy it into `correspondents` and add `role`. One page at a time: pass `next_cursor` back as `cursor` until it is empty. At most 10 words. Unknown or repeated query parameters are 422.
//	@Tags			directory
//	@Produce		json
//	@Security		BearerAuth
//	@Param			q		query		string	false	"Words of the name, or an IPA or AOO code"	maxlength(200)	example(comune roma)
//	@Param			limit	query		int		false	"Page size, 1 to 500 (default 50)"	minimum(1)	maximum(500)
//	@Param			cursor	query		string	false	"next_cursor of the previous page"
//	@Success		200		{object}	DirectoryList
//	@Failure		401,403,422,500,503	{object}	Problem
//	@ID				searchDirectory
//	@Router			/v1/directory [get]
func (h *handlers) searchDirectory(c *gin.Context) {
	q := c.Request.URL.Query()
	var v domain.Validation
	checkQuery(&v, q, directoryParams)
	limit := limitQuery(&v, q, domain.MaxLimit)
	if err := v.Err(); err != nil {
		h.fail(c, err)
		return
	}
	page, err := h.svc.Directory(c.Request.Context(), principal(c), q.Get("q"), q.Get("cursor"), limit)
	if err != nil {
		h.fail(c, err)
		return
	}
	out := DirectoryList{Items: make([]DirectoryEntry, 0, len(page.Items)), NextCursor: page.NextCursor}
	for _, e := range page.Items {
		entry := DirectoryEntry{Correspondent: DirectoryCorrespondent{Type: domain.TypeAdministration, Name: e.Name,
			TaxCode: e.TaxCode, IPACode: e.IPACode, DigitalAddress: e.DigitalAddress}, AOOs: make([]DirectoryAOO, 0, len(e.AOOs))}
		for _, o := range e.AOOs {
			entry.AOOs = append(entry.AOOs, DirectoryAOO{Name: o.Name, Correspondent: DirectoryCorrespondent{
				Type: domain.TypeAdministration, Name: e.Name, TaxCode: e.TaxCode, IPACode: e.IPACode,
				AOOCode: o.AOOCode, DigitalAddress: o.DigitalAddress}})
		}
		entry.UOs = make([]DirectoryUO, 0, len(e.UOs))
		for _, u := range e.UOs {
			entry.UOs = append(entry.UOs, DirectoryUO{Name: u.Name, Correspondent: DirectoryCorrespondent{
				Type: domain.TypeAdministration, Name: e.Name, TaxCode: e.TaxCode, IPACode: e.IPACode,
				AOOCode: u.AOOCode, UOCode: u.UOCode, DigitalAddress: u.DigitalAddress}})
		}
		out.Items = append(out.Items, entry)
	}
	respond(c, http.StatusOK, out)
}
