package api_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sportello/sportello/api"
	"github.com/sportello/sportello/internal/apptest"
)

// TestClassesFreshStart: the shipped titolario is present on a fresh start and
// browsable as a tree.
func TestClassesFreshStart(t *testing.T) {
	apptest.Each(t, func(t *testing.T, s *apptest.Server) {
		c := newClient(t, s)
		op := s.NewClient(t, "op", []string{"protocol_operator"})

		t.Run("TreeOf14TitoliAnd125Classi", func(t *testing.T) {
			var tree api.ClassList
			c.do("GET", "/v1/classes", op, nil).decode(t, http.StatusOK, &tree)
			if len(tree.Items) != 14 || tree.Items[0].Code != "I" || tree.Items[13].Code != "XIV" {
				t.Fatalf("%d titoli, first %+v", len(tree.Items), tree.Items[0])
			}
			classi := 0
			for _, titolo := range tree.Items {
				if titolo.Level != 1 || titolo.Parent != "" || titolo.ValidFrom != "2005-12-01" || titolo.RetentionYears != nil {
					t.Errorf("titolo %+v", titolo)
				}
				for _, cl := range titolo.Children {
					classi++
					if cl.Parent != titolo.Code || cl.Level != 2 || len(cl.Children) != 0 {
						t.Errorf("classe %+v under %s", cl, titolo.Code)
					}
				}
			}
			if classi != 125 {
				t.Errorf("%d classi, want 125", classi)
			}
			if xiv := tree.Items[13]; len(xiv.Children) != 0 {
				t.Errorf("XIV has %d classi, want none", len(xiv.Children))
			}
			i := tree.Items[0].Children
			if i[8].Code != "I.9" || i[9].Code != "I.10" {
				t.Errorf("classi of I out of order: %s, %s", i[8].Code, i[9].Code)
			}
		})
		t.Run("Flat", func(t *testing.T) {
			var flat api.ClassList
			c.do("GET", "/v1/classes?format=flat", op, nil).decode(t, http.StatusOK, &flat)
			if len(flat.Items) != 139 || flat.Items[1].Code != "I.1" || flat.Items[1].Children != nil {
				t.Errorf("%d classes, second %+v", len(flat.Items), flat.Items[1])
			}
		})
		t.Run("Under", func(t *testing.T) {
			var sub api.ClassList
			c.do("GET", "/v1/classes?under=VI", op, nil).decode(t, http.StatusOK, &sub)
			if len(sub.Items) != 1 || sub.Items[0].Code != "VI" || !slices.ContainsFunc(sub.Items[0].Children, func(c api.Class) bool { return c.Code == "VI.3" }) {
				t.Errorf("under VI: %+v", sub.Items)
			}
		})
		t.Run("NoneBeforeTheScheme", func(t *testing.T) {
			var none api.ClassList
			c.do("GET", "/v1/classes?on=2005-11-30", op, nil).decode(t, http.StatusOK, &none)
			if len(none.Items) != 0 {
				t.Errorf("%d classes valid in 2005-11", len(none.Items))
			}
		})
		t.Run("OneWithAncestors", func(t *testing.T) {
			var d api.ClassDetail
			c.do("GET", "/v1/classes/VI.3", op, nil).decode(t, http.StatusOK, &d)
			if d.Class.Code != "VI.3" || d.Class.Title == "" || len(d.Ancestors) != 1 || d.Ancestors[0].Code != "VI" || len(d.Children) != 0 {
				t.Errorf("VI.3: %+v", d)
			}
			c.do("GET", "/v1/classes/VI", op, nil).decode(t, http.StatusOK, &d)
			if len(d.Ancestors) != 0 || len(d.Children) == 0 || d.Children[0].Code != "VI.1" {
				t.Errorf("VI: %+v", d)
			}
		})
		t.Run("ErrBadQuery", func(t *testing.T) {
			namesField(t, c.do("GET", "/v1/classes?on=yesterday", op, nil).problem(t, 422, "validation_failed"), "on", "date")
			namesField(t, c.do("GET", "/v1/classes?format=xml", op, nil).problem(t, 422, "validation_failed"), "format", "tree")
			namesField(t, c.do("GET", "/v1/classes?colour=red", op, nil).problem(t, 422, "validation_failed"), "colour", "unknown")
		})
		t.Run("ErrNotFound", func(t *testing.T) {
			c.do("GET", "/v1/classes/XX.1", op, nil).problem(t, 404, "not_found")
		})
	})
}

