package api_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/sportello/sportello/api"
	"github.com/sportello/sportello/internal/apptest"
)

// limitProbes knows how to put a value in every place openapi.yaml declares a limit on.
type limitProbes struct {
	t             *testing.T
	s             *apptest.Server
	staff, portal string
	ref           api.Registration
	caseID        string
	probes        map[string]probe
}

// newLimitProbes prepares what the accepted values refer to: the offices, register and class
// of the pattern samples, a registration, a case and a client.
func newLimitProbes(t *testing.T, s *apptest.Server) *limitProbes {
	c := newClient(t, s)
	for _, code := range []string{"TEC", "a.b-c_9", longOffice} {
		s.NewOffice(t, code, "Ufficio "+code)
	}
	c.json("POST", "/v1/registers", s.AdminToken, map[string]any{"code": longRegister, "name": "Repertorio", "allow_unclassified": true}).
		expect(t, http.StatusCreated)
	l := &limitProbes{t: t, s: s, probes: map[string]probe{},
		staff:  s.NewClient(t, "staff", []string{"admin", "records_officer", "protocol_operator", "clerk"}, "TEC", "SUAP"),
		portal: s.NewClient(t, "portal", []string{"portal"})}
	c.json("POST", "/v1/classes", s.AdminToken, map[string]any{"code": "VI.3.2", "parent": "VI.3", "title": "Sottoclasse"}).
		expect(t, http.StatusCreated)
	l.ref = c.mustRegister(l.staff, "Registrazione delle prove")
	l.caseID = c.mustSubmitSCIA(l.portal, bizApplicant).ID
	caseID := l.caseID
	var client api.CreatedClient
	c.json("POST", "/v1/clients", s.AdminToken, map[string]any{"name": "da ruotare", "roles": []string{"clerk"}}).
		decode(t, http.StatusCreated, &client)

	l.registration()
	l.json("api.RegistrationPatch.offices[]", "PATCH", refPath(l.ref), "offices[0]", map[string]any{}, "offices", inArray)
	l.json("api.NewRegister.code", "POST", "/v1/registers", "code", map[string]any{"name": "Registro"}, "code", nil)
	l.json("api.NewOffice.code", "POST", "/v1/offices", "code", map[string]any{"name": "Ufficio"}, "code", nil)
	l.json("api.NewClient.roles[]", "POST", "/v1/clients", "roles[0]", map[string]any{"name": "Cliente"}, "roles", inArray)
	l.json("api.NewKey.grace_seconds", "POST", "/v1/clients/"+client.ID+"/keys", "grace_seconds", map[string]any{}, "grace_seconds", nil)
	l.users()
	newClass := map[string]any{"code": "VI.3.9", "parent": "VI.3", "title": "Prova"}
	l.json("api.NewClass.code", "POST", "/v1/classes", "[0].code", map[string]any{"title": "Prova"}, "code", nil)
	l.json("api.NewClass.level", "POST", "/v1/classes", "[0].level", newClass, "level", nil)
	l.probes["POST /v1/classes"] = probe{detail: "no class to create", item: newClass, send: func(v any) *response {
		return l.post("POST", "/v1/classes", v)
	}}
	l.json("api.NewClass.retention_years", "POST", "/v1/classes", "[0].retention_years", newClass, "retention_years", nil)
	l.json("api.ClassRetentionPatch.retention_years", "PATCH", "/v1/classes/VI.3", "retention_years", map[string]any{}, "retention_years", nil)
	l.json("api.ClassRetentionPatch.reason", "PATCH", "/v1/classes/VI.3", "reason", map[string]any{"retention_permanent": true}, "reason", nil)
	l.json("api.ClassClosing.replaced_by", "POST", "/v1/classes/VI.4/close", "replaced_by", map[string]any{"from": "2099-01-01"}, "replaced_by", nil)
	dossier := map[string]any{"class": "VI.3", "subject": "Fascicolo", "type": "affare", "office": "TEC"}
	for _, f := range []string{"class", "subject", "type", "office"} {
		l.json("api.NewDossier."+f, "POST", "/v1/dossiers", f, dossier, f, nil)
	}
	l.json("api.NewPackage.kind", "POST", "/v1/archive/packages", "kind",
		map[string]any{"registrations": []string{l.ref.Register + "/" + strconv.Itoa(l.ref.Year) + "/" + l.ref.NumberFormatted}}, "kind", nil)
	l.json("api.NewHold.class", "POST", "/v1/holds", "class", map[string]any{"reason": "Contenzioso", "reference": "TAR"}, "class", nil)
	procedure := map[string]any{"code": "prova", "name": "Prova", "audience": "both", "description": "Prova",
		"required_documents": []any{}, "form_schema": map[string]any{"type": "object"}, "office": "SUAP", "class": "VI.3",
		"deadline_days": 30, "silence_is_consent": false}
	for _, f := range []string{"audience", "class", "code", "deadline_days", "office"} {
		l.json("api.NewProcedure."+f, "POST", "/v1/procedures", f, procedure, f, nil)
	}
	version := maps.Clone(procedure)
	delete(version, "code")
	for _, f := range []string{"audience", "class", "deadline_days", "office"} {
		l.json("api.NewProcedureVersion."+f, "POST", "/v1/procedures/cila/versions", f, version, f, nil)
	}
	l.json("api.CaseTransitionRequest.to", "POST", "/v1/cases/"+caseID+"/transitions", "to", map[string]any{"note": "Integrare"}, "to", nil)
	l.multipart("api.CaseMessageMetadata.text", "/v1/cases/"+caseID+"/messages", "text", map[string]any{}, "text", nil, nil)
	document := map[string]any{"subject": "Bozza", "class": "VI.3"}
	pdf := []apptest.Part{{Name: "document", Filename: "bozza.pdf", Content: apptest.PDF("bozza")}}
	l.multipart("api.DocumentMetadata.subject", "/v1/documents", "subject", document, "subject", nil, pdf)
	l.multipart("api.DocumentMetadata.class", "/v1/documents", "class", document, "class", nil, pdf)
	l.multipart("api.DocumentMetadata.offices[]", "/v1/documents", "offices[0]", document, "offices", inArray, pdf)
	// A package that does not exist: a valid outcome passes validation and finds none (404).
	settle := "/v1/archive/packages/01a24ad3-0000-7000-8000-000000000000/report"
	l.multipart("api.PackageOutcomeRequest.outcome", settle, "outcome", map[string]any{}, "outcome", nil, nil)
	l.multipart("api.PackageOutcomeRequest.reason", settle, "reason", map[string]any{"outcome": "refused"}, "reason", nil, nil)
	l.fileParts()
	l.emergency()
	return l
}

