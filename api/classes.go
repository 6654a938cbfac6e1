package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/sportello/sportello/domain"
)

// listClasses lists the classification scheme.
//
//	@Summary		List the classification scheme (titolario)
//	@Description	The scheme as a tree (default: titoli with their classi and sottoclassi nested in `children`) or, with `format=flat`, every class in scheme order (I, I.1, I.2 … I.10, II …). `on` keeps the classes valid on that date, `under` a class and its descendants. Closed classes are listed unless `on` excludes them. Never paged. Unknown or repeated query parameters are 422.
//	@Tags			classes
//	@Produce		json
//	@Security		BearerAuth
//	@Param			on		query		string	false	"Only classes valid on this date (YYYY-MM-DD)"	format(date)
//	@Param			under	query		string	false	"Only this class and its descendants"	example(VI)	extensions(x-pattern=class)
//	@Param			format	query		string	false	"tree (default) or flat"	Enums(tree, flat)
//	@Success		200		{object}	ClassList
//	@Failure		401,422,500,503	{object}	Problem
//	@ID				listClasses
//	@Router			/v1/classes [get]
func (h *handlers) listClasses(c *gin.Context) {
	q := c.Request.URL.Query()
	var v domain.Validation
	for k, vals := range q {
		switch {
		case !slices.Contains([]string{"on", "under", "format"}, k):
			v.Add(k, "unknown query parameter; the parameters are on, under and format")
		case len(vals) > 1:
			v.Add(k, "must be given once")
		}
	}
	format := q.Get("format")
	if format != "" && format != "tree" && format != "flat" {
		v.Add("format", "must be tree or flat")
	}
	if err := v.Err(); err != nil {
		h.fail(c, err)
		return
	}
	classes, err := h.svc.Classes(c.Request.Context(), principal(c), domain.ClassFilter{On: q.Get("on"), Under: q.Get("under")})
	if err != nil {
		h.fail(c, err)
		return
	}
	out := ClassList{Items: make([]Class, 0, len(classes))}
	if format == "flat" {
		for _, cl := range classes {
			out.Items = append(out.Items, toClass(cl))
		}
	} else {
		out.Items = toClassTree(domain.ClassTree(classes))
	}
	respond(c, http.StatusOK, out)
}

// getClass returns one class.
//
//	@Summary		Get a class
//	@Description	Any class ever created, closed ones included, so that every classified document's code resolves; with the path of its ancestors (titolo first) and its direct children.
//	@Tags			classes
//	@Produce		json
//	@Security		BearerAuth
//	@Param			code	path		string	true	"Class code"	example(VI.3)
//	@Success		200		{object}	ClassDetail
//	@Failure		401,404,422,500,503	{object}	Problem
//	@ID				getClass
//	@Router			/v1/classes/{code} [get]
func (h *handlers) getClass(c *gin.Context) {
	d, err := h.svc.Class(c.Request.Context(), principal(c), c.Param("code"))
	if err != nil {
		h.fail(c, err)
		return
	}
	out := ClassDetail{Class: toClass(d.Class), Ancestors: toClasses(d.Ancestors), Children: toClasses(d.Children)}
	respond(c, http.StatusOK, out)
}

// maxClassesBody limits a scheme import; a whole scheme of thousands of classes fits easily.
const maxClassesBody = 8 << 20

// createClasses adds classes to the scheme.
//
//	@Summary		Add classes to the scheme (bulk import)
//	@Description	Admin only. The body is one class, a JSON array of classes, or `text/csv` with a header row `code,level,parent,title` optionally followed by `description,retention_years,valid_from,valid_to` (any order; retention_years is a number of years, `permanent`, or empty while not set; empty valid_from = today). All or nothing: the batch is checked as a whole tree against the stored scheme — every parent exists (in the batch or already) and is valid over its child's validity. Errors name the item (`[3].parent`) or, for CSV, the line of the file (`line 5: parent`). A code that exists, or appears twice, is 409 conflict. Answers every created class in scheme order.
//	@Tags			classes
//	@Accept			json
//	@Accept			text/csv
//	@Produce		json
//	@Security		BearerAuth
//	@Param			Idempotency-Key	header		string		false	"Makes retries safe"	minlength(1)	maxlength(255)
//	@Param			class			body		NewClass	true	"One class, an array of them, or CSV"
//	@Success		201				{object}	ClassList
//	@Header			201				{string}	Idempotent-Replayed	"true when this answers an earlier request with the same Idempotency-Key"
//	@Failure		401,403,409,413,415,422,500,503	{object}	Problem
//	@ID				createClasses
//	@Router			/v1/classes [post]
func (h *handlers) createClasses(c *gin.Context) {
	mt, _, _ := mime.ParseMediaType(c.GetHeader("Content-Type"))
	var (
		classes []domain.Class
		lines   []int
		idem    domain.Idempotency
		err     error
	)
	if mt == "text/csv" {
		classes, lines, idem, err = readClassesCSV(c)
	} else {
		classes, idem, err = readClassesJSON(c)
	}
	if err != nil {
		h.fail(c, err)
		return
	}
	created, replayed, err := h.svc.CreateClasses(c.Request.Context(), principal(c), classes, idem)
	if err != nil {
		h.fail(c, byLine(err, lines))
		return
	}
	domain.SortClasses(created)
	markReplayed(c, replayed)
	respond(c, http.StatusCreated, ClassList{Items: toClasses(created)})
}