func TestCreateClasses(t *testing.T) {
	apptest.Each(t, func(t *testing.T, s *apptest.Server) {
		c := newClient(t, s)
		op := s.NewClient(t, "op", []string{"protocol_operator"})
		csv := func(body string, headers ...string) *response {
			return c.do("POST", "/v1/classes", s.AdminToken, strings.NewReader(body), append([]string{"Content-Type", "text/csv"}, headers...)...)
		}
		exists := func(code string) bool {
			return c.do("GET", "/v1/classes/"+code, op, nil).Status == http.StatusOK
		}

		t.Run("CSVImport", func(t *testing.T) {
			var out api.ClassList
			csv("code,level,parent,title,description,retention_years,valid_from\n"+
				"VI.3.2,3,VI.3,Permessi di costruire,,10,2026-01-01\n"+
				"VI.3.1,3,VI.3,\"Agibilità, abitabilità\",Certificati,,2026-01-01\n",
				"Idempotency-Key", "import-1").decode(t, http.StatusCreated, &out)
			if len(out.Items) != 2 || out.Items[0].Code != "VI.3.1" || out.Items[0].Title != "Agibilità, abitabilità" ||
				out.Items[0].RetentionYears != nil || *out.Items[1].RetentionYears != 10 || out.Items[1].Parent != "VI.3" {
				t.Errorf("created %+v", out.Items)
			}
			var d api.ClassDetail
			c.do("GET", "/v1/classes/VI.3.2", op, nil).decode(t, http.StatusOK, &d)
			if len(d.Ancestors) != 2 || d.Ancestors[0].Code != "VI" || d.Ancestors[1].Code != "VI.3" {
				t.Errorf("ancestors %+v", d.Ancestors)
			}
			var tree api.ClassList
			c.do("GET", "/v1/classes?under=VI.3", op, nil).decode(t, http.StatusOK, &tree)
			if len(tree.Items) != 1 || len(tree.Items[0].Children) != 2 || tree.Items[0].Children[1].Code != "VI.3.2" {
				t.Errorf("tree under VI.3: %+v", tree.Items)
			}
			replay := csv("code,level,parent,title,description,retention_years,valid_from\n"+
				"VI.3.2,3,VI.3,Permessi di costruire,,10,2026-01-01\n"+
				"VI.3.1,3,VI.3,\"Agibilità, abitabilità\",Certificati,,2026-01-01\n", "Idempotency-Key", "import-1")
			if replay.expect(t, http.StatusCreated); replay.Header.Get("Idempotent-Replayed") != "true" {
				t.Error("not replayed")
			}
		})
		t.Run("NewTitoloWithClassesAsJSON", func(t *testing.T) {
			var out api.ClassList
			c.json("POST", "/v1/classes", s.AdminToken, []map[string]any{
				{"code": "XV.1", "parent": "XV", "title": "Progetti europei"},
				{"code": "XV", "title": "Progetti speciali"},
			}).decode(t, http.StatusCreated, &out)
			if len(out.Items) != 2 || out.Items[0].Code != "XV" || out.Items[1].Level != 2 {
				t.Errorf("created %+v", out.Items)
			}
			c.json("POST", "/v1/classes", s.AdminToken, map[string]any{"code": "XV.2", "parent": "XV", "title": "Gemellaggi"}).
				decode(t, http.StatusCreated, &out)
		})
		t.Run("ErrUnknownParentNothingStored", func(t *testing.T) {
			p := csv("code,level,parent,title\nVII.1.1,3,VII.1,Buona\nVII.99.1,3,VII.99,Orfana\n").problem(t, 422, "validation_failed")
			namesField(t, p, "line 3: parent", "unknown parent VII.99")
			if exists("VII.1.1") {
				t.Error("a class of the refused batch was stored")
			}
		})
		t.Run("ErrBadCode", func(t *testing.T) {
			namesField(t, csv("code,level,parent,title\n6.3,2,VI,Sei\n").problem(t, 422, "validation_failed"), "line 2: code", "classification code")
			namesField(t, csv("code,level,parent,title\nVI.4.1,2,VI.4,Livello\n").problem(t, 422, "validation_failed"), "line 2: level", "level 3")
			namesField(t, csv("code,level,parent,title\nVI.4.1,x,VI.4,Livello\n").problem(t, 422, "validation_failed"), "line 2: level", "must be")
		})
		t.Run("ErrBadCSV", func(t *testing.T) {
			namesField(t, csv("code,title\nVI.4.1,x\n").problem(t, 422, "validation_failed"), "line 1: level", "missing column")
			namesField(t, csv("code,level,parent,title,colour\n").problem(t, 422, "validation_failed"), "line 1: colour", "unknown column")
			namesField(t, csv("code,level,parent,title\nVI.4.1,3,VI.4\n").problem(t, 422, "validation_failed"), "line 2", "fields")
		})
		t.Run("ErrDuplicate", func(t *testing.T) {
			namesField(t, csv("code,level,parent,title\nVI.4.1,3,VI.4,Uno\nVI.3.1,3,VI.3,Esiste\n").problem(t, 409, "conflict"),
				"line 3: code", "already exists")
			namesField(t, csv("code,level,parent,title\nVI.4.1,3,VI.4,Uno\nVI.4.1,3,VI.4,Due\n").problem(t, 409, "conflict"),
				"line 3: code", "also at")
			if exists("VI.4.1") {
				t.Error("a class of the refused batch was stored")
			}
		})
		t.Run("ErrJSON", func(t *testing.T) {
			namesField(t, c.json("POST", "/v1/classes", s.AdminToken, `[{"code": "VI.4.1", "parent": "VI.4", "title": "x", "colour": 1}]`).
				problem(t, 422, "validation_failed"), "[0].colour", "unknown")
			namesField(t, c.json("POST", "/v1/classes", s.AdminToken, `[{"code": "VI.4.1", "parent": "VI.4"}]`).
				problem(t, 422, "validation_failed"), "[0].title", "required")
			c.do("POST", "/v1/classes", s.AdminToken, strings.NewReader("x"), "Content-Type", "text/plain").problem(t, 415, "unsupported_media_type")
		})
		t.Run("ErrForbidden", func(t *testing.T) {
			c.json("POST", "/v1/classes", op, map[string]any{"code": "XVI", "title": "x"}).problem(t, 403, "forbidden")
		})
	})
}