// emergency probes the entries of the emergency register, loaded in JSON and with a file: an
// outage of PG in 2020, and entries whose emergency numbers never repeat (a number loaded
// twice is 409, not a refusal of the value probed).
func (l *limitProbes) emergency() {
	var o api.Outage
	start := time.Date(2020, 6, 1, 8, 0, 0, 0, time.UTC)
	newClient(l.t, l.s).json("POST", "/v1/registers/PG/emergencies", l.staff, map[string]any{"cause": "Guasto",
		"start": start, "end": start.Add(8 * time.Hour), "authorization": "Autorizzazione n. 1"}).decode(l.t, http.StatusCreated, &o)
	var number atomic.Int64
	entry := func() map[string]any {
		m := apptest.Incoming("Voce del registro di emergenza")
		m["emergency_number"], m["emergency_date"] = number.Add(1), "2020-06-01"
		return m
	}
	path := "/v1/registers/PG/emergencies/" + o.ID + "/entries"
	l.json("api.EmergencyLoad.entries", "POST", path, "entries", map[string]any{}, "entries", nil)
	p := l.probes["api.EmergencyLoad.entries"]
	p.item = entry()
	l.probes["api.EmergencyLoad.entries"] = p
	for _, f := range []string{"emergency_number", "direction", "channel", "subject", "correspondents", "class"} {
		l.json("api.EmergencyEntry."+f, "POST", path, "entries[0]."+f, map[string]any{}, "entries", func(v any) any {
			e := entry()
			e[f] = v
			return []any{e}
		})
	}
	p = l.probes["api.EmergencyEntry.correspondents"]
	p.item = apptest.Incoming("")["correspondents"].([]map[string]any)[0]
	l.probes["api.EmergencyEntry.correspondents"] = p
	l.json("api.EmergencyEntry.offices[]", "POST", path, "entries[0].offices[0]", map[string]any{}, "entries", func(v any) any {
		e := entry()
		e["offices"] = []any{v}
		return []any{e}
	})
	pdf := []apptest.Part{{Name: "document", Filename: "prova.pdf", Content: apptest.PDF("prova")}}
	l.multipart("api.EmergencyMetadata.number", "/v1/registrations", "emergency.number", apptest.Incoming("Voce con file"),
		"emergency", func(v any) any { return map[string]any{"outage": o.ID, "number": v, "date": "2020-06-01"} }, pdf)
}

