package app_test

import (
	"encoding/json"
	"net/http"
	"strconv"
	"testing"

	"github.com/sportello/sportello/internal/apptest"
	"github.com/sportello/sportello/internal/testdb"
)

// BenchmarkReadConfidentialHTTP measures GET of a confidential registration by a records
// officer, 8 concurrent clients, with every read recorded in the audit trail (audited: the
// read buffer, flushed in the background) and without (unaudited: no recorder). It reports
// reads per second and p50/p99 latency; run the two alternately.
//
//	go test ./internal/app -run '^$' -bench ReadConfidentialHTTP -benchtime 5000x -count 3
func BenchmarkReadConfidentialHTTP(b *testing.B) {
	const clients = 8
	for _, engine := range testdb.Names() {
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
		recorder := s.Main.Service.Reads
		for _, mode := range []string{"audited", "unaudited"} {
			b.Run(engine+"/"+mode, func(b *testing.B) {
				s.Main.Service.Reads = recorder
				if mode == "unaudited" {
					s.Main.Service.Reads = nil
				}
				loadTest(b, clients, "reads/s", http.StatusOK, func(int64, int) *http.Request {
					req, _ := http.NewRequest("GET", path, nil)
					req.Header.Set("Authorization", "Bearer "+officer)
					return req
				})
			})
		}
		s.Main.Service.Reads = recorder
	}
}
