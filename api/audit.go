package api

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/sportello/sportello/domain"
)

// auditParams are the query parameters of GET /v1/audit.
var auditParams = []string{"actor", "person", "object", "action", "from", "to", "limit", "cursor"}

// listAudit lists the audit trail.
//
//	@Summary		The audit trail
//	@Description	Records officers only. Every change, annulment, disposal, key operation, refused request (401, 403), download of content and read of a confidential record, in chain order (`seq`, oldest first), with who acted (the client `actor` and the person), from which request and address, and the event's place in the hash chain (`prev_hash`, `hash`: docs/audit.md). `object` is a kind (`registration`) or a kind and id (`registration/0193…`); `from` and `to` are RFC 3339 times, inclusive. Reads are recorded within a second.
//	@Tags			audit
//	@Produce		json
//	@Security		BearerAuth
//	@Param			actor	query		string	false	"client id"
//	@Param			person	query		string	false	"person (tax code or user id)"
//	@Param			object	query		string	false	"object kind, or kind/id"
//	@Param			action	query		string	false	"action, e.g. registration.read"
//	@Param			from	query		string	false	"from this time (RFC 3339)"	format(date-time)
//	@Param			to		query		string	false	"up to this time (RFC 3339)"	format(date-time)
//	@Param			limit	query		int		false	"page size (1-500)"
//	@Param			cursor	query		string	false	"next_cursor of the previous page"
//	@Success		200		{object}	AuditPage
//	@Failure		401,403,422,500,503	{object}	Problem
//	@ID				listAudit
//	@Router			/v1/audit [get]
func (h *handlers) listAudit(c *gin.Context) {
	q := c.Request.URL.Query()
	var v domain.Validation
	checkQuery(&v, q, auditParams)
	f := domain.AuditFilter{Actor: q.Get("actor"), Person: q.Get("person"), Action: q.Get("action"),
		Cursor: q.Get("cursor"), Limit: limitQuery(&v, q, domain.MaxLimit)}
	f.EntityKind, f.EntityID, _ = strings.Cut(q.Get("object"), "/")
	f.From = timeQuery(&v, q.Get("from"), "from")
	f.To = timeQuery(&v, q.Get("to"), "to")
	if err := v.Err(); err != nil {
		h.fail(c, err)
		return
	}
	page, err := h.svc.AuditTrail(c.Request.Context(), principal(c), f)
	if err != nil {
		h.fail(c, err)
		return
	}
	out := AuditPage{Items: make([]AuditEvent, 0, len(page.Items)), NextCursor: page.NextCursor}
	for _, e := range page.Items {
		out.Items = append(out.Items, toAuditEvent(e))
	}
	respond(c, http.StatusOK, out)
}

// timeQuery reads an optional RFC 3339 time parameter.
func timeQuery(v *domain.Validation, s, name string) *time.Time {
	if s == "" {
		return nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		v.Add(name, "must be an RFC 3339 time")
		return nil
	}
	return &t
}

// auditExportParams are the query parameters of GET /v1/audit/export.
var auditExportParams = []string{"format"}

// errExportDone stops an export at the head it began with.
var errExportDone = errors.New("export done")

// exportAudit streams the whole audit chain.
//
//	@Summary		Export the audit chain
//	@Description	Records officers only. The whole audit chain, for checking offline with `sportello verify --audit FILE` (docs/audit.md). `format=ndjson` (the default): a first line `{"kind":"audit_export","v":1,"head":{seq,hash,chained_from},"anchors":[…]}` — each anchor a transparency-log leaf that logged a head of the chain, with its inclusion proof and the signed checkpoint it is proved against — then one line per event, `{"kind":"audit_event",…}`, as GET /v1/audit returns it, in seq order up to the head. `format=csv`: a header row and one row per event (the same fields), for a spreadsheet. Events recorded while the export runs are left to the next.
//	@Tags			audit
//	@Produce		application/x-ndjson,text/csv
//	@Security		BearerAuth
//	@Param			format	query		string	false	"ndjson (default) or csv"	Enums(ndjson, csv)
//	@Success		200		{string}	string	"the chain"
//	@Failure		401,403,422,500,503	{object}	Problem
//	@ID				exportAudit
//	@Router			/v1/audit/export [get]
func (h *handlers) exportAudit(c *gin.Context) {
	q := c.Request.URL.Query()
	var v domain.Validation
	checkQuery(&v, q, auditExportParams)
	format := q.Get("format")
	if format != "" && format != "ndjson" && format != "csv" {
		v.Add("format", "must be ndjson or csv")
	}
	if err := v.Err(); err != nil {
		h.fail(c, err)
		return
	}
	ctx, p := c.Request.Context(), principal(c)
	head, err := h.svc.AuditChainHead(ctx, p)
	if err != nil {
		h.fail(c, err)
		return
	}
	anchors, err := h.auditAnchors(ctx, p, head)
	if err != nil {
		h.fail(c, err)
		return
	}
	c.Header("Cache-Control", "no-store")
	var (
		write func(domain.AuditEvent) error
		flush func() error
	)
	if format == "csv" {
		c.Header("Content-Type", "text/csv; charset=utf-8")
		c.Header("Content-Disposition", `attachment; filename="audit.csv"`)
		c.Status(http.StatusOK)
		w := csv.NewWriter(c.Writer)
		_ = w.Write(auditCSVHeader)
		write = func(e domain.AuditEvent) error { return w.Write(auditCSVRow(toAuditEvent(e))) }
		flush = func() error { w.Flush(); return w.Error() }
	} else {
		c.Header("Content-Type", "application/x-ndjson")
		c.Header("Content-Disposition", `attachment; filename="audit.ndjson"`)
		c.Status(http.StatusOK)
		_ = encodeJSON(c.Writer, AuditExportHeader{Kind: "audit_export", V: 1,
			Head: AuditHead{Seq: head.Seq, Hash: head.Hash, ChainedFrom: head.ChainedFrom}, Anchors: anchors})
		write = func(e domain.AuditEvent) error {
			line := toAuditEvent(e)
			line.Kind = "audit_event"
			return encodeJSON(c.Writer, line)
		}
		flush = func() error { return nil }
	}
	err = h.svc.AuditExport(ctx, p, domain.AuditFilter{}, func(e domain.AuditEvent) error {
		if e.Seq > head.Seq {
			return errExportDone
		}
		return write(e)
	})
	if err == nil || errors.Is(err, errExportDone) {
		err = flush()
	}
	if err != nil {
		// The status is sent: the export ends short, and verify finds it short of the head.
		h.log.WarnContext(ctx, "audit export interrupted", "request_id", requestID(c), "error", err)
	}
}

