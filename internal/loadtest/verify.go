package loadtest

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
)

// verify is the verification every scenario ends with.
func verify(ctx context.Context, o Options, c *cluster, l *load) []Check {
	var checks []Check
	checks = append(checks, checkAcknowledged(ctx, c, l))
	checks = append(checks, checkNumbers(ctx, c, l)...)
	checks = append(checks, checkVerifyData(ctx, o, c))
	checks = append(checks, checkIndexes(ctx, c, l)...)
	return checks
}

// checkAcknowledged reads every acknowledged registration back, from the replicas in turn:
// its identifier, and each file it was acknowledged with, by SHA-256.
func checkAcknowledged(ctx context.Context, c *cluster, l *load) Check {
	ch := Check{Name: "every acknowledged registration present and byte-exact"}
	jobs := make(chan Ack)
	var mu sync.Mutex
	var problems []string
	files := 0
	problem := func(format string, args ...any) {
		mu.Lock()
		problems = append(problems, fmt.Sprintf(format, args...))
		mu.Unlock()
	}
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for a := range jobs {
				var s sample
				got, err := l.do(ctx, request{method: "GET", path: a.path(), token: l.tokens.records, header: http.Header{"Accept": {"application/json"}}}, &s, nil)
				if err := expect(got, err, http.StatusOK); err != nil {
					problem("%s: %v", a.Identifier, err)
					continue
				}
				var reg registration
				if err := json.Unmarshal(got.body, &reg); err != nil || reg.Identifier != a.Identifier {
					problem("%s: %s is now %q (%v)", a.Identifier, a.path(), reg.Identifier, err)
					continue
				}
				for p, sum := range a.Files {
					got, err := l.do(ctx, request{method: "GET", path: a.path() + "/" + p, token: l.tokens.records}, &s, nil)
					if err := expect(got, err, http.StatusOK); err != nil {
						problem("%s/%s: %v", a.Identifier, p, err)
						continue
					}
					if h := sha(got.body); h != sum {
						problem("%s/%s: SHA-256 %s, acknowledged %s", a.Identifier, p, h, sum)
					}
					mu.Lock()
					files++
					mu.Unlock()
				}
			}
		})
	}
	for _, a := range l.acks {
		jobs <- a
	}
	close(jobs)
	wg.Wait()
	ch.OK = len(problems) == 0 && len(l.acks) > 0
	ch.Detail = fmt.Sprintf("%d registrations, %d files compared", len(l.acks), files)
	if len(l.acks) == 0 {
		ch.Detail = "no registration was acknowledged"
	}
	if len(problems) > 0 {
		ch.Detail += fmt.Sprintf("; %d problems, first: %s", len(problems), strings.Join(problems[:min(5, len(problems))], "; "))
	}
	return ch
}

// checkNumbers reads the register from the database: numbers 1..N per register and year with
// no gap and no duplicate, each acknowledged registration under its number, and no request
// registered twice (every subject of the load is unique to one request).
func checkNumbers(ctx context.Context, c *cluster, l *load) []Check {
	conn, err := pgx.Connect(ctx, c.pg.URL())
	if err != nil {
		return []Check{{Name: "numbers gapless", Detail: err.Error()}}
	}
	defer conn.Close(ctx)
	rows, err := conn.Query(ctx, `SELECT register_code, year, number, identifier FROM registrations ORDER BY register_code, year, number`)
	if err != nil {
		return []Check{{Name: "numbers gapless", Detail: err.Error()}}
	}
	type key struct {
		register string
		year     int
		number   int64
	}
	byNumber := map[key]string{}
	counts := map[string]int64{}
	var gaps []string
	for rows.Next() {
		var k key
		var id string
		if err := rows.Scan(&k.register, &k.year, &k.number, &id); err != nil {
			return []Check{{Name: "numbers gapless", Detail: err.Error()}}
		}
		ry := fmt.Sprintf("%s/%d", k.register, k.year)
		counts[ry]++
		if k.number != counts[ry] && len(gaps) < 5 {
			gaps = append(gaps, fmt.Sprintf("%s: number %d where %d was due", ry, k.number, counts[ry]))
		}
		byNumber[k] = id
	}
	if err := rows.Err(); err != nil {
		return []Check{{Name: "numbers gapless", Detail: err.Error()}}
	}
	var summary []string
	for ry, n := range counts {
		summary = append(summary, fmt.Sprintf("%s 1..%d", ry, n))
	}
	sort.Strings(summary)
	gapless := Check{Name: "numbers gapless (1..N, no hole, no duplicate)", OK: len(gaps) == 0 && len(counts) > 0,
		Detail: strings.Join(append(summary, gaps...), "; ")}

	missing := 0
	for _, a := range l.acks {
		if byNumber[key{a.Register, a.Year, a.Number}] != a.Identifier {
			missing++
		}
	}
	ackd := Check{Name: "every acknowledged number in the register, as acknowledged", OK: missing == 0,
		Detail: fmt.Sprintf("%d acknowledged, %d in the database (the rest: requests in flight when the load stopped, or whose answer was lost), %d not as acknowledged", len(l.acks), len(byNumber), missing)}

	var dups int
	var example string
	if err := conn.QueryRow(ctx, `SELECT count(*), coalesce(min(subject), '') FROM (SELECT subject FROM registrations WHERE subject LIKE '%' || $1 || '%' GROUP BY subject HAVING count(*) > 1) d`, l.run).Scan(&dups, &example); err != nil {
		return []Check{gapless, ackd, {Name: "no request registered twice", Detail: err.Error()}}
	}
	var cases, caseDups int
	if err := conn.QueryRow(ctx, `SELECT (SELECT count(*) FROM cases), (SELECT count(*) FROM (SELECT form FROM cases GROUP BY form HAVING count(*) > 1) d)`).Scan(&cases, &caseDups); err != nil {
		return []Check{gapless, ackd, {Name: "no request registered twice", Detail: err.Error()}}
	}
	if example != "" {
		example = " (" + example + ")"
	}
	dup := Check{Name: "no request registered twice", OK: dups == 0 && caseDups == 0,
		Detail: fmt.Sprintf("%d subjects registered more than once%s; %d cases, %d forms submitted more than once", dups, example, cases, caseDups)}
	return []Check{gapless, ackd, dup}
}