// TestClosedClass: a class closed from a date refuses new registrations from
// then on, and still resolves and reads for the registrations made before.
func TestClosedClass(t *testing.T) {
	now := apptest.NewClock(time.Time{})
	now.SetDay("2026-12-20")
	clock := apptest.WithClock(now.Now)
	apptest.Each(t, func(t *testing.T, s *apptest.Server) {
		now.SetDay("2026-12-20")
		c := newClient(t, s)
		op := s.NewClient(t, "op", []string{"protocol_operator"})
		doc := func(subject string) []apptest.Part {
			return []apptest.Part{{Name: "document", Filename: "a.pdf", Content: apptest.PDF(subject)}}
		}
		classified := func(subject, class string) map[string]any {
			m := apptest.Incoming(subject)
			m["class"] = class
			return m
		}
		var before api.Registration
		c.register(op, classified("Prima della chiusura", "VI.3"), doc("a")).decode(t, http.StatusCreated, &before)

		var closed api.Class
		c.json("POST", "/v1/classes/VI.3/close", s.AdminToken, map[string]any{"from": "2027-01-01", "replaced_by": "VI.4", "reason": "Nuovo titolario"}).
			decode(t, http.StatusOK, &closed)
		if closed.ValidTo != "2026-12-31" || closed.ReplacedBy != "VI.4" {
			t.Errorf("closed %+v", closed)
		}
		t.Run("StillUsableBeforeItsClosingDate", func(t *testing.T) {
			c.register(op, classified("Ancora valida", "VI.3"), doc("b")).expect(t, http.StatusCreated)
		})

		now.SetDay("2027-01-02")
		t.Run("ErrRefusedFromItsClosingDate", func(t *testing.T) {
			p := c.register(op, classified("Dopo la chiusura", "VI.3"), doc("c")).problem(t, 422, "validation_failed")
			namesField(t, p, "class", "replaced by VI.4")
			var reg api.Registration
			c.register(op, classified("Nuova classe", "VI.4"), doc("d")).decode(t, http.StatusCreated, &reg)
			namesField(t, c.json("PATCH", refPath(reg), op, map[string]any{"class": "VI.3"}).problem(t, 422, "validation_failed"), "class", "not valid")
		})
		t.Run("OldRegistrationStillResolves", func(t *testing.T) {
			var got api.Registration
			c.do("GET", refPath(before), op, nil).decode(t, http.StatusOK, &got)
			if got.Class != "VI.3" {
				t.Errorf("class %q", got.Class)
			}
			var d api.ClassDetail
			c.do("GET", "/v1/classes/VI.3", op, nil).decode(t, http.StatusOK, &d)
			if d.Class.ValidTo != "2026-12-31" || d.Ancestors[0].Code != "VI" {
				t.Errorf("VI.3 %+v", d)
			}
			var list api.RegistrationList
			c.do("GET", "/v1/registrations?class=VI.3", op, nil).decode(t, http.StatusOK, &list)
			if len(list.Items) != 2 {
				t.Errorf("%d registrations under VI.3", len(list.Items))
			}
			// Other changes to the old registration still work, and it may take back its old
			// class: VI.3 was valid on its date.
			c.json("PATCH", refPath(before), op, map[string]any{"class": "VI.4"}).expect(t, http.StatusOK)
			c.json("PATCH", refPath(before), op, map[string]any{"class": "VI.3"}).expect(t, http.StatusOK)
		})
		t.Run("NotInTheSchemeOfToday", func(t *testing.T) {
			var tree api.ClassList
			c.do("GET", "/v1/classes?on=2027-01-02&under=VI&format=flat", op, nil).decode(t, http.StatusOK, &tree)
			if slices.ContainsFunc(tree.Items, func(c api.Class) bool { return c.Code == "VI.3" }) {
				t.Error("closed VI.3 listed as valid")
			}
		})
		t.Run("ErrClose", func(t *testing.T) {
			c.json("POST", "/v1/classes/VI.3/close", s.AdminToken, map[string]any{"from": "2027-02-01"}).problem(t, 409, "conflict")
			c.json("POST", "/v1/classes/VI/close", s.AdminToken, map[string]any{"from": "2027-02-01"}).problem(t, 409, "conflict")
			c.json("POST", "/v1/classes/VI.9/close", op, map[string]any{"from": "2027-02-01"}).problem(t, 403, "forbidden")
			c.json("POST", "/v1/classes/XX/close", s.AdminToken, map[string]any{"from": "2027-02-01"}).problem(t, 404, "not_found")
			namesField(t, c.json("POST", "/v1/classes/VI.9/close", s.AdminToken, map[string]any{"from": "2027-02-01", "replaced_by": "VI.3"}).
				problem(t, 422, "validation_failed"), "replaced_by", "not valid")
			namesField(t, c.json("POST", "/v1/classes/VI.9/close", s.AdminToken, map[string]any{"from": "2001-01-01"}).
				problem(t, 422, "validation_failed"), "from", "after")
		})
	}, clock)
}

