package api_test

import (
	"bytes"
	"compress/zlib"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/sportello/sportello/api"
	"github.com/sportello/sportello/internal/app"
	"github.com/sportello/sportello/internal/apptest"
)

// scanned is the metadata of a scanned paper document, with image_copy set to copy.
func scanned(subject string, copy any) map[string]any {
	m := apptest.Incoming(subject)
	m["channel"] = "paper"
	m["image_copy"] = copy
	return m
}

// TestImageCopy, on both engines: a registration says its document is an image copy of a paper
// original (issue 15 point 3), with or without an attestation of conformity; GET, the list, the
// receipt (JSON, leaf and PDF) and the day's journal show it, a registration that is none shows
// none, a change is refused; bad attestations and a channel that is not paper are 422 naming the
// field.
func TestImageCopy(t *testing.T) {
	rome, _ := time.LoadLocation("Europe/Rome")
	clock := apptest.NewClock(time.Time{})
	apptest.Each(t, func(t *testing.T, s *apptest.Server) {
		clock.Set(time.Date(2026, 12, 1, 10, 0, 0, 0, rome))
		c := newClient(t, s)
		op := s.NewClient(t, "operator", []string{"protocol_operator"})
		ro := s.NewClient(t, "officer", []string{"records_officer"})
		pdf := []apptest.Part{{Name: "document", Filename: "scansione.pdf", Content: apptest.PDF("scansione")}}
		register := func(meta map[string]any) *response { return c.register(op, meta, pdf) }

		var attested, bare, plain api.Registration
		register(scanned("Istanza cartacea attestata", map[string]any{"attested_by": "  Mario Rossi ", "attested_on": "2026-12-01"})).
			decode(t, http.StatusCreated, &attested)
		noChannel := scanned("Istanza cartacea senza attestazione", map[string]any{})
		delete(noChannel, "channel")
		register(noChannel).decode(t, http.StatusCreated, &bare)
		plain = c.mustRegister(op, "Documento nativo digitale")
		if attested.ImageCopy == nil || *attested.ImageCopy != (api.ImageCopy{AttestedBy: "Mario Rossi", AttestedOn: "2026-12-01"}) {
			t.Fatalf("created image copy %+v", attested.ImageCopy)
		}
		if bare.ImageCopy == nil || *bare.ImageCopy != (api.ImageCopy{}) || bare.Channel != "paper" {
			t.Fatalf("image copy without attestation: %+v, channel %s (want paper, the default)", bare.ImageCopy, bare.Channel)
		}

		t.Run("ReadBack", func(t *testing.T) {
			for _, want := range []api.Registration{attested, bare, plain} {
				var got api.Registration
				c.do("GET", refPath(want), ro, nil).decode(t, http.StatusOK, &got)
				if (got.ImageCopy == nil) != (want.ImageCopy == nil) || got.ImageCopy != nil && *got.ImageCopy != *want.ImageCopy {
					t.Errorf("%s: read back image copy %+v, want %+v", want.Identifier, got.ImageCopy, want.ImageCopy)
				}
			}
			var list api.RegistrationList
			c.do("GET", "/v1/registrations?channel=paper", ro, nil).decode(t, http.StatusOK, &list)
			found := 0
			for _, r := range list.Items {
				if r.ImageCopy != nil {
					found++
				}
			}
			if found != 2 {
				t.Errorf("the list shows %d image copies, want 2", found)
			}
		})
		t.Run("Receipt", func(t *testing.T) {
			var rc api.Receipt
			c.do("GET", refPath(attested)+"/receipt", op, nil, "Accept", "application/json").decode(t, http.StatusOK, &rc)
			if rc.Registration.ImageCopy == nil || *rc.Registration.ImageCopy != *attested.ImageCopy {
				t.Errorf("JSON receipt: image copy %+v", rc.Registration.ImageCopy)
			}
			if leaf := string(rc.Leaf); !strings.Contains(leaf, `"image_copy":{"attested_by":"Mario Rossi","attested_on":"2026-12-01"}`) ||
				!strings.Contains(leaf, `"v":6`) {
				t.Errorf("leaf %s: want the image copy, version 6", leaf)
			}
			for _, tc := range []struct {
				r    api.Registration
				want string
			}{
				{attested, "conformit\xe0 attestata da Mario Rossi il 2026-12-01"}, // the PDF's text is CP1252
				{bare, "conformit\xe0 all'originale non attestata"},
				{plain, ""},
			} {
				text := flateStreams(c.do("GET", refPath(tc.r)+"/receipt", op, nil, "Accept", "application/pdf").Body)
				if got := strings.Contains(text, "Copia per immagine"); got != (tc.want != "") || !strings.Contains(text, tc.want) {
					t.Errorf("PDF receipt of %s: label %v, want the text %q", tc.r.Identifier, got, tc.want)
				}
			}
		})
		t.Run("ErrImmutable", func(t *testing.T) {
			p := c.json("PATCH", refPath(bare), op, map[string]any{"image_copy": map[string]any{"attested_by": "Luigi Bianchi"}}).
				problem(t, http.StatusConflict, "immutable_field")
			namesField(t, p, "image_copy", "cannot change")
		})
		for name, tc := range map[string]struct {
			meta         map[string]any
			field, words string
		}{
			"ErrFutureAttestation": {scanned("Attestazione futura", map[string]any{"attested_by": "Mario Rossi", "attested_on": "2026-12-02"}),
				"image_copy.attested_on", "future"},
			"ErrBadDate": {scanned("Data non valida", map[string]any{"attested_by": "Mario Rossi", "attested_on": "2026-02-30"}),
				"image_copy.attested_on", "YYYY-MM-DD"},
			"ErrDateWithoutWho": {scanned("Data senza nome", map[string]any{"attested_on": "2026-11-30"}),
				"image_copy.attested_by", "required"},
			"ErrTooLong": {scanned("Nome troppo lungo", map[string]any{"attested_by": strings.Repeat("M", 201)}),
				"image_copy.attested_by", "200"},
			"ErrNUL": {scanned("Nome con NUL", map[string]any{"attested_by": "Mario\x00Rossi"}),
				"image_copy.attested_by", "NUL"},
			"ErrUnknownMember": {scanned("Campo sconosciuto", map[string]any{"attested_at": "2026-11-30"}),
				"image_copy.attested_at", "unknown"},
			"ErrNotAnObject": {scanned("Non un oggetto", true), "image_copy", "object"},
			"ErrPEC": {func() map[string]any {
				m := scanned("Copia per immagine via PEC", map[string]any{})
				m["channel"] = "pec"
				return m
			}(), "image_copy", "paper"},
			"ErrWeb": {func() map[string]any {
				m := scanned("Copia per immagine dal web", map[string]any{"attested_by": "Mario Rossi"})
				m["channel"] = "web"
				return m
			}(), "image_copy", "paper"},
		} {
			t.Run(name, func(t *testing.T) {
				p := register(tc.meta).problem(t, http.StatusUnprocessableEntity, "validation_failed")
				namesField(t, p, tc.field, tc.words)
			})
		}
		t.Run("CounterAndPost", func(t *testing.T) {
			for _, ch := range []string{"counter", "post"} {
				m := scanned("Copia per immagine, canale "+ch, map[string]any{"attested_by": "Mario Rossi"})
				m["channel"] = ch
				var r api.Registration
				register(m).decode(t, http.StatusCreated, &r)
				if r.ImageCopy == nil || r.ImageCopy.AttestedBy != "Mario Rossi" || r.Channel != ch {
					t.Errorf("channel %s: %+v", ch, r)
				}
			}
		})
		t.Run("InTheJournal", func(t *testing.T) {
			clock.Set(time.Date(2026, 12, 2, 0, 1, 0, 0, rome))
			if _, err := s.Main.ProduceJournals(t.Context()); err != nil {
				t.Fatal(err)
			}
			var journal struct {
				Registrations []struct {
					Identifier string         `json:"identifier"`
					ImageCopy  *api.ImageCopy `json:"image_copy"`
				} `json:"registrations"`
				V int `json:"v"`
			}
			c.do("GET", "/v1/registers/PG/journals/2026-12-01", ro, nil, "Accept", "application/json").decode(t, http.StatusOK, &journal)
			got := map[string]*api.ImageCopy{}
			for _, r := range journal.Registrations {
				got[r.Identifier] = r.ImageCopy
			}
			if journal.V != 5 || len(got) != 5 || got[attested.Identifier] == nil || *got[attested.Identifier] != *attested.ImageCopy ||
				got[bare.Identifier] == nil || *got[bare.Identifier] != (api.ImageCopy{}) || got[plain.Identifier] != nil {
				t.Fatalf("journal of 2026-12-01, version %d: %+v", journal.V, journal.Registrations)
			}
		})
	}, apptest.WithClock(clock.Now), func(m *app.Main) { m.JournalEvery = time.Hour })
}

// flateStreams returns the inflated content of every Flate stream of a PDF, concatenated: the
// text a receipt prints.
func flateStreams(pdf []byte) string {
	var out strings.Builder
	for rest := pdf; ; {
		_, after, ok := bytes.Cut(rest, []byte("stream\n"))
		if !ok {
			return out.String()
		}
		body, next, _ := bytes.Cut(after, []byte("endstream"))
		rest = next
		if r, err := zlib.NewReader(bytes.NewReader(body)); err == nil {
			b, _ := io.ReadAll(r)
			out.Write(b)
		}
	}
}