// readClassesJSON decodes one class or an array of classes, strictly.
func readClassesJSON(c *gin.Context) ([]domain.Class, domain.Idempotency, error) {
	body, err := readJSONBody(c)
	if err != nil {
		return nil, domain.Idempotency{}, err
	}
	var in []NewClass
	if trimmed := bytes.TrimSpace(body); len(trimmed) > 0 && trimmed[0] == '[' {
		if err := checkJSONText(trimmed, "body"); err != nil {
			return nil, domain.Idempotency{}, err
		}
		var raw json.RawMessage
		if err := json.Unmarshal(trimmed, &raw); err != nil {
			return nil, domain.Idempotency{}, malformed("body", err)
		}
		var paths []string
		unknownFields(raw, reflect.TypeOf(in), "", &paths)
		if err := unknownError(paths, nil); err != nil {
			return nil, domain.Idempotency{}, err
		}
		if err := json.Unmarshal(raw, &in); err != nil {
			return nil, domain.Idempotency{}, malformed("body", err)
		}
	} else {
		var one NewClass
		if err := decodeStrict(body, &one, "body", nil); err != nil {
			return nil, domain.Idempotency{}, err
		}
		in = []NewClass{one}
	}
	out := make([]domain.Class, 0, len(in))
	for _, n := range in {
		out = append(out, domain.Class{Code: n.Code, Level: n.Level, Parent: n.Parent, Title: n.Title,
			Description: n.Description, RetentionYears: n.RetentionYears, RetentionPermanent: n.RetentionPermanent,
			ValidFrom: n.ValidFrom, ValidTo: n.ValidTo})
	}
	return out, jsonIdempotency(c, body), nil
}

// readClassesCSV reads a CSV scheme, remembering the line each class came from.
func readClassesCSV(c *gin.Context) ([]domain.Class, []int, domain.Idempotency, error) {
	body, err := io.ReadAll(http.MaxBytesReader(c.Writer, c.Request.Body, maxClassesBody))
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		return nil, nil, domain.Idempotency{}, domain.Errorf(domain.ECPayloadTooLarge, "the CSV is larger than %d bytes", maxClassesBody)
	}
	if err != nil {
		return nil, nil, domain.Idempotency{}, domain.Invalid("body", "could not be read: %v", err)
	}
	if problem := textProblem(string(body)); problem != "" {
		line := 1 + bytes.Count(body[:firstFault(body)], []byte("\n"))
		return nil, nil, domain.Idempotency{}, domain.Invalid(fmt.Sprintf("line %d", line), "%s", problem)
	}
	classes, lines, err := domain.ParseClassesCSV(bytes.NewReader(body), "")
	if err != nil {
		return nil, nil, domain.Idempotency{}, err
	}
	var idem domain.Idempotency
	if key := c.GetHeader(idempotencyKeyHeader); key != "" {
		f := newFingerprint(c.Request.Method, c.Request.URL.Path)
		f.add(string(body))
		idem = domain.Idempotency{Key: key, Hash: f.sum()}
	}
	return classes, lines, idem, nil
}

// byLine renames the domain's `[i].field` error fields to `line N: field` for a CSV import.
func byLine(err error, lines []int) error {
	var e *domain.Error
	if len(lines) == 0 || !errors.As(err, &e) {
		return err
	}
	out := *e
	out.Fields = make([]domain.FieldError, len(e.Fields))
	for i, f := range e.Fields {
		out.Fields[i] = f
		rest, ok := strings.CutPrefix(f.Field, "[")
		idx, field, ok2 := strings.Cut(rest, "].")
		n, convErr := strconv.Atoi(idx)
		if ok && ok2 && convErr == nil && n >= 0 && n < len(lines) {
			out.Fields[i].Field = fmt.Sprintf("line %d: %s", lines[n], field)
		}
	}
	if len(out.Fields) > 0 {
		out.Message = out.Fields[0].Field + ": " + out.Fields[0].Message
		if len(out.Fields) > 1 {
			out.Message = fmt.Sprintf("%s (and %d more)", out.Message, len(out.Fields)-1)
		}
	}
	return &out
}

// closeClass closes a class from a date.
//
//	@Summary		Close a class from a date
//	@Description	Admin only. From `from` on the class can no longer be used for new registrations or reclassifications; documents already classified under it keep it, and it stays readable. Its `valid_to` becomes the day before `from`. `replaced_by` names the class that takes over (it must be valid on `from`); `reason` is kept in the audit trail. Children must be closed first (409), as must an already closed class.
//	@Tags			classes
//	@Accept			json
//	@Produce		json
//	@Security		BearerAuth
//	@Param			Idempotency-Key	header		string			false	"Makes retries safe"	minlength(1)	maxlength(255)
//	@Param			code			path		string			true	"Class code"	example(VI.3)
//	@Param			closing			body		ClassClosing	true	"From when, replaced by what, why"
//	@Success		200				{object}	Class
//	@Header			200				{string}	Idempotent-Replayed	"true when this answers an earlier request with the same Idempotency-Key"
//	@Failure		401,403,404,409,413,415,422,500,503	{object}	Problem
//	@ID				closeClass
//	@Router			/v1/classes/{code}/close [post]
func (h *handlers) closeClass(c *gin.Context) {
	body, err := readJSONBody(c)
	if err != nil {
		h.fail(c, err)
		return
	}
	var in ClassClosing
	if err := decodeStrict(body, &in, "body", nil); err != nil {
		h.fail(c, err)
		return
	}
	cl, replayed, err := h.svc.CloseClass(c.Request.Context(), principal(c), c.Param("code"),
		domain.ClassClosing{From: in.From, ReplacedBy: in.ReplacedBy, Reason: in.Reason}, jsonIdempotency(c, body))
	if err != nil {
		h.fail(c, err)
		return
	}
	markReplayed(c, replayed)
	respond(c, http.StatusOK, toClass(cl))
}