// fileParts probes how many times a file part may repeat (maxItems of the multipart body).
func (l *limitProbes) fileParts() {
	pdf := apptest.Part{Name: "document", Filename: "prova.pdf", Content: apptest.PDF("prova")}
	attachment := apptest.Part{Name: "attachment", Filename: "allegato.pdf", Content: apptest.PDF("allegato")}
	l.parts("POST /v1/registrations.attachment", "/v1/registrations", attachment, l.staff, nil,
		func(int) any { return apptest.Incoming("Prova degli allegati") }, pdf)
	l.parts("POST /v1/cases/{id}/messages.document", "/v1/cases/"+l.caseID+"/messages", pdf, l.staff, nil,
		func(int) any { return map[string]any{"text": "Documenti"} })
	// A SCIA names the requirement of each document: one health notice, plans for the rest.
	scia := func(n int) any {
		m := sciaMetadataFor(bizApplicant)
		docs := []map[string]any{{"requirement": sciaHealth}}
		for range n - 1 {
			docs = append(docs, map[string]any{"requirement": sciaPlanimetry})
		}
		m["documents"] = docs
		return m
	}
	l.parts("POST /v1/cases.document", "/v1/cases", pdf, l.portal, []string{"X-Applicant-Id", bizApplicant}, scia)
}

// parts adds a probe sending the value's length in copies of item after the fixed parts, with
// the metadata made for that many.
func (l *limitProbes) parts(key, path string, item apptest.Part, token string, headers []string, metadata func(n int) any, fixed ...apptest.Part) {
	l.probes[key] = probe{field: item.Name, item: item, send: func(v any) *response {
		copies, _ := v.([]any)
		parts := slices.Clone(fixed)
		for range copies {
			parts = append(parts, item)
		}
		ct, body := apptest.Multipart(metadata(len(copies)), parts...)
		return plain(l.t, l.s, "POST", path, token, body, append([]string{"Content-Type", ct}, headers...)...)
	}}
}

// registration probes the metadata of POST /v1/registrations and its correspondents.
func (l *limitProbes) registration() {
	pdf := []apptest.Part{{Name: "document", Filename: "prova.pdf", Content: apptest.PDF("prova")}}
	base := apptest.Incoming("Prova dei limiti")
	for _, f := range []string{"register", "subject", "class", "direction", "channel", "correspondents"} {
		l.multipart("api.RegistrationMetadata."+f, "/v1/registrations", f, base, f, nil, pdf)
	}
	l.multipart("api.RegistrationMetadata.offices[]", "/v1/registrations", "offices[0]", base, "offices", inArray, pdf)
	scan := with(base, "channel", "paper")
	l.multipart("api.ImageCopy.attested_by", "/v1/registrations", "image_copy.attested_by", scan, "image_copy",
		func(v any) any { return map[string]any{"attested_by": v} }, pdf)
	p := l.probes["api.RegistrationMetadata.correspondents"]
	p.item = base["correspondents"].([]map[string]any)[0]
	l.probes["api.RegistrationMetadata.correspondents"] = p
	for _, f := range []string{"role", "type", "tax_code"} {
		correspondent := func(v any) any {
			c := map[string]any{"role": "sender", "type": "person", "name": "Mario Rossi"}
			c[f] = v
			return []any{c}
		}
		l.multipart("api.Correspondent."+f, "/v1/registrations", "correspondents[0]."+f, base, "correspondents", correspondent, pdf)
	}
	for _, f := range []string{"ipa_code", "aoo_code", "uo_code"} {
		administration := func(v any) any {
			c := map[string]any{"role": "sender", "type": "administration", "name": "Roma Capitale", "ipa_code": "c_h501"}
			c[f] = v
			return []any{c}
		}
		l.multipart("api.Correspondent."+f, "/v1/registrations", "correspondents[0]."+f, base, "correspondents", administration, pdf)
	}
}

