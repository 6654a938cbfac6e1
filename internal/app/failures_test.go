package app_test

import (
	"bytes"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/sportello/sportello/internal/apptest"
)

// TestInterruptedUploadConsumesNoNumber is R2: a client that disconnects in the middle of its
// upload leaves no registration behind and takes no number.
func TestInterruptedUploadConsumesNoNumber(t *testing.T) {
	apptest.Each(t, func(t *testing.T, s *apptest.Server) {
		op := s.NewClient(t, "operator", []string{"protocol_operator"})
		ct, body := apptest.Multipart(apptest.Incoming("interrotta"),
			apptest.Part{Name: "document", Filename: "big.pdf", Content: bytes.Repeat([]byte("%PDF-1.4 "), 100000)})
		conn, err := net.Dial("tcp", strings.TrimPrefix(s.URL, "http://"))
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(conn, "POST /v1/registrations HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\nContent-Type: %s\r\nContent-Length: %d\r\n\r\n",
			op, ct, body.Len())
		conn.Write(body.Bytes()[:body.Len()/2])
		time.Sleep(100 * time.Millisecond) // let the server start reading the document part
		conn.Close()

		if r := register(t, s, op, "", "completa"); r.Number != 1 {
			t.Fatalf("number after an interrupted upload: %d, want 1", r.Number)
		}
		var page struct{ Items []registration }
		s.Do(t, "GET", "/v1/registrations", op, "", nil, http.StatusOK, &page)
		if len(page.Items) != 1 {
			t.Fatalf("%d registrations listed, want 1", len(page.Items))
		}
	})
}

// TestSpecialRegisterNumberedOnItsOwn is R3: a special register (repertorio) has its own counter.
func TestSpecialRegisterNumberedOnItsOwn(t *testing.T) {
	apptest.Each(t, func(t *testing.T, s *apptest.Server) {
		s.Do(t, "POST", "/v1/registers", s.AdminToken, "application/json",
			strings.NewReader(`{"code":"DEL","name":"Repertorio delle deliberazioni","allow_unclassified":true}`), http.StatusCreated, nil)
		op := s.NewClient(t, "operator", []string{"protocol_operator"})
		register(t, s, op, "", "protocollo 1")
		register(t, s, op, "", "protocollo 2")
		meta := apptest.Incoming("deliberazione")
		meta["register"] = "DEL"
		ct, body := apptest.Multipart(meta, apptest.Part{Name: "document", Filename: "delibera.pdf", Content: apptest.PDF("delibera")})
		var r registration
		s.Do(t, "POST", "/v1/registrations", op, ct, body, http.StatusCreated, &r)
		if r.Register != "DEL" || r.Number != 1 || !strings.HasSuffix(r.Identifier, "-DEL-"+fmt.Sprint(r.Year)+"-0000001") {
			t.Fatalf("first DEL registration: %+v", r)
		}
		if next := register(t, s, op, "", "protocollo 3"); next.Number != 3 {
			t.Fatalf("PG continued at %d, want 3", next.Number)
		}
	})
}
