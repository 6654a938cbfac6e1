package app_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"testing"

	"github.com/sportello/sportello/internal/apptest"
)

type registration struct {
	ID              string `json:"id"`
	Register        string `json:"register"`
	Year            int    `json:"year"`
	Number          int64  `json:"number"`
	NumberFormatted string `json:"number_formatted"`
	Identifier      string `json:"identifier"`
	Date            string `json:"date"`
	RegisteredAt    string `json:"registered_at"`
}

// post registers a small PDF with subject through HTTP; safe to call from any goroutine.
func post(s *apptest.Server, token, key, subject string) (registration, error) {
	var r registration
	ct, body := apptest.Multipart(apptest.Incoming(subject),
		apptest.Part{Name: "document", Filename: "istanza.pdf", Content: apptest.PDF(subject)})
	req, _ := http.NewRequest("POST", s.URL+"/v1/registrations", body)
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", ct)
	if key != "" {
		req.Header.Set("Idempotency-Key", key)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return r, err
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusCreated {
		return r, fmt.Errorf("POST /v1/registrations = %d: %s", resp.StatusCode, raw)
	}
	return r, json.Unmarshal(raw, &r)
}

func register(t testing.TB, s *apptest.Server, token, key, subject string) registration {
	t.Helper()
	r, err := post(s, token, key, subject)
	if err != nil {
		t.Fatal(err)
	}
	return r
}
