package loadtest

import (
	"fmt"
	"sort"
	"strings"
	"time"
)

// Markdown is the result as a section for docs/benchmarks.md: the command, the setting, the
// events, the table per interval and per operation, the whole run, and the checks.
func (r *Result) Markdown() string {
	var b strings.Builder
	o := r.Options
	fmt.Fprintf(&b, "### Scenario `%s`\n\n", o.Scenario)
	fmt.Fprintf(&b, "```sh\ngo run ./cmd/sportello-load -scenario %s -duration %s -clients %d", o.Scenario, o.Duration, o.Clients)
	if o.Scenario != "mixed" {
		fmt.Fprintf(&b, " -fault-at %s -fault-for %s", o.FaultAt, o.FaultFor)
	}
	fmt.Fprintf(&b, " -out results.md\n```\n\n")
	fmt.Fprintf(&b, "%s; 2 replicas (separate processes), a private PostgreSQL cluster, blobs: %s; %d clients; %s.\n\n",
		r.Started.Format("2006-01-02 15:04 UTC"), r.Blobs, o.Clients, r.Machine)
	if len(r.Events) > 0 {
		b.WriteString("Events (time since the load started): ")
		var ev []string
		for _, e := range r.Events {
			ev = append(ev, fmt.Sprintf("+%s %s", e.At, e.What))
		}
		b.WriteString(strings.Join(ev, "; ") + ".\n\n")
	}
	b.WriteString("| from | operation | count | failed | retried requests | error rate | p50 | p99 |\n|---|---|---:|---:|---:|---:|---:|---:|\n")
	row := func(from string, in Interval) {
		for _, op := range operations {
			s, ok := in.Ops[op]
			if !ok {
				continue
			}
			fmt.Fprintf(&b, "| %s | %s | %d | %d | %d | %.1f%% | %s | %s |\n", from, op, s.Count, s.Failed, s.Retried,
				100*s.ErrorRate(), ms(s.P50), ms(s.P99))
			from = ""
		}
	}
	for _, in := range r.Rows {
		row("+"+in.From.String(), in)
	}
	row("**whole run**", r.Total)
	b.WriteString("\nError rate: requests answered 503/507/429 or cut (and retried) plus operations that failed, over requests sent; ")
	b.WriteString("p50/p99: end to end, retries included.")
	if len(r.Retried) > 0 {
		var why []string
		for k, n := range r.Retried {
			why = append(why, fmt.Sprintf("%s × %d", k, n))
		}
		sort.Strings(why)
		b.WriteString(" Retried answers: " + strings.Join(why, ", ") + ".")
	}
	b.WriteString("\n\n")
	b.WriteString("| check | result | detail |\n|---|---|---|\n")
	for _, c := range r.Checks {
		res := "PASS"
		if !c.OK {
			res = "**FAIL**"
		}
		fmt.Fprintf(&b, "| %s | %s | %s |\n", c.Name, res, strings.ReplaceAll(c.Detail, "|", "\\|"))
	}
	if len(r.Failures) > 0 {
		b.WriteString("\nFirst failed operations:\n\n")
		for _, f := range r.Failures {
			fmt.Fprintf(&b, "- `%s`\n", strings.ReplaceAll(f, "`", "'"))
		}
	}
	return b.String()
}

func ms(d time.Duration) string {
	if d >= 10*time.Second {
		return fmt.Sprintf("%.1f s", d.Seconds())
	}
	return fmt.Sprintf("%d ms", d.Milliseconds())
}
