package app_test

import (
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/sportello/sportello/internal/apptest"
	"github.com/sportello/sportello/internal/testdb"
)

// BenchmarkReadConfidentialHTTP measures GET of a confidential registration by a records
// officer, 8 concurrent clients, with every read recorded in the audit trail (audited: the
// read buffer, flushed in the background) and without (unaudited: no recorder), alternated in
// one run: readRounds rounds of b.N/readRounds reads each way, the order swapped every round,
// so that the load of a shared machine falls on both alike. b.N is the reads of each mode. It
// reports, for each mode, reads per second and the p50/p99 latency of all its reads, and the
// ratios audited/unaudited of the two latencies. Those saturate two cores: the latencies are
// mostly queueing, and their ratio is the CPU the audit trail takes from reads. Then the same
// rounds paced (loadAt) at half the unaudited rate just measured, the load a server is sized
// for, report paced p50/p99 and their ratios: how much slower one read is with auditing on (the
// issue's bound: at most 1.10).
//
//	go test ./internal/app -run '^$' -bench ReadConfidentialHTTP -benchtime 4000x
func BenchmarkReadConfidentialHTTP(b *testing.B) {
	const (
		clients    = 8
		readRounds = 10
	)
	for _, engine := range testdb.Names() {
		b.Run(engine, func(b *testing.B) {
			s := apptest.Start(b, testdb.URL(b, engine))
			op := s.NewClient(b, "op", []string{"protocol_operator"})
			officer := s.NewClient(b, "officer", []string{"records_officer"})
			meta := apptest.Incoming("Riservato")
			meta["confidential"] = true
			ct, body := apptest.Multipart(meta, apptest.Part{Name: "document", Filename: "r.pdf", Content: apptest.PDF("r")})
			var reg struct {
				Register        string `json:"register"`
				Year            int    `json:"year"`
				NumberFormatted string `json:"number_formatted"`
			}
			raw := s.Do(b, "POST", "/v1/registrations", op, ct, body, http.StatusCreated, nil)
			if err := json.Unmarshal(raw, &reg); err != nil {
				b.Fatal(err)
			}
			path := s.URL + "/v1/registrations/" + reg.Register + "/" + strconv.Itoa(reg.Year) + "/" + reg.NumberFormatted
			read := func(int64, int) *http.Request {
				req, _ := http.NewRequest("GET", path, nil)
				req.Header.Set("Authorization", "Bearer "+officer)
				return req
			}
			recorder := s.Main.Service.Reads
			defer func() { s.Main.Service.Reads = recorder }()
			hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: clients}}
			per := max(b.N/readRounds, 1)
			var (
				lat  [2][]time.Duration // by mode: 0 audited, 1 unaudited
				took [2]time.Duration
			)
			b.ResetTimer()
			for round := range readRounds {
				for k := range 2 {
					mode := (round + k) % 2
					s.Main.Service.Reads = recorder
					if mode == 1 {
						s.Main.Service.Reads = nil
					}
					l, d := load(b, hc, clients, per, http.StatusOK, read)
					lat[mode] = append(lat[mode], l...)
					took[mode] += d
				}
			}
			b.StopTimer()
			for mode, name := range []string{"audited", "unaudited"} {
				slices.Sort(lat[mode])
				b.ReportMetric(float64(len(lat[mode]))/took[mode].Seconds(), name+"-reads/s")
				b.ReportMetric(percentile(lat[mode], 50), name+"-p50-ms")
				b.ReportMetric(percentile(lat[mode], 99), name+"-p99-ms")
			}
			if percentile(lat[1], 50) > 0 && percentile(lat[1], 99) > 0 {
				b.ReportMetric(percentile(lat[0], 50)/percentile(lat[1], 50), "p50-ratio")
				b.ReportMetric(percentile(lat[0], 99)/percentile(lat[1], 99), "p99-ratio")
			}
			rate := float64(len(lat[1])) / took[1].Seconds() / 2
			var paced [2][]time.Duration
			for round := range readRounds {
				for k := range 2 {
					mode := (round + k) % 2
					s.Main.Service.Reads = recorder
					if mode == 1 {
						s.Main.Service.Reads = nil
					}
					paced[mode] = append(paced[mode], loadAt(b, hc, clients, per, rate, http.StatusOK, read)...)
				}
			}
			b.ReportMetric(rate, "paced-reads/s")
			for mode, name := range []string{"audited", "unaudited"} {
				slices.Sort(paced[mode])
				b.ReportMetric(percentile(paced[mode], 50), "paced-"+name+"-p50-ms")
				b.ReportMetric(percentile(paced[mode], 99), "paced-"+name+"-p99-ms")
			}
			if percentile(paced[1], 50) > 0 && percentile(paced[1], 99) > 0 {
				b.ReportMetric(percentile(paced[0], 50)/percentile(paced[1], 50), "paced-p50-ratio")
				b.ReportMetric(percentile(paced[0], 99)/percentile(paced[1], 99), "paced-p99-ratio")
			}
		})
	}
}