func TestRegisterUnknownClass(t *testing.T) {
	apptest.Each(t, func(t *testing.T, s *apptest.Server) {
		c := newClient(t, s)
		op := s.NewClient(t, "op", []string{"protocol_operator"})
		m := apptest.Incoming("Classe inesistente")
		m["class"] = "VI.99"
		p := c.register(op, m, []apptest.Part{{Name: "document", Filename: "a.pdf", Content: apptest.PDF("x")}}).problem(t, 422, "validation_failed")
		namesField(t, p, "class", "unknown class VI.99")
		var reg api.Registration
		c.register(op, apptest.Incoming("Senza classe"), []apptest.Part{{Name: "document", Filename: "a.pdf", Content: apptest.PDF("y")}}).
			decode(t, http.StatusCreated, &reg)
		if reg.Number != 1 {
			t.Errorf("the refused registration took a number: this one is %d", reg.Number)
		}
		namesField(t, c.json("PATCH", refPath(reg), op, map[string]any{"class": "VI.99"}).problem(t, 422, "validation_failed"), "class", "unknown")
	})
}

// TestUnclassifiedWorklist: registrations without a class can be listed, to classify them later.
func TestUnclassifiedWorklist(t *testing.T) {
	apptest.Each(t, func(t *testing.T, s *apptest.Server) {
		c := newClient(t, s)
		op := s.NewClient(t, "op", []string{"protocol_operator"})
		todo := c.mustRegister(op, "Da classificare")
		m := apptest.Incoming("Classificata")
		m["class"] = "I.1"
		c.register(op, m, []apptest.Part{{Name: "document", Filename: "a.pdf", Content: apptest.PDF("z")}}).expect(t, http.StatusCreated)

		var list api.RegistrationList
		c.do("GET", "/v1/registrations?unclassified=true", op, nil).decode(t, http.StatusOK, &list)
		if len(list.Items) != 1 || list.Items[0].ID != todo.ID {
			t.Fatalf("worklist %+v", list.Items)
		}
		c.json("PATCH", refPath(todo), op, map[string]any{"class": "I.2"}).expect(t, http.StatusOK)
		c.do("GET", "/v1/registrations?unclassified=true", op, nil).decode(t, http.StatusOK, &list)
		if len(list.Items) != 0 {
			t.Errorf("still in the worklist after classification: %+v", list.Items)
		}
		c.do("GET", "/v1/registrations?unclassified=false", op, nil).decode(t, http.StatusOK, &list)
		if len(list.Items) != 2 {
			t.Errorf("unclassified=false filtered: %d", len(list.Items))
		}
		t.Run("ErrBadValue", func(t *testing.T) {
			namesField(t, c.do("GET", "/v1/registrations?unclassified=yes", op, nil).problem(t, 422, "validation_failed"), "unclassified", "true or false")
			namesField(t, c.do("GET", "/v1/registrations?unclassified=true&class=I", op, nil).problem(t, 422, "validation_failed"), "unclassified", "class")
		})
	})
}