// auditCSVHeader names the columns of the CSV export.
var auditCSVHeader = []string{"seq", "id", "at", "actor", "person", "actor_name", "action", "object_kind", "object_id",
	"field", "old", "new", "detail", "request_id", "client_address", "prev_hash", "hash"}

func auditCSVRow(e AuditEvent) []string {
	return []string{strconv.FormatInt(e.Seq, 10), strconv.FormatInt(e.ID, 10), e.At.Format(time.RFC3339Nano), e.Actor,
		e.Person, e.ActorName, e.Action, e.ObjectKind, e.ObjectID, e.Field, e.Old, e.New, e.Detail, e.RequestID,
		e.ClientAddress, e.PrevHash, e.Hash}
}

// auditAnchors lists the transparency-log leaves that logged a head of the chain up to head,
// each with its inclusion proof against the latest checkpoint.
func (h *handlers) auditAnchors(ctx context.Context, p domain.Principal, head domain.AuditHead) ([]AuditAnchor, error) {
	leaves, err := h.svc.AuditAnchors(ctx, p)
	if err != nil {
		return nil, err
	}
	return AuditAnchorsOf(ctx, h.tlog, leaves, head.Seq)
}

// AuditAnchorsOf turns the leaves that logged heads of the audit chain (domain.LeafKindAuditHead)
// into anchors, each with its inclusion proof in the tree of log's latest checkpoint; it leaves
// out the leaves logged after that checkpoint and those of a seq after upTo. Before the first
// checkpoint there is no anchor. The export uses it, and so does `sportello verify --audit
// --data`, which reads the database itself.
func AuditAnchorsOf(ctx context.Context, log TransparencyLog, leaves []domain.TLogLeaf, upTo int64) ([]AuditAnchor, error) {
	out := []AuditAnchor{}
	if len(leaves) == 0 {
		return out, nil
	}
	cp, err := log.LatestCheckpoint(ctx)
	if domain.IsCode(err, domain.ECNotFound) {
		return out, nil
	}
	if err != nil {
		return nil, err
	}
	for _, l := range leaves {
		seq, _ := strconv.ParseInt(l.EntityID, 10, 64)
		if l.Index >= cp.Size || seq > upTo {
			continue // logged after the checkpoint, or the head moved on since the export began
		}
		var leaf struct {
			Hash string `json:"hash"`
		}
		if err := json.Unmarshal(l.Data, &leaf); err != nil {
			return nil, fmt.Errorf("audit anchor leaf %d: %w", l.Index, err)
		}
		proof, err := log.InclusionProof(ctx, l.Index, cp.Size)
		if err != nil {
			return nil, err
		}
		out = append(out, AuditAnchor{Seq: seq, Hash: leaf.Hash, Index: l.Index, Leaf: string(l.Data), Proof: proof,
			Checkpoint: toCheckpoint(cp)})
	}
	return out, nil
}

// recordRefusal records a request answered 401 or 403 in the audit trail, with the caller
// when one was authenticated.
func (h *handlers) recordRefusal(c *gin.Context, p Problem) {
	pr := principal(c)
	pr.RequestID, pr.Address = requestID(c), c.RemoteIP()
	h.svc.RecordRefusal(pr, p.Status == http.StatusForbidden, c.Request.Method+" "+c.Request.URL.Path, p.Detail)
}
