package api_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"maps"
	"net/http"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/sportello/sportello/api"
	"github.com/sportello/sportello/internal/apptest"
)

// contractFields are the members of a Registration, exactly: those of openapi.yaml's Registration
// plus created_by, which the transparency log's leaf includes (docs/transparency-log.md) so that
// anyone can recompute the leaf from the registration.
var contractFields = []string{"annulment", "attachments", "channel", "class", "confidential", "correspondents",
	"created_by", "date", "direction", "disposal", "document", "dossiers", "id", "identifier", "interoperability", "number", "number_formatted", "offices",
	"position", "register", "registered_at", "sender_reference", "status", "subject", "text_status", "year"}

func hexSHA(b []byte) string { s := sha256.Sum256(b); return hex.EncodeToString(s[:]) }

func TestCreateRegistration(t *testing.T) {
	apptest.Each(t, func(t *testing.T, s *apptest.Server) {
		c := newClient(t, s)
		s.NewOffice(t, "TEC", "Ufficio tecnico")
		op := s.NewClient(t, "sportello", []string{"protocol_operator"})
		doc := apptest.PDF("Domanda di permesso")
		png := []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00")
		txt := []byte("Relazione tecnica: testo semplice.\n")
		meta := apptest.Incoming("Richiesta di permesso di costruire")
		meta["class"], meta["offices"] = "VI.3", []string{"TEC"}
		meta["sender_reference"] = map[string]string{"number": "77", "date": "2026-11-27"}
		meta["attachment_descriptions"] = []string{"Planimetria", "Relazione"}
		r := c.register(op, meta, []apptest.Part{
			{Name: "document", Filename: "domanda.pdf", Content: doc},
			{Name: "attachment", Filename: "pianta.png", Content: png},
			{Name: "attachment", Filename: "relazione.txt", Content: txt},
		})
		var reg api.Registration
		r.decode(t, http.StatusCreated, &reg)

		var members map[string]json.RawMessage
		json.Unmarshal(r.Body, &members)
		if got := slices.Sorted(maps.Keys(members)); !slices.Equal(got, contractFields) {
			t.Errorf("registration members %v, want exactly %v", got, contractFields)
		}
		if reg.Register != "PG" || reg.Number != 1 || reg.NumberFormatted != "0000001" || reg.Status != "active" ||
			!strings.HasSuffix(reg.Identifier, "-PG-"+strconv.Itoa(reg.Year)+"-0000001") || reg.Annulment != nil ||
			reg.Class != "VI.3" || !slices.Equal(reg.Offices, []string{"TEC"}) || reg.SenderReference.Number != "77" {
			t.Errorf("registration %+v", reg)
		}
		if loc := r.Header.Get("Location"); loc != refPath(reg) {
			t.Errorf("Location %q, want %q", loc, refPath(reg))
		}
		wantFiles := []api.File{
			{Filename: "domanda.pdf", MediaType: "application/pdf", Size: int64(len(doc)), SHA256: hexSHA(doc)},
			{Filename: "pianta.png", Description: "Planimetria", MediaType: "image/png", Size: int64(len(png)), SHA256: hexSHA(png)},
			{Filename: "relazione.txt", Description: "Relazione", MediaType: "text/plain; charset=utf-8", Size: int64(len(txt)), SHA256: hexSHA(txt)},
		}
		if got := append([]api.File{reg.Document}, reg.Attachments...); !reflect.DeepEqual(got, wantFiles) {
			t.Errorf("files %+v\nwant %+v", got, wantFiles)
		}

		var again api.Registration
		c.do("GET", r.Header.Get("Location"), op, nil).decode(t, http.StatusOK, &again)
		c.do("GET", "/v1/registrations/PG/"+strconv.Itoa(reg.Year)+"/1", op, nil).decode(t, http.StatusOK, &again)
		if again.ID != reg.ID || again.Position != reg.Position {
			t.Errorf("read back %+v", again)
		}

		t.Run("Downloads", func(t *testing.T) {
			paths := []string{"/document", "/attachments/0", "/attachments/1"}
			for i, content := range [][]byte{doc, png, txt} {
				d := c.do("GET", refPath(reg)+paths[i], op, nil)
				d.expect(t, http.StatusOK)
				f := wantFiles[i]
				sum := sha256.Sum256(content)
				if !bytes.Equal(d.Body, content) || hexSHA(d.Body) != f.SHA256 {
					t.Errorf("%s: body differs from the upload", paths[i])
				}
				want := map[string]string{
					"Content-Type": f.MediaType, "Content-Length": strconv.Itoa(len(content)),
					"ETag": `"` + f.SHA256 + `"`, "Repr-Digest": "sha-256=:" + base64.StdEncoding.EncodeToString(sum[:]) + ":",
					"Content-Disposition": "attachment; filename=" + f.Filename, "X-Content-Type-Options": "nosniff",
				}
				for h, v := range want {
					if got := d.Header.Get(h); got != v {
						t.Errorf("%s: %s = %q, want %q", paths[i], h, got, v)
					}
				}
			}
			nm := c.do("GET", refPath(reg)+"/document", op, nil, "If-None-Match", `"`+hexSHA(doc)+`"`)
			nm.expect(t, http.StatusNotModified)
			namesField(t, c.do("GET", refPath(reg)+"/attachments/x", op, nil).problem(t, 422, "validation_failed"), "index", "index")
			c.do("GET", refPath(reg)+"/attachments/2", op, nil).problem(t, 404, "not_found")
			c.do("GET", "/v1/registrations/PG/2026/999/document", op, nil).problem(t, 404, "not_found")
		})

		var list api.RegistrationList
		c.do("GET", "/v1/registrations", op, nil).decode(t, http.StatusOK, &list)
		if len(list.Items) != 1 || list.Items[0].ID != reg.ID || list.NextCursor != "" {
			t.Errorf("list %+v", list)
		}
		if next := c.mustRegister(op, "Seconda"); next.Number != 2 {
			t.Errorf("next number %d, want 2", next.Number)
		}
	})
}

func TestGetRegistrationErrors(t *testing.T) {
	apptest.Each(t, func(t *testing.T, s *apptest.Server) {
		c := newClient(t, s)
		op := s.NewClient(t, "op", []string{"protocol_operator"})
		reg := c.mustRegister(op, "Una")
		y := strconv.Itoa(reg.Year)
		c.do("GET", "/v1/registrations/PG/"+y+"/2", op, nil).problem(t, 404, "not_found")
		c.do("GET", "/v1/registrations/XX/"+y+"/1", op, nil).problem(t, 404, "not_found")
		namesField(t, c.do("GET", "/v1/registrations/PG/"+y+"/abc", op, nil).problem(t, 422, "validation_failed"), "number", "protocol number")
		namesField(t, c.do("GET", "/v1/registrations/PG/twenty/1", op, nil).problem(t, 422, "validation_failed"), "year", "year")
		c.do("GET", refPath(reg), "", nil).problem(t, 401, "unauthorized")
	})
}
