package api_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/sportello/sportello/api"
	"github.com/sportello/sportello/internal/apptest"
)

// TestDirectory loads the IPA lists as published (testdata/ipa: the administrations as TSV,
// the AOOs as quoted CSV with a byte order mark and CRLF, the UOs as TSV) over real HTTP on
// both engines, finds administrations by name words and by code with their AOOs and PEC
// addresses and the UOs searched for, refuses a bad file naming line and column while keeping
// the stored list, replaces a list whole, and registers a document to an AOO and to a UO
// picked from the answer.
func TestDirectory(t *testing.T) {
	enti, err := os.ReadFile("testdata/ipa/enti.tsv")
	if err != nil {
		t.Fatal(err)
	}
	aoo, err := os.ReadFile("testdata/ipa/aoo.csv")
	if err != nil {
		t.Fatal(err)
	}
	apptest.Each(t, func(t *testing.T, s *apptest.Server) {
		c := newClient(t, s)
		op := s.NewClient(t, "operator", []string{"protocol_operator"})
		load := func(kind, contentType string, body []byte) *response {
			return c.do("POST", "/v1/directory/imports?kind="+kind, s.AdminToken, bytes.NewReader(body), "Content-Type", contentType)
		}
		search := func(q string) api.DirectoryList {
			t.Helper()
			var out api.DirectoryList
			c.do("GET", "/v1/directory?q="+url.QueryEscape(q), op, nil).decode(t, http.StatusOK, &out)
			return out
		}
		found := func(q string) []string {
			t.Helper()
			var codes []string
			for _, e := range search(q).Items {
				codes = append(codes, e.Correspondent.IPACode)
			}
			return codes
		}

		var imp api.DirectoryImport
		load("administrations", "text/tab-separated-values", enti).decode(t, http.StatusCreated, &imp)
		if imp.Kind != "administrations" || imp.Entries != 4 {
			t.Fatalf("import %+v", imp)
		}
		load("aoos", "text/csv", aoo).decode(t, http.StatusCreated, &imp)
		if imp.Kind != "aoos" || imp.Entries != 4 {
			t.Fatalf("import %+v", imp)
		}

		t.Run("ByNameWords", func(t *testing.T) {
			for q, want := range map[string][]string{
				"roma":               {"c_h501"},
				"CITTA castel":       {"c_c745"},
				"città di castello":  {"c_c745"},
				"autorita portuale":  {"APBar"},
				"affari interni":     {"m_it"},
				"centro":             {"c_h501"},
				"comune":             {"c_c745"},
				"oma":                nil,
				"roma ministero":     nil,
				"ministero dell'int": {"m_it"},
			} {
				if got := found(q); !slices.Equal(got, want) {
					t.Errorf("q=%q found %v, want %v", q, got, want)
				}
			}
		})
		t.Run("ByCode", func(t *testing.T) {
			for q, want := range map[string]string{"c_h501": "c_h501", "C_H501": "c_h501", "apbar": "APBar", "e5f6g7h": "c_h501", "M0IT001": "m_it"} {
				if got := found(q); !slices.Equal(got, []string{want}) {
					t.Errorf("q=%q found %v, want %s", q, got, want)
				}
			}
		})
		t.Run("WithAOOsAndDigitalAddresses", func(t *testing.T) {
			list := search("roma capitale")
			if len(list.Items) != 1 {
				t.Fatalf("found %+v", list.Items)
			}
			e := list.Items[0]
			want := api.DirectoryCorrespondent{Type: "administration", Name: "Roma Capitale", TaxCode: "02438750586",
				IPACode: "c_h501", DigitalAddress: "protocollo.generale@pec.comune.roma.example.it"}
			if e.Correspondent != want {
				t.Errorf("administration %+v, want %+v (the PEC, not the first address)", e.Correspondent, want)
			}
			var aoos []string
			for _, o := range e.AOOs {
				aoos = append(aoos, o.Name+" | "+o.Correspondent.AOOCode+" | "+o.Correspondent.DigitalAddress)
			}
			if want := []string{`Municipio Roma I "Centro" | E5F6G7H | protocollo.mun01@pec.comune.roma.example.it`,
				"Ufficio Protocollo Generale | A1B2C3D | protocollo.generale@pec.comune.roma.example.it"}; !slices.Equal(aoos, want) {
				t.Errorf("AOOs %q, want %q", aoos, want)
			}
			castello := search("castello").Items[0].AOOs[0].Correspondent
			if castello.DigitalAddress != "comune.cittadicastello@postacert.umbria.example.it" {
				t.Errorf("AOO with an ordinary Mail1 and a PEC Mail2: %+v, want the PEC", castello)
			}
		})
		t.Run("Paged", func(t *testing.T) {
			var all []string
			path := "/v1/directory?limit=3"
			for range 3 {
				var page api.DirectoryList
				c.do("GET", path, op, nil).decode(t, http.StatusOK, &page)
				for _, e := range page.Items {
					all = append(all, e.Correspondent.IPACode)
				}
				if page.NextCursor == "" {
					break
				}
				path = "/v1/directory?limit=3&cursor=" + url.QueryEscape(page.NextCursor)
			}
			if want := []string{"APBar", "c_c745", "m_it", "c_h501"}; !slices.Equal(all, want) {
				t.Errorf("pages %v, want %v in name order", all, want)
			}
		})
		t.Run("PickedAsRecipient", func(t *testing.T) {
			picked := search("E5F6G7H").Items[0].AOOs[0].Correspondent
			raw, _ := json.Marshal(picked)
			var recipient map[string]any
			_ = json.Unmarshal(raw, &recipient)
			recipient["role"] = "recipient"
			meta := map[string]any{"direction": "outgoing", "channel": "pec", "subject": "Trasmissione", "correspondents": []any{recipient}}
			var reg api.Registration
			c.register(op, meta, []apptest.Part{{Name: "document", Filename: "nota.pdf", Content: apptest.PDF("nota")}}).
				decode(t, http.StatusCreated, &reg)
			got := reg.Correspondents[0]
			if got.IPACode != "c_h501" || got.AOOCode != "E5F6G7H" || got.DigitalAddress != "protocollo.mun01@pec.comune.roma.example.it" {
				t.Errorf("registered recipient %+v", got)
			}
		})
		t.Run("UOs", func(t *testing.T) {
			uo, err := os.ReadFile("testdata/ipa/uo.tsv")
			if err != nil {
				t.Fatal(err)
			}
			var imp api.DirectoryImport
			load("uos", "text/tab-separated-values", uo).decode(t, http.StatusCreated, &imp)
			if imp.Kind != "uos" || imp.Entries != 3 {
				t.Fatalf("import %+v", imp)
			}
			list := search("roma urbanistica")
			if len(list.Items) != 1 || len(list.Items[0].UOs) != 1 {
				t.Fatalf("roma urbanistica found %+v, want Roma Capitale with one UO", list.Items)
			}
			u := list.Items[0].UOs[0]
			want := api.DirectoryCorrespondent{Type: "administration", Name: "Roma Capitale", TaxCode: "02438750586", IPACode: "c_h501",
				AOOCode: "A1B2C3D", UOCode: "UFURB1", DigitalAddress: "urbanistica@pec.comune.roma.example.it"}
			if u.Name != "Dipartimento Programmazione e Attuazione Urbanistica" || u.Correspondent != want {
				t.Errorf("UO %+v, want %+v (its PEC)", u, want)
			}
			if got := found("ufgab1"); !slices.Equal(got, []string{"m_it"}) {
				t.Errorf("by UO code found %v, want m_it", got)
			}
			if uos := search("roma capitale").Items[0].UOs; len(uos) != 0 {
				t.Errorf("a search naming no UO lists %+v", uos)
			}
			raw, _ := json.Marshal(u.Correspondent)
			var recipient map[string]any
			_ = json.Unmarshal(raw, &recipient)
			recipient["role"] = "recipient"
			meta := map[string]any{"direction": "outgoing", "channel": "pec", "subject": "Richiesta di parere", "correspondents": []any{recipient}}
			var reg api.Registration
			c.register(op, meta, []apptest.Part{{Name: "document", Filename: "nota.pdf", Content: apptest.PDF("nota")}}).
				decode(t, http.StatusCreated, &reg)
			got := reg.Correspondents[0]
			if got.IPACode != "c_h501" || got.AOOCode != "A1B2C3D" || got.UOCode != "UFURB1" ||
				got.DigitalAddress != "urbanistica@pec.comune.roma.example.it" {
				t.Errorf("registered recipient %+v, want the UO's codes and PEC", got)
			}
		})
		t.Run("ErrBadFileStoresNothing", func(t *testing.T) {
			bad := strings.Replace(string(enti), "urp@comune.roma.example.it", "urp at comune", 1)
			bad = strings.Replace(bad, "m_it\t", "m it\t", 1) + "c_x000\t\t\n"
			p := load("administrations", "text/tab-separated-values", []byte(bad)).problem(t, http.StatusUnprocessableEntity, "validation_failed")
			namesField(t, p, "line 2: Mail1", "e-mail")
			namesField(t, p, "line 4: Codice_IPA", "IPA code")
			namesField(t, p, "line 6", "fields")
			if got := found(""); !slices.Equal(got, []string{"APBar", "c_c745", "m_it", "c_h501"}) {
				t.Errorf("after a refused file the list is %v", got)
			}
		})
		t.Run("ErrMissingColumn", func(t *testing.T) {
			p := load("aoos", "text/csv", []byte("Codice_IPA,Denominazione_aoo\nc_h501,Protocollo\n")).problem(t, http.StatusUnprocessableEntity, "validation_failed")
			namesField(t, p, "line 1: Codice_uni_aoo", "missing")
		})
		t.Run("ErrKind", func(t *testing.T) {
			p := load("uo", "text/csv", aoo).problem(t, http.StatusUnprocessableEntity, "validation_failed")
			namesField(t, p, "kind", "aoos or uos")
		})
		t.Run("ErrMediaType", func(t *testing.T) {
			load("aoos", "application/json", aoo).problem(t, http.StatusUnsupportedMediaType, "unsupported_media_type")
		})
		t.Run("ErrPortal", func(t *testing.T) {
			portal := s.NewClient(t, "portal", []string{"portal"})
			c.do("GET", "/v1/directory", portal, nil, "X-Applicant-Id", "RSSMRA80A01H501U").problem(t, http.StatusForbidden, "forbidden")
		})
		t.Run("ErrTooManyWords", func(t *testing.T) {
			p := c.do("GET", "/v1/directory?q="+url.QueryEscape(strings.Repeat("a ", 11)), op, nil).problem(t, http.StatusUnprocessableEntity, "validation_failed")
			namesField(t, p, "q", "words")
		})
		t.Run("IdempotentImport", func(t *testing.T) {
			send := func(body string) *response {
				return c.do("POST", "/v1/directory/imports?kind=aoos", s.AdminToken, strings.NewReader(body),
					"Content-Type", "text/csv", "Idempotency-Key", "ipa-aoo-1")
			}
			var first, again api.DirectoryImport
			send(string(aoo)).decode(t, http.StatusCreated, &first)
			r := send(string(aoo))
			r.decode(t, http.StatusCreated, &again)
			if r.Header.Get("Idempotent-Replayed") != "true" || again != first {
				t.Errorf("replay %+v (replayed %q), want %+v", again, r.Header.Get("Idempotent-Replayed"), first)
			}
			send("Codice_IPA,Codice_uni_aoo,Denominazione_aoo\nm_it,M0IT001,Protocollo\n").problem(t, 422, "idempotency_mismatch")
		})
		t.Run("ReimportReplaces", func(t *testing.T) {
			again := "Codice_IPA;Denominazione_ente\n\"m_it\";\"Ministero dell'Interno\"\n"
			load("administrations", "text/csv", []byte(again)).decode(t, http.StatusCreated, &imp)
			if got := found(""); !slices.Equal(got, []string{"m_it"}) {
				t.Errorf("after a new load the list is %v, want only m_it", got)
			}
			if aoos := search("m_it").Items[0].AOOs; len(aoos) != 1 || aoos[0].Correspondent.AOOCode != "M0IT001" {
				t.Errorf("the AOOs after a load of the administrations: %+v", aoos)
			}
		})
	})
}
