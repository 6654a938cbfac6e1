package api

import (
	"bytes"
	"encoding/csv"
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"github.com/sportello/sportello/domain"
)

// mediaCSV is the media type of the statistics' tables.
const mediaCSV = "text/csv"

// statsMedia negotiates JSON (the default) or CSV; anything else is 406.
func (h *handlers) statsMedia(c *gin.Context) (string, bool) {
	media := negotiate(c.GetHeader("Accept"), mediaJSON, mediaCSV)
	if media == "" {
		h.fail(c, domain.Errorf(codeNotAcceptable, "statistics are available as %s or %s", mediaJSON, mediaCSV))
		return "", false
	}
	c.Header("Vary", "Accept")
	return media, true
}

// statsPeriod reads from and to, refusing any other parameter than those allowed.
func statsPeriod(c *gin.Context, allowed ...string) (domain.StatsPeriod, error) {
	q := c.Request.URL.Query()
	var v domain.Validation
	checkQuery(&v, q, append([]string{"from", "to"}, allowed...))
	return domain.StatsPeriod{From: q.Get("from"), To: q.Get("to")}, v.Err()
}

// sendCSV writes rows (the first is the header) as RFC 4180 CSV.
func sendCSV(c *gin.Context, filename string, rows [][]string) {
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	_ = w.WriteAll(rows) // into memory: cannot fail
	c.Header("Content-Disposition", `attachment; filename="`+filename+`"`)
	c.Data(http.StatusOK, mediaCSV+"; charset=utf-8; header=present", b.Bytes())
}

// procedureStats monitors procedural times.
//
//	@Summary		Monitoring of procedural times (L. 190/2012 art. 1 c. 28)
//	@Description	For each procedure and responsible office (only `office`'s with `office=`), over the days `from`..`to` (both included, in the instance's time zone; default from the first of January to today): the cases `received` (submitted in the period), `concluded` (approved or rejected in the period), of those `in_time` (by their deadline) and `late`, the median and 90th percentile of their durations in days (`p50_days`, `p90_days`, nearest rank; null when none concluded), net of the days the case awaited the applicant (the deadline stands still then, L. 241/1990 art. 2 c. 7), and `open_overdue`, the cases open today past their deadline and not awaiting the applicant. Rows ordered by procedure and office; rows with nothing to count are left out. With `Accept: text/csv` the same rows as CSV (header `procedure,office,received,concluded,in_time,late,p50_days,p90_days,open_overdue`, empty cells for null), the table an administration publishes in Amministrazione trasparente. Admins, records officers, clerks and editors.
//	@Tags			stats
//	@Produce		json,text/csv
//	@Security		BearerAuth
//	@Param			from	query		string	false	"First day (YYYY-MM-DD)"	format(date)
//	@Param			to		query		string	false	"Last day (YYYY-MM-DD)"		format(date)
//	@Param			office	query		string	false	"Only this responsible office"
//	@Success		200		{object}	ProcedureStatList
//	@Failure		401,403,406,422,500,503	{object}	Problem
//	@ID				procedureStats
//	@Router			/v1/stats/procedures [get]
func (h *handlers) procedureStats(c *gin.Context) {
	media, ok := h.statsMedia(c)
	if !ok {
		return
	}
	q, err := statsPeriod(c, "office")
	if err != nil {
		h.fail(c, err)
		return
	}
	rows, err := h.svc.ProcedureStats(c.Request.Context(), principal(c), q, c.Query("office"))
	if err != nil {
		h.fail(c, err)
		return
	}
	q, _ = h.svc.StatsPeriod(q)
	out := ProcedureStatList{From: q.From, To: q.To, Items: make([]ProcedureStat, 0, len(rows))}
	for _, r := range rows {
		out.Items = append(out.Items, ProcedureStat(r))
	}
	if media == mediaJSON {
		respond(c, http.StatusOK, out)
		return
	}
	table := [][]string{{"procedure", "office", "received", "concluded", "in_time", "late", "p50_days", "p90_days", "open_overdue"}}
	for _, r := range out.Items {
		table = append(table, []string{r.Procedure, r.Office, strconv.Itoa(r.Received), strconv.Itoa(r.Concluded),
			strconv.Itoa(r.InTime), strconv.Itoa(r.Late), intOrEmpty(r.P50Days), intOrEmpty(r.P90Days), strconv.Itoa(r.OpenOverdue)})
	}
	sendCSV(c, "tempi-procedimentali_"+q.From+"_"+q.To+".csv", table)
}

func intOrEmpty(n *int) string {
	if n == nil {
		return ""
	}
	return strconv.Itoa(*n)
}

// registrationStats counts registrations.
//
//	@Summary		Registrations per day, register, direction, channel and office
//	@Description	The registrations dated `from`..`to` (both included; default from the first of January to today), counted per day, register, direction, channel and office (the first office each is assigned to; empty for none), in that order; annulled registrations count, as their numbers were taken. With `Accept: text/csv` the same rows as CSV (header `date,register,direction,channel,office,count`). Admins, records officers and protocol operators.
//	@Tags			stats
//	@Produce		json,text/csv
//	@Security		BearerAuth
//	@Param			from	query		string	false	"First day (YYYY-MM-DD)"	format(date)
//	@Param			to		query		string	false	"Last day (YYYY-MM-DD)"		format(date)
//	@Success		200		{object}	RegistrationStatList
//	@Failure		401,403,406,422,500,503	{object}	Problem
//	@ID				registrationStats
//	@Router			/v1/stats/registrations [get]
func (h *handlers) registrationStats(c *gin.Context) {
	media, ok := h.statsMedia(c)
	if !ok {
		return
	}
	q, err := statsPeriod(c)
	if err != nil {
		h.fail(c, err)
		return
	}
	rows, err := h.svc.RegistrationStats(c.Request.Context(), principal(c), q)
	if err != nil {
		h.fail(c, err)
		return
	}
	q, _ = h.svc.StatsPeriod(q)
	out := RegistrationStatList{From: q.From, To: q.To, Items: make([]RegistrationCount, 0, len(rows))}
	for _, r := range rows {
		out.Items = append(out.Items, RegistrationCount{Date: r.Date, Register: r.Register, Direction: string(r.Direction),
			Channel: r.Channel, Office: r.Office, Count: r.Count})
	}
	if media == mediaJSON {
		respond(c, http.StatusOK, out)
		return
	}
	table := [][]string{{"date", "register", "direction", "channel", "office", "count"}}
	for _, r := range out.Items {
		table = append(table, []string{r.Date, r.Register, r.Direction, r.Channel, r.Office, strconv.Itoa(r.Count)})
	}
	sendCSV(c, "registrazioni_"+q.From+"_"+q.To+".csv", table)
}
