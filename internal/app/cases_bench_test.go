package app_test

import (
	"bytes"
	"net/http"
	"slices"
	"testing"

	"github.com/sportello/sportello/internal/apptest"
	"github.com/sportello/sportello/internal/testdb"
)

// BenchmarkSubmitCase measures submissions end to end over HTTP: 16 concurrent portals, each
// POSTing a SCIA with its form and two 10 KiB PDFs — one transaction registering it, opening
// its dossier, filing it and creating the case. It reports cases per second and p50/p99 latency.
//
//	go test ./internal/app -run '^$' -bench SubmitCase -benchtime 1000x
func BenchmarkSubmitCase(b *testing.B) {
	const portals = 16
	pdf := apptest.PDF(string(bytes.Repeat([]byte("planimetria "), 850))) // ≈10 KiB
	meta := map[string]any{
		"procedure": "scia-avvio-attivita",
		"form": map[string]any{
			"business": map[string]any{"name": "Bar Centrale srl", "vat_number": "12345678903", "legal_representative": "Anna Bianchi"},
			"activity": map[string]any{"type": "somministrazione", "ateco": "56.30"},
			"premises": map[string]any{"address": "Via Roma 1, Roma"},
		},
	}
	ct, body := apptest.Multipart(meta, apptest.Part{Name: "document", Filename: "planimetria.pdf", Content: pdf},
		apptest.Part{Name: "document", Filename: "notifica.pdf", Content: append(slices.Clone(pdf), ' ')})
	payload := body.Bytes()
	for _, engine := range testdb.Names() {
		url := testdb.URL(b, engine)
		s := apptest.Start(b, url)
		tokens := make([]string, portals)
		for i := range tokens {
			tokens[i] = s.NewClient(b, "portale", []string{"portal"})
		}
		b.Run(engine, func(b *testing.B) {
			loadTest(b, portals, "cases/s", http.StatusCreated, func(_ int64, p int) *http.Request {
				req, _ := http.NewRequest("POST", s.URL+"/v1/cases", bytes.NewReader(payload))
				req.Header.Set("Authorization", "Bearer "+tokens[p])
				req.Header.Set("Content-Type", ct)
				req.Header.Set("X-Applicant-Id", "12345678903")
				return req
			})
		})
	}
}