// inArray makes an array element of a value.
func inArray(v any) any { return []any{v} }

// json adds a probe sending base with prop set to the value (wrapped by wrap, if any).
func (l *limitProbes) json(key, method, path, field string, base map[string]any, prop string, wrap func(any) any) {
	l.probes[key] = probe{field: field, values: wrap, send: func(v any) *response {
		return l.post(method, path, with(base, prop, v))
	}}
}

// multipart adds a probe sending base as the metadata part, with prop set to the value.
func (l *limitProbes) multipart(key, path, field string, base map[string]any, prop string, wrap func(any) any, parts []apptest.Part) {
	l.probes[key] = probe{field: field, values: wrap, send: func(v any) *response {
		ct, body := apptest.Multipart(with(base, prop, v), parts...)
		return plain(l.t, l.s, "POST", path, l.staff, body, "Content-Type", ct)
	}}
}

func (l *limitProbes) post(method, path string, body any) *response {
	raw, err := json.Marshal(body)
	if err != nil {
		l.t.Fatal(err)
	}
	return plain(l.t, l.s, method, path, l.staff, bytes.NewReader(raw), "Content-Type", "application/json")
}

// with returns a copy of base with prop set to v.
func with(base map[string]any, prop string, v any) map[string]any {
	out := make(map[string]any, len(base)+1)
	for k, x := range base {
		out[k] = x
	}
	out[prop] = v
	return out
}

// parameterProbe probes a parameter, named `METHOD path in name`: it sends the request with
// the registration of the probes in the path and the value in place. Writes get an empty
// JSON body: parameters are checked before it.
func (l *limitProbes) parameterProbe(key string) (probe, bool) {
	f := strings.Fields(key)
	if len(f) != 4 {
		return probe{}, false
	}
	method, path, in, name := f[0], f[1], f[2], f[3]
	token, headers := l.staff, []string{"Content-Type", "application/json"}
	if strings.HasPrefix(path, "/v1/webhooks") {
		token, headers = l.portal, append(headers, "X-Applicant-Id", bizApplicant)
	}
	fill := strings.NewReplacer("{register}", l.ref.Register, "{year}", strconv.Itoa(l.ref.Year),
		"{number}", l.ref.NumberFormatted, "{index}", "0", "{id}", l.caseID)
	return probe{field: name, ascii: in == "header", send: func(v any) *response {
		s, p, h := fmt.Sprint(v), path, headers
		switch in {
		case "path":
			p = strings.Replace(p, "{"+name+"}", s, 1)
		case "query":
			p += "?" + name + "=" + s
		case "header":
			h = append(h, name, s)
		}
		var body io.Reader
		if method != "GET" {
			body = bytes.NewReader([]byte("{}"))
		}
		return plain(l.t, l.s, method, fill.Replace(p), token, body, h...)
	}}, true
}

// declarable reports whether openapi.yaml has the schema a probe is for: a schema another
// change is still to add to the contract is not expected to carry limits yet.
func (l *limitProbes) declarable(doc *openapi3.T, key string) bool {
	name, _, _ := strings.Cut(key, ".")
	if strings.HasPrefix(key, "api.") {
		name = "api." + strings.Split(key, ".")[1]
	}
	_, ok := doc.Components.Schemas[name]
	return ok
}

// users probes the roles and offices of POST /v1/users, each trial a fresh person, and of
// PATCH /v1/users/{id}.
func (l *limitProbes) users() {
	person := func() map[string]any {
		cf := apptest.TaxCode()
		return map[string]any{"name": "Persona", "tax_code": cf, "email": strings.ToLower(cf) + "@example.org", "roles": []string{"clerk"}}
	}
	for _, prop := range []string{"roles", "offices"} {
		l.probes["api.NewUser."+prop+"[]"] = probe{field: prop + "[0]", values: inArray, send: func(v any) *response {
			return l.post("POST", "/v1/users", with(person(), prop, v))
		}}
	}
	id := l.s.NewUser(l.t, person()).ID
	l.json("api.UserPatch.roles[]", "PATCH", "/v1/users/"+id, "roles[0]", map[string]any{}, "roles", inArray)
	l.json("api.UserPatch.offices[]", "PATCH", "/v1/users/"+id, "offices[0]", map[string]any{}, "offices", inArray)
}