// checkVerifyData runs `sportello verify --data` on the first replica's configuration.
func checkVerifyData(ctx context.Context, o Options, c *cluster) Check {
	ch := Check{Name: "sportello verify --data clean"}
	r := c.replicas[0]
	cmd := exec.CommandContext(ctx, o.Binary, "verify", "--data")
	cmd.Env = append(append(os.Environ(), r.env...), "SPORTELLO_DATA="+r.data)
	out, err := cmd.CombinedOutput()
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	var fails []string
	for _, line := range lines {
		if strings.HasPrefix(line, "FAIL") {
			fails = append(fails, line)
		}
	}
	ch.OK = err == nil && len(fails) == 0
	if ch.OK {
		ch.Detail = strings.Join(lines[:min(2, len(lines))], "; ")
		for i := len(lines) - 1; i >= 0; i-- { // the fixity run's last line
			if strings.Contains(lines[i], "blobs") {
				ch.Detail += "; " + strings.TrimSpace(lines[i])
				break
			}
		}
	} else {
		ch.Detail = fmt.Sprintf("%v: %s", err, strings.Join(append(fails, lines[max(0, len(lines)-3):]...), "; "))
	}
	return ch
}

// checkIndexes asks each replica, with min_position the last acknowledged position, for the
// load's registrations (as many as the database holds), and for a sample of acknowledged
// registrations (the cases' too) each by its protocol reference.
func checkIndexes(ctx context.Context, c *cluster, l *load) []Check {
	var checks []Check
	var inDB int
	conn, err := pgx.Connect(ctx, c.pg.URL())
	if err == nil {
		err = conn.QueryRow(ctx, `SELECT count(*) FROM registrations WHERE subject LIKE '%' || $1 || '%'`, l.run).Scan(&inDB)
		conn.Close(ctx)
	}
	if err != nil {
		return []Check{{Name: "every replica's index complete", Detail: err.Error()}}
	}
	var maxPos int64
	for _, a := range l.acks {
		maxPos = max(maxPos, a.Position)
	}
	sample := make([]Ack, len(l.acks))
	copy(sample, l.acks)
	rand.Shuffle(len(sample), func(i, j int) { sample[i], sample[j] = sample[j], sample[i] })
	sample = sample[:min(50, len(sample))]
	for _, r := range c.replicas {
		ch := Check{Name: "index of " + r.name + " complete"}
		total, err := searchTotal(ctx, l, r.URL(), "subject:"+l.run, maxPos)
		var problems []string
		if err != nil {
			problems = append(problems, err.Error())
		} else if total != inDB {
			problems = append(problems, fmt.Sprintf("subject:%s found %d, the database holds %d", l.run, total, inDB))
		}
		for _, a := range sample {
			ref := fmt.Sprintf("%s/%d/%07d", a.Register, a.Year, a.Number)
			n, err := searchTotal(ctx, l, r.URL(), ref, a.Position)
			if err != nil || n != 1 {
				problems = append(problems, fmt.Sprintf("%s: found %d (%v)", ref, n, err))
			}
		}
		ch.OK = len(problems) == 0
		ch.Detail = fmt.Sprintf("%d registrations of the load found with min_position=%d (database: %d); %d sampled references found each once",
			total, maxPos, inDB, len(sample))
		if len(problems) > 0 {
			ch.Detail = strings.Join(problems[:min(5, len(problems))], "; ")
		}
		checks = append(checks, ch)
	}
	return checks
}

// searchTotal searches q on one replica with min_position, waiting while it answers 409 (the
// index is still behind) for up to 3 minutes.
func searchTotal(ctx context.Context, l *load, base, q string, minPosition int64) (int, error) {
	deadline := time.Now().Add(3 * time.Minute)
	for {
		req, _ := http.NewRequestWithContext(ctx, "GET", base+"/v1/search?"+url.Values{"q": {q}, "limit": {"1"},
			"min_position": {fmt.Sprint(minPosition)}}.Encode(), nil)
		req.Header.Set("Authorization", "Bearer "+l.tokens.records)
		resp, err := l.http.Do(req)
		if err != nil {
			return 0, err
		}
		var out struct {
			Total int `json:"total"`
		}
		err = json.NewDecoder(resp.Body).Decode(&out)
		resp.Body.Close()
		switch {
		case resp.StatusCode == http.StatusOK:
			return out.Total, err
		case (resp.StatusCode == http.StatusConflict || resp.StatusCode == http.StatusServiceUnavailable) && time.Now().Before(deadline):
			time.Sleep(time.Second)
		default:
			return 0, fmt.Errorf("search %q on %s: %d", q, base, resp.StatusCode)
		}
	}
}
