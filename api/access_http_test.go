package api_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sportello/sportello/api"
	"github.com/sportello/sportello/internal/app"
	"github.com/sportello/sportello/internal/apptest"
)

// The identities of the access policy, in the order of the table's columns.
const (
	asAdmin       = iota // admin
	asRecords            // records_officer
	asOperator           // protocol_operator
	asClerk              // clerk of SUAP, the office of every fixture
	asOtherClerk         // clerk of ANAG, an office no fixture involves
	asEditor             // editor of SUAP: drafts the versions of SUAP's procedures
	asPortal             // portal with X-Applicant-Id: the applicant of the fixture case
	asNoApplicant        // the same portal without X-Applicant-Id
	asImporter           // importer
	asNobody             // no token; an invalid token must get the same answer
	identities
)

var identityNames = [identities]string{"admin", "records", "operator", "clerk", "otherClerk", "editor", "portal", "noApplicant", "importer", "nobody"}

// accessRow is what the server answers each identity on one route, "METHOD path" in the
// router's syntax.
type accessRow struct {
	want  codes
	route string
}

// codes are HTTP statuses, one per identity.
type codes = [identities]int

// accessPolicy is what the server answers each identity on each route, with the minimal valid
// request accessRequest builds: one line per route of the router. A route without a line fails
// TestAccessPolicy, and so does a line for a route that is gone. Adding a route: add its line
// here and, if it needs path parameters, a body or a fresh object per request, its case in
// accessRequest. Columns: admin, records officer, protocol operator, clerk of SUAP (the office
// of every fixture), clerk of ANAG (involved in none), editor of SUAP, portal with its applicant, portal
// without X-Applicant-Id, importer, no (or an invalid) token.
var accessPolicy = []accessRow{
	//     adm  rec  op   clrk oclk edt  port none imp  anon
	{codes{200, 200, 200, 200, 200, 200, 200, 200, 200, 200}, "GET /healthz"},
	{codes{200, 200, 200, 200, 200, 200, 200, 200, 200, 200}, "GET /readyz"},
	{codes{200, 200, 200, 200, 200, 200, 200, 200, 200, 200}, "GET /metrics"},
	{codes{200, 200, 200, 200, 200, 200, 200, 200, 200, 200}, "GET /openapi.yaml"},
	{codes{301, 301, 301, 301, 301, 301, 301, 301, 301, 301}, "GET /docs"},
	{codes{200, 200, 200, 200, 200, 200, 200, 200, 200, 200}, "GET /docs/*any"},
	{codes{200, 200, 200, 200, 200, 200, 200, 200, 200, 200}, "GET /verify"},
	{codes{200, 200, 200, 200, 200, 200, 200, 200, 200, 200}, "GET /verify/*file"},
	{codes{200, 200, 200, 200, 200, 200, 200, 422, 200, 401}, "GET /v1/me"},
	{codes{200, 200, 200, 200, 200, 200, 200, 422, 200, 401}, "GET /v1/info"},
	{codes{403, 201, 201, 403, 403, 403, 403, 422, 201, 401}, "POST /v1/registrations"},
	{codes{200, 200, 200, 200, 200, 200, 200, 422, 200, 401}, "GET /v1/registrations"},
	{codes{200, 200, 200, 200, 404, 404, 200, 422, 404, 401}, "GET /v1/registrations/:register/:year/:number"},
	{codes{403, 200, 200, 403, 403, 403, 403, 422, 403, 401}, "PATCH /v1/registrations/:register/:year/:number"},
	{codes{200, 200, 200, 200, 404, 404, 200, 422, 404, 401}, "GET /v1/registrations/:register/:year/:number/document"},
	{codes{200, 200, 200, 200, 404, 404, 200, 422, 404, 401}, "GET /v1/registrations/:register/:year/:number/attachments/:index"},
	{codes{403, 200, 403, 403, 403, 403, 403, 422, 403, 401}, "POST /v1/registrations/:register/:year/:number/annulment"},
	{codes{403, 200, 403, 403, 403, 403, 403, 422, 403, 401}, "POST /v1/registrations/:register/:year/:number/confidentiality"},
	{codes{403, 201, 201, 403, 403, 403, 403, 422, 403, 401}, "POST /v1/registrations/:register/:year/:number/assignments"},
	{codes{403, 403, 403, 200, 404, 403, 403, 422, 403, 401}, "POST /v1/registrations/:register/:year/:number/assignments/:id/accept"},
	{codes{403, 403, 403, 200, 404, 403, 403, 422, 403, 401}, "POST /v1/registrations/:register/:year/:number/assignments/:id/reject"},
	{codes{403, 200, 200, 200, 200, 403, 403, 422, 403, 401}, "GET /v1/assignments"},
	{codes{200, 200, 200, 200, 404, 404, 200, 422, 404, 401}, "GET /v1/registrations/:register/:year/:number/history"},
	{codes{200, 200, 200, 200, 404, 404, 200, 422, 404, 401}, "GET /v1/registrations/:register/:year/:number/receipt"},
	{codes{200, 200, 200, 200, 404, 404, 200, 422, 404, 401}, "GET /v1/registrations/:register/:year/:number/segnatura"},
	{codes{200, 200, 200, 200, 404, 404, 200, 422, 404, 401}, "GET /v1/registrations/:register/:year/:number/metadata"},
	{codes{403, 409, 409, 403, 403, 403, 403, 422, 403, 401}, "POST /v1/registrations/:register/:year/:number/dispatches"},
	{codes{200, 200, 200, 200, 404, 404, 200, 422, 404, 401}, "GET /v1/registrations/:register/:year/:number/dispatches"},
	{codes{404, 404, 404, 404, 404, 404, 404, 422, 404, 401}, "GET /v1/registrations/:register/:year/:number/dispatches/:id/receipts/:receipt_id"},
	{codes{403, 201, 201, 403, 403, 403, 403, 422, 403, 401}, "POST /v1/documents"},
	{codes{200, 200, 200, 200, 404, 404, 404, 422, 404, 401}, "GET /v1/documents/:id"},
	{codes{200, 200, 200, 200, 404, 404, 404, 422, 404, 401}, "GET /v1/documents/:id/content"},
	{codes{200, 200, 200, 200, 404, 404, 404, 422, 404, 401}, "GET /v1/documents/:id/metadata"},
	{codes{200, 200, 200, 200, 200, 200, 200, 422, 200, 401}, "GET /v1/search"},
	{codes{200, 200, 200, 200, 200, 200, 200, 422, 200, 401}, "GET /v1/log/checkpoint"},
	{codes{422, 422, 422, 422, 422, 422, 422, 422, 422, 401}, "GET /v1/log/proofs/inclusion"},
	{codes{422, 422, 422, 422, 422, 422, 422, 422, 422, 401}, "GET /v1/log/proofs/consistency"},
	{codes{200, 200, 200, 200, 200, 200, 200, 422, 200, 401}, "GET /v1/registers"},
	{codes{201, 403, 403, 403, 403, 403, 403, 422, 403, 401}, "POST /v1/registers"},
	{codes{403, 200, 403, 403, 403, 403, 403, 422, 403, 401}, "GET /v1/registers/:code/journals"},
	{codes{403, 404, 403, 403, 403, 403, 403, 422, 403, 401}, "GET /v1/registers/:code/journals/:date"},
	{codes{200, 200, 200, 403, 403, 403, 403, 422, 200, 401}, "GET /v1/registers/:code/emergencies"},
	{codes{201, 201, 403, 403, 403, 403, 403, 422, 403, 401}, "POST /v1/registers/:code/emergencies"},
	{codes{200, 200, 200, 403, 403, 403, 403, 422, 200, 401}, "GET /v1/registers/:code/emergencies/:id"},
	{codes{403, 201, 201, 403, 403, 403, 403, 422, 201, 401}, "POST /v1/registers/:code/emergencies/:id/entries"},
	{codes{200, 200, 200, 200, 200, 200, 200, 422, 200, 401}, "GET /v1/classes"},
	{codes{201, 403, 403, 403, 403, 403, 403, 422, 403, 401}, "POST /v1/classes"},
	{codes{200, 200, 200, 200, 200, 200, 200, 422, 200, 401}, "GET /v1/classes/:code"},
	{codes{200, 403, 403, 403, 403, 403, 403, 422, 403, 401}, "POST /v1/classes/:code/close"},
	{codes{200, 200, 403, 403, 403, 403, 403, 422, 403, 401}, "PATCH /v1/classes/:code"},
	{codes{200, 200, 403, 403, 403, 403, 403, 422, 403, 401}, "GET /v1/classes/:code/history"},
	{codes{200, 200, 403, 403, 403, 403, 403, 422, 403, 401}, "POST /v1/classes/retention"},
	{codes{403, 201, 201, 201, 403, 403, 403, 422, 403, 401}, "POST /v1/dossiers"},
	{codes{200, 200, 200, 200, 200, 200, 200, 422, 200, 401}, "GET /v1/dossiers"},
	{codes{200, 200, 200, 200, 404, 200, 404, 422, 404, 401}, "GET /v1/dossiers/:id"},
	{codes{200, 200, 200, 200, 404, 200, 404, 422, 404, 401}, "GET /v1/dossiers/:id/history"},
	{codes{200, 200, 200, 200, 404, 200, 404, 422, 404, 401}, "GET /v1/dossiers/:id/metadata"},
	{codes{403, 200, 200, 200, 404, 403, 403, 422, 403, 401}, "POST /v1/dossiers/:id/items"},
	{codes{403, 200, 200, 200, 404, 403, 403, 422, 403, 401}, "PATCH /v1/dossiers/:id"},
	{codes{403, 200, 200, 200, 404, 403, 403, 422, 403, 401}, "POST /v1/dossiers/:id/close"},
	{codes{403, 200, 403, 403, 403, 403, 403, 422, 403, 401}, "POST /v1/dossiers/:id/reopen"},
	{codes{403, 200, 403, 403, 403, 403, 403, 422, 403, 401}, "GET /v1/disposal/due"},
	{codes{403, 409, 403, 403, 403, 403, 403, 422, 403, 401}, "POST /v1/disposals"},
	{codes{403, 404, 403, 403, 403, 403, 403, 422, 403, 401}, "GET /v1/disposals/:id"},
	{codes{403, 200, 403, 403, 403, 403, 403, 422, 403, 401}, "GET /v1/holds"},
	{codes{403, 201, 403, 403, 403, 403, 403, 422, 403, 401}, "POST /v1/holds"},
	{codes{200, 200, 403, 403, 403, 403, 403, 422, 403, 401}, "GET /v1/archive/fixity"},
	{codes{403, 200, 403, 403, 403, 403, 403, 422, 403, 401}, "GET /v1/audit"},
	{codes{403, 200, 403, 403, 403, 403, 403, 422, 403, 401}, "GET /v1/audit/export"},
	{codes{200, 200, 403, 403, 403, 403, 403, 422, 403, 401}, "GET /v1/archive/packages"},
	{codes{202, 202, 403, 403, 403, 403, 403, 422, 403, 401}, "POST /v1/archive/packages"},
	{codes{404, 404, 403, 403, 403, 403, 403, 422, 403, 401}, "GET /v1/archive/packages/:id"},
	{codes{404, 404, 403, 403, 403, 403, 403, 422, 403, 401}, "GET /v1/archive/packages/:id/content"},
	{codes{404, 404, 403, 403, 403, 403, 403, 422, 403, 401}, "GET /v1/archive/packages/:id/report"},
	{codes{403, 404, 403, 403, 403, 403, 403, 422, 403, 401}, "POST /v1/archive/packages/:id/report"},
	{codes{403, 200, 403, 403, 403, 403, 403, 422, 403, 401}, "POST /v1/holds/:id/release"},
	{codes{403, 403, 403, 403, 403, 403, 201, 422, 403, 401}, "POST /v1/cases"},
	{codes{200, 200, 200, 200, 200, 200, 200, 422, 200, 401}, "GET /v1/cases"},
	{codes{404, 200, 200, 200, 404, 404, 200, 422, 404, 401}, "GET /v1/cases/:id"},
	{codes{403, 200, 403, 200, 404, 403, 403, 422, 403, 401}, "POST /v1/cases/:id/transitions"},
	{codes{404, 201, 403, 201, 404, 404, 201, 422, 404, 401}, "POST /v1/cases/:id/messages"},
	{codes{404, 200, 200, 200, 404, 404, 200, 422, 404, 401}, "GET /v1/cases/:id/messages"},
	{codes{403, 200, 403, 403, 404, 403, 403, 422, 403, 401}, "POST /v1/cases/:id/steps/:index/done"},
	{codes{403, 403, 403, 403, 403, 403, 201, 422, 403, 401}, "POST /v1/webhooks"},
	{codes{403, 201, 201, 201, 201, 403, 403, 422, 403, 401}, "POST /v1/assignments/webhook"},
	{codes{403, 403, 403, 403, 403, 403, 200, 422, 403, 401}, "GET /v1/webhooks/deliveries"},
	{codes{200, 200, 200, 200, 200, 200, 200, 422, 200, 401}, "GET /v1/procedures"},
	{codes{201, 403, 403, 403, 403, 403, 403, 422, 403, 401}, "POST /v1/procedures"},
	{codes{200, 200, 200, 200, 200, 200, 200, 422, 200, 401}, "GET /v1/procedures/:code"},
	{codes{200, 200, 200, 200, 200, 200, 200, 422, 200, 401}, "GET /v1/procedures/:code/versions"},
	{codes{201, 403, 403, 403, 403, 201, 403, 422, 403, 401}, "POST /v1/procedures/:code/versions"},
	{codes{200, 200, 200, 200, 200, 200, 200, 422, 200, 401}, "GET /v1/procedures/:code/versions/:version"},
	{codes{403, 200, 403, 403, 403, 403, 403, 422, 403, 401}, "POST /v1/procedures/:code/versions/:version/publish"},
	{codes{200, 200, 403, 200, 200, 200, 403, 422, 403, 401}, "GET /v1/stats/procedures"},
	{codes{200, 200, 200, 403, 403, 403, 403, 422, 403, 401}, "GET /v1/stats/registrations"},
	{codes{200, 200, 200, 200, 200, 200, 200, 422, 200, 401}, "GET /v1/offices"},
	{codes{201, 403, 403, 403, 403, 403, 403, 422, 403, 401}, "POST /v1/offices"},
	{codes{201, 403, 403, 403, 403, 403, 403, 422, 403, 401}, "POST /v1/clients"},
	{codes{200, 200, 200, 200, 200, 200, 403, 422, 200, 401}, "GET /v1/directory"},
	{codes{201, 403, 403, 403, 403, 403, 403, 422, 403, 401}, "POST /v1/directory/imports"},
	{codes{403, 202, 202, 403, 403, 403, 403, 422, 202, 401}, "POST /v1/imports"},
	{codes{200, 200, 200, 403, 403, 403, 403, 422, 200, 401}, "GET /v1/imports"},
	{codes{200, 404, 404, 404, 404, 404, 404, 422, 200, 401}, "GET /v1/imports/:id"},
	{codes{404, 404, 404, 404, 404, 404, 404, 422, 404, 401}, "POST /v1/imports/:id/cancel"},
	{codes{403, 200, 200, 403, 403, 403, 403, 422, 403, 401}, "GET /v1/inbox"},
	{codes{403, 404, 404, 403, 403, 403, 403, 422, 403, 401}, "GET /v1/inbox/:id"},
	{codes{403, 404, 404, 403, 403, 403, 403, 422, 403, 401}, "POST /v1/inbox/:id/register"},
	{codes{403, 404, 404, 403, 403, 403, 403, 422, 403, 401}, "POST /v1/inbox/:id/discard"},
	{codes{200, 403, 403, 403, 403, 403, 403, 422, 403, 401}, "GET /v1/clients"},
	{codes{201, 403, 403, 403, 403, 403, 403, 422, 403, 401}, "POST /v1/clients/:id/keys"},
	{codes{200, 403, 403, 403, 403, 403, 403, 422, 403, 401}, "POST /v1/clients/:id/keys/:key_id/revoke"},
	{codes{201, 403, 403, 403, 403, 403, 403, 422, 403, 401}, "POST /v1/users"},
	{codes{200, 403, 403, 403, 403, 403, 403, 422, 403, 401}, "GET /v1/users"},
	{codes{200, 403, 403, 403, 403, 403, 403, 422, 403, 401}, "GET /v1/users/:id"},
	{codes{200, 403, 403, 403, 403, 403, 403, 422, 403, 401}, "PATCH /v1/users/:id"},
	{codes{200, 403, 403, 403, 403, 403, 403, 422, 403, 401}, "POST /v1/users/:id/deactivate"},
	{codes{201, 403, 403, 403, 403, 403, 403, 422, 403, 401}, "POST /v1/users/:id/keys"},
}

// noMessage names no received message: the test server reads no mailbox, so the inbox's
// routes answer those who may use them 404.
const noMessage = "00000000-0000-7000-8000-000000000000"

// accessFixtures are the objects the requests point to, built once.
type accessFixtures struct {
	s       *apptest.Server
	c       *client
	tokens  [identities]string
	caseReg api.Registration // the submission of caseID: SUAP's, shared with the portal's applicant
	opReg   api.Registration // registered by the operator for SUAP
	caseID  string
	dossier api.Dossier // SUAP's
	doc     api.Document
	// importID is an import of the importer, made at its first use.
	importID string
}

// accessRequest is one request of the table.
type accessRequest struct {
	path        string
	contentType string
	body        []byte
}

func jsonRequest(path string, v any) accessRequest {
	b, _ := json.Marshal(v)
	return accessRequest{path: path, contentType: "application/json", body: b}
}

func multipartRequest(path string, metadata any, parts ...apptest.Part) accessRequest {
	ct, r := apptest.Multipart(metadata, parts...)
	b, _ := io.ReadAll(r)
	return accessRequest{path: path, contentType: ct, body: b}
}

// request builds the request of route for one identity; objects a request changes are made
// afresh for it, so that no cell depends on another.
func (fx *accessFixtures) request(t *testing.T, route string) accessRequest {
	_, path, _ := strings.Cut(route, " ")
	reg := refPath(fx.caseReg)
	switch route {
	case "GET /docs/*any":
		return accessRequest{path: "/docs/index.html"}
	case "GET /verify/*file":
		return accessRequest{path: "/verify/verify.wasm"}
	case "POST /v1/registrations":
		meta := apptest.Incoming("Richiesta di accesso agli atti")
		meta["offices"] = []string{"SUAP"}
		return multipartRequest(path, meta, apptest.Part{Name: "document", Filename: "a.pdf", Content: apptest.PDF("accesso")})
	case "GET /v1/registrations/:register/:year/:number":
		return accessRequest{path: reg}
	case "PATCH /v1/registrations/:register/:year/:number":
		return jsonRequest(refPath(fx.opReg), map[string]any{"offices": []string{"SUAP"}})
	case "GET /v1/registrations/:register/:year/:number/document":
		return accessRequest{path: reg + "/document"}
	case "GET /v1/registrations/:register/:year/:number/attachments/:index":
		return accessRequest{path: reg + "/attachments/0"}
	case "POST /v1/registrations/:register/:year/:number/annulment":
		fresh := fx.register(t)
		return jsonRequest(refPath(fresh)+"/annulment", map[string]string{"reason": "Errore materiale", "authorization": "Decreto 1/2026"})
	case "POST /v1/registrations/:register/:year/:number/confidentiality":
		fresh := fx.register(t)
		return jsonRequest(refPath(fresh)+"/confidentiality", map[string]any{"confidential": true, "reason": "Dati sanitari"})
	case "POST /v1/registrations/:register/:year/:number/assignments":
		fresh := fx.register(t)
		return jsonRequest(refPath(fresh)+"/assignments", map[string]any{"competenza": map[string]string{"office": "SUAP"}})
	case "POST /v1/registrations/:register/:year/:number/assignments/:id/accept":
		fresh, id := fx.assign(t)
		return jsonRequest(refPath(fresh)+"/assignments/"+id+"/accept", map[string]any{})
	case "POST /v1/registrations/:register/:year/:number/assignments/:id/reject":
		fresh, id := fx.assign(t)
		return jsonRequest(refPath(fresh)+"/assignments/"+id+"/reject", map[string]string{"reason": "Non di competenza"})
	case "GET /v1/registrations/:register/:year/:number/history":
		return accessRequest{path: reg + "/history"}
	case "GET /v1/registrations/:register/:year/:number/receipt":
		return accessRequest{path: reg + "/receipt"}
	case "GET /v1/registrations/:register/:year/:number/segnatura":
		return accessRequest{path: reg + "/segnatura"}
	case "GET /v1/registrations/:register/:year/:number/metadata":
		return accessRequest{path: reg + "/metadata"}
	case "POST /v1/registrations/:register/:year/:number/dispatches":
		return jsonRequest(reg+"/dispatches", map[string]any{}) // the submission is incoming: 409 to who may dispatch
	case "GET /v1/registrations/:register/:year/:number/dispatches":
		return accessRequest{path: reg + "/dispatches"}
	case "GET /v1/registrations/:register/:year/:number/dispatches/:id/receipts/:receipt_id":
		return accessRequest{path: reg + "/dispatches/0193a2c4-7b1e-7cde-9f00-1234567890ab/receipts/0193a2c4-7b1e-7cde-9f00-1234567890ac"}
	case "POST /v1/documents":
		return multipartRequest(path, map[string]any{"subject": "Bozza", "class": "VI.3", "offices": []string{"SUAP"}},
			apptest.Part{Name: "document", Filename: "b.pdf", Content: apptest.PDF("bozza")})
	case "GET /v1/documents/:id":
		return accessRequest{path: "/v1/documents/" + fx.doc.ID}
	case "GET /v1/documents/:id/content":
		return accessRequest{path: "/v1/documents/" + fx.doc.ID + "/content"}
	case "GET /v1/documents/:id/metadata":
		return accessRequest{path: "/v1/documents/" + fx.doc.ID + "/metadata"}
	case "GET /v1/log/proofs/inclusion":
		return accessRequest{path: path + "?index=0&size=0"}
	case "GET /v1/log/proofs/consistency":
		return accessRequest{path: path + "?from=0&to=0"}
	case "POST /v1/registers":
		return jsonRequest(path, map[string]any{"code": "DELIB", "name": "Registro delle deliberazioni"})
	case "GET /v1/registers/:code/journals":
		return accessRequest{path: "/v1/registers/PG/journals"}
	case "GET /v1/registers/:code/journals/:date":
		return accessRequest{path: "/v1/registers/PG/journals/2020-01-02"}
	case "GET /v1/registers/:code/emergencies":
		return accessRequest{path: "/v1/registers/PG/emergencies"}
	case "POST /v1/registers/:code/emergencies":
		return jsonRequest("/v1/registers/PG/emergencies", newOutageBody())
	case "GET /v1/registers/:code/emergencies/:id":
		return accessRequest{path: "/v1/registers/PG/emergencies/" + fx.outage(t).ID}
	case "POST /v1/registers/:code/emergencies/:id/entries":
		o := fx.outage(t)
		return jsonRequest("/v1/registers/PG/emergencies/"+o.ID+"/entries",
			map[string]any{"entries": []any{emergencyEntry(1, o.Start.Format(time.DateOnly))}})
	case "POST /v1/classes":
		return jsonRequest(path, map[string]any{"code": "XV", "title": "Gemellaggi"})
	case "GET /v1/classes/:code":
		return accessRequest{path: "/v1/classes/VI.3"}
	case "POST /v1/classes/:code/close":
		return jsonRequest("/v1/classes/VI.1/close", map[string]any{"from": "2099-01-01", "reason": "Riordino"})
	case "PATCH /v1/classes/:code":
		return accessRequest{path: "/v1/classes/VI.2", contentType: "application/merge-patch+json", body: []byte(`{"retention_years": 10}`)}
	case "GET /v1/classes/:code/history":
		return accessRequest{path: "/v1/classes/VI.2/history"}
	case "POST /v1/classes/retention":
		return accessRequest{path: path + "?reason=Piano", contentType: "text/csv", body: []byte("code,retention_years\nVI.2,permanent\n")}
	case "POST /v1/dossiers":
		return jsonRequest(path, map[string]any{"class": "VI.3", "subject": "Lavori", "type": "affare", "office": "SUAP"})
	case "GET /v1/dossiers/:id":
		return accessRequest{path: "/v1/dossiers/" + fx.dossier.ID}
	case "GET /v1/dossiers/:id/history":
		return accessRequest{path: "/v1/dossiers/" + fx.dossier.ID + "/history"}
	case "GET /v1/dossiers/:id/metadata":
		return accessRequest{path: "/v1/dossiers/" + fx.dossier.ID + "/metadata"}
	case "POST /v1/dossiers/:id/items":
		d := fx.openDossier(t)
		return jsonRequest("/v1/dossiers/"+d.ID+"/items", map[string]string{"registration": strings.TrimPrefix(refPath(fx.opReg), "/v1/registrations/")})
	case "PATCH /v1/dossiers/:id":
		return accessRequest{path: "/v1/dossiers/" + fx.openDossier(t).ID, contentType: "application/merge-patch+json", body: []byte(`{"responsible": ""}`)}
	case "POST /v1/dossiers/:id/close":
		return jsonRequest("/v1/dossiers/"+fx.openDossier(t).ID+"/close", map[string]string{"reason": "Concluso"})
	case "POST /v1/dossiers/:id/reopen":
		d := fx.openDossier(t)
		fx.c.json("POST", "/v1/dossiers/"+d.ID+"/close", fx.tokens[asOperator], map[string]string{"reason": "Concluso"}).expect(t, http.StatusOK)
		return jsonRequest("/v1/dossiers/"+d.ID+"/reopen", map[string]string{"reason": "Ricorso"})
	case "POST /v1/disposals":
		return jsonRequest(path, map[string]any{"authorization": "Soprintendenza, prot. 1/2026", "items": []string{refPath(fx.opReg)[len("/v1/registrations/"):]}})
	case "POST /v1/archive/packages":
		return jsonRequest(path, map[string]any{"registrations": []string{strings.TrimPrefix(refPath(fx.opReg), "/v1/registrations/")}})
	case "GET /v1/archive/packages/:id":
		return accessRequest{path: "/v1/archive/packages/01a24ad3-0000-7000-8000-000000000000"}
	case "GET /v1/archive/packages/:id/content":
		return accessRequest{path: "/v1/archive/packages/01a24ad3-0000-7000-8000-000000000000/content"}
	case "GET /v1/archive/packages/:id/report":
		return accessRequest{path: "/v1/archive/packages/01a24ad3-0000-7000-8000-000000000000/report"}
	case "POST /v1/archive/packages/:id/report":
		return multipartRequest("/v1/archive/packages/01a24ad3-0000-7000-8000-000000000000/report",
			map[string]any{"outcome": "refused", "reason": "Indice non valido"})
	case "GET /v1/disposals/:id":
		return accessRequest{path: "/v1/disposals/01a24ad3-0000-7000-8000-000000000000"}
	case "POST /v1/holds":
		return jsonRequest(path, map[string]any{"class": "VI.3", "reason": "Contenzioso", "reference": "TAR 1/2026"})
	case "POST /v1/holds/:id/release":
		return jsonRequest("/v1/holds/"+fx.hold(t)+"/release", map[string]string{"reason": "Sentenza"})
	case "POST /v1/cases":
		return multipartRequest(path, sciaMetadata(), sciaParts()...)
	case "GET /v1/cases/:id":
		return accessRequest{path: "/v1/cases/" + fx.caseID}
	case "POST /v1/cases/:id/transitions":
		return jsonRequest("/v1/cases/"+fx.submit(t)+"/transitions", map[string]string{"to": "in_progress"})
	case "POST /v1/cases/:id/messages":
		return multipartRequest("/v1/cases/"+fx.caseID+"/messages", map[string]string{"text": "Chiarimento"})
	case "GET /v1/cases/:id/messages":
		return accessRequest{path: "/v1/cases/" + fx.caseID + "/messages"}
	case "POST /v1/cases/:id/steps/:index/done":
		return jsonRequest("/v1/cases/"+fx.submit(t)+"/steps/0/done", map[string]string{"note": "Parere favorevole"})
	case "POST /v1/assignments/webhook":
		return jsonRequest(path, map[string]string{"url": "https://protocollo.example.org/hooks/assignments"})
	case "POST /v1/webhooks":
		return jsonRequest(path, map[string]string{"url": "https://portal.example/hook"})
	case "POST /v1/procedures":
		return jsonRequest(path, map[string]any{"code": "passo-carrabile", "name": "Passo carrabile", "audience": "both",
			"description": "Autorizzazione", "required_documents": []any{}, "form_schema": map[string]any{"type": "object"},
			"office": "SUAP", "class": "VI.3", "deadline_days": 30})
	case "GET /v1/procedures/:code":
		return accessRequest{path: "/v1/procedures/" + sciaProcedure}
	case "GET /v1/procedures/:code/versions":
		return accessRequest{path: "/v1/procedures/" + sciaProcedure + "/versions"}
	case "POST /v1/procedures/:code/versions":
		return jsonRequest("/v1/procedures/"+sciaProcedure+"/versions", fx.c.versionBody(fx.tokens[asAdmin], sciaProcedure, nil))
	case "GET /v1/procedures/:code/versions/:version":
		return accessRequest{path: "/v1/procedures/" + sciaProcedure + "/versions/1"}
	case "POST /v1/procedures/:code/versions/:version/publish":
		var draft api.Procedure
		fx.c.json("POST", "/v1/procedures/"+sciaProcedure+"/versions", fx.tokens[asAdmin], fx.c.versionBody(fx.tokens[asAdmin], sciaProcedure, nil)).
			decode(t, http.StatusCreated, &draft)
		return jsonRequest(fmt.Sprintf("/v1/procedures/%s/versions/%d/publish", sciaProcedure, draft.Version), map[string]string{"note": "Approvata"})
	case "POST /v1/offices":
		return jsonRequest(path, map[string]string{"code": "RAG", "name": "Ragioneria"})
	case "POST /v1/clients":
		return jsonRequest(path, map[string]any{"name": "Portale imprese", "roles": []string{"portal"}})
	case "POST /v1/directory/imports":
		return accessRequest{path: path + "?kind=administrations", contentType: "text/csv",
			body: []byte("Codice_IPA,Denominazione_ente\nc_h501,Roma Capitale\n")}
	case "POST /v1/imports":
		ct, body := importBody(accessImportZip(t))
		return accessRequest{path: path, contentType: ct, body: body}
	case "GET /v1/imports/:id":
		if fx.importID == "" {
			ct, body := importBody(accessImportZip(t))
			var im api.Import
			fx.c.do("POST", "/v1/imports", fx.tokens[asImporter], bytes.NewReader(body), "Content-Type", ct).
				decode(t, http.StatusAccepted, &im)
			fx.importID = im.ID
		}
		return accessRequest{path: "/v1/imports/" + fx.importID}
	case "POST /v1/imports/:id/cancel":
		return accessRequest{path: "/v1/imports/" + noMessage + "/cancel"} // none: an import's cancel is in TestImportServerSide
	case "GET /v1/inbox/:id":
		return accessRequest{path: "/v1/inbox/" + noMessage}
	case "POST /v1/inbox/:id/register":
		return jsonRequest("/v1/inbox/"+noMessage+"/register", map[string]any{})
	case "POST /v1/inbox/:id/discard":
		return jsonRequest("/v1/inbox/"+noMessage+"/discard", map[string]any{"reason": "pubblicità"})
	case "POST /v1/clients/:id/keys":
		id, _ := fx.newClient(t)
		return jsonRequest("/v1/clients/"+id+"/keys", map[string]any{"grace_seconds": 0})
	case "POST /v1/clients/:id/keys/:key_id/revoke":
		id, key := fx.newClient(t)
		return accessRequest{path: "/v1/clients/" + id + "/keys/" + key + "/revoke"}
	case "POST /v1/users":
		return jsonRequest("/v1/users", newUserFields())
	case "GET /v1/users/:id":
		return accessRequest{path: "/v1/users/" + fx.newUser(t)}
	case "PATCH /v1/users/:id":
		return jsonRequest("/v1/users/"+fx.newUser(t), map[string]any{"roles": []string{"clerk", "protocol_operator"}})
	case "POST /v1/users/:id/deactivate":
		return accessRequest{path: "/v1/users/" + fx.newUser(t) + "/deactivate"}
	case "POST /v1/users/:id/keys":
		return jsonRequest("/v1/users/"+fx.newUser(t)+"/keys", map[string]any{"grace_seconds": 0})
	}
	if strings.Contains(path, ":") || strings.Contains(path, "*") {
		t.Fatalf("%s has path parameters: give it a case in accessRequest", route)
	}
	return accessRequest{path: path}
}

// register registers a fresh document for SUAP as the operator.
func (fx *accessFixtures) register(t *testing.T) api.Registration {
	t.Helper()
	meta := apptest.Incoming("Istanza generica")
	meta["offices"] = []string{"SUAP"}
	var r api.Registration
	fx.c.register(fx.tokens[asOperator], meta, []apptest.Part{{Name: "document", Filename: "a.pdf", Content: apptest.PDF("istanza")}}).
		decode(t, http.StatusCreated, &r)
	return r
}

// assign registers a fresh document for SUAP and assigns it per competenza to SUAP as the
// operator; it returns the registration and the assignment's id.
func (fx *accessFixtures) assign(t *testing.T) (api.Registration, string) {
	t.Helper()
	r := fx.register(t)
	var made api.Assignments
	fx.c.json("POST", refPath(r)+"/assignments", fx.tokens[asOperator], map[string]any{"competenza": map[string]string{"office": "SUAP"}}).
		decode(t, http.StatusCreated, &made)
	return r, made.Items[0].ID
}

// openDossier opens a fresh dossier of SUAP as the operator.
func (fx *accessFixtures) openDossier(t *testing.T) api.Dossier {
	t.Helper()
	var d api.Dossier
	fx.c.json("POST", "/v1/dossiers", fx.tokens[asOperator], map[string]any{"class": "VI.3", "subject": "Lavori", "type": "affare", "office": "SUAP"}).
		decode(t, http.StatusCreated, &d)
	return d
}

// submit submits a fresh SCIA (SUAP's, with PM's step active) and returns the case's id.
func (fx *accessFixtures) submit(t *testing.T) string {
	t.Helper()
	return fx.c.mustSubmitSCIA(fx.tokens[asPortal], bizApplicant).ID
}

// newClient creates a fresh importer client as the admin and returns its id and its key's id
// (the middle of its token, spt_<key id>_<secret>).
func (fx *accessFixtures) newClient(t *testing.T) (id, keyID string) {
	t.Helper()
	var c api.CreatedClient
	fx.c.json("POST", "/v1/clients", fx.tokens[asAdmin], map[string]any{"name": "Importatore", "roles": []string{"importer"}}).
		decode(t, http.StatusCreated, &c)
	keyID, _, _ = strings.Cut(strings.TrimPrefix(c.Token, "spt_"), "_")
	return c.ID, keyID
}

// newUserFields is the body of a fresh staff user: a tax code and e-mail no other has.
func newUserFields() map[string]any {
	cf := apptest.TaxCode()
	return map[string]any{"name": "Maria Bianchi", "tax_code": cf, "email": strings.ToLower(cf) + "@comune.example.it",
		"roles": []string{"clerk"}, "offices": []string{"SUAP"}}
}

// newUser creates a fresh staff user as the admin and returns its id.
func (fx *accessFixtures) newUser(t *testing.T) string {
	t.Helper()
	return fx.s.NewUser(t, newUserFields()).ID
}

// hold places a fresh legal hold on VI.3 as the records officer and returns its id.
func (fx *accessFixtures) hold(t *testing.T) string {
	t.Helper()
	var h api.Hold
	fx.c.json("POST", "/v1/holds", fx.tokens[asRecords], map[string]any{"class": "VI.3", "reason": "Contenzioso", "reference": "TAR 1/2026"}).
		decode(t, http.StatusCreated, &h)
	return h.ID
}

func newAccessFixtures(t *testing.T, s *apptest.Server) *accessFixtures {
	c := newClient(t, s)
	fx := &accessFixtures{s: s, c: c}
	fx.tokens[asAdmin] = s.AdminToken
	fx.tokens[asRecords] = s.NewClient(t, "records", []string{"records_officer"})
	fx.tokens[asOperator] = s.NewClient(t, "operator", []string{"protocol_operator"})
	fx.tokens[asClerk] = s.NewClient(t, "clerk SUAP", []string{"clerk"}, "SUAP")
	fx.tokens[asOtherClerk] = s.NewClient(t, "clerk ANAG", []string{"clerk"}, "ANAG")
	fx.tokens[asEditor] = s.NewClient(t, "editor SUAP", []string{"editor"}, "SUAP")
	fx.tokens[asPortal] = s.NewClient(t, "portal", []string{"portal"})
	fx.tokens[asNoApplicant] = fx.tokens[asPortal]
	fx.tokens[asImporter] = s.NewClient(t, "importer", []string{"importer"})
	cs := c.mustSubmitSCIA(fx.tokens[asPortal], bizApplicant)
	fx.caseID, fx.caseReg = cs.ID, *cs.Registration
	fx.opReg = fx.register(t)
	fx.dossier = fx.openDossier(t)
	c.postDocument(fx.tokens[asOperator], map[string]any{"subject": "Bozza", "class": "VI.3", "offices": []string{"SUAP"}},
		[]apptest.Part{{Name: "document", Filename: "b.pdf", Content: apptest.PDF("bozza")}}).decode(t, http.StatusCreated, &fx.doc)
	return fx
}

// send sends req as identity who (token: the identity's, or the one given for nobody).
func (fx *accessFixtures) send(t *testing.T, method string, req accessRequest, who int, token string) int {
	t.Helper()
	r, err := http.NewRequest(method, fx.s.URL+req.path, bytes.NewReader(req.body))
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		r.Header.Set("Authorization", "Bearer "+token)
	}
	if who == asPortal {
		r.Header.Set("X-Applicant-Id", bizApplicant)
	}
	if req.contentType != "" {
		r.Header.Set("Content-Type", req.contentType)
	}
	transport := fx.c.hc.Transport // answers are checked against openapi.yaml, which holds the API
	if strings.HasPrefix(req.path, "/docs") || strings.HasPrefix(req.path, "/verify/") {
		transport = http.DefaultTransport
	}
	client := &http.Client{Transport: transport, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(r)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// TestAccessPolicy walks every route of the router with every identity and compares the
// answer with accessPolicy. ACCESS_POLICY_PRINT=1 prints the answers as table lines.
func TestAccessPolicy(t *testing.T) {
	routes := api.Routes()
	policy := map[string][identities]int{}
	for _, row := range accessPolicy {
		if _, twice := policy[row.route]; twice {
			t.Errorf("accessPolicy has two rows for %s", row.route)
		}
		policy[row.route] = row.want
	}
	for _, route := range routes {
		if _, ok := policy[route]; !ok {
			t.Errorf("route %s has no row in accessPolicy", route)
		}
	}
	for route := range policy {
		if !slices.Contains(routes, route) {
			t.Errorf("accessPolicy has a row for %s, which the router does not serve", route)
		}
	}
	print := os.Getenv("ACCESS_POLICY_PRINT") != ""
	// Invalid tokens are sent once per route: the limit on failed authentications is off here
	// (TestFailedAuthenticationLimit tests it), so that each gets 401.
	noFailureLimit := apptest.WithConfig(func(c *app.Config) { c.AuthFailLimit = 0 })
	apptest.Each(t, func(t *testing.T, s *apptest.Server) {
		fx := newAccessFixtures(t, s)
		for _, route := range routes {
			want, ok := policy[route]
			if !ok && !print {
				continue
			}
			method, _, _ := strings.Cut(route, " ")
			var got [identities]int
			for who := range identities {
				got[who] = fx.send(t, method, fx.request(t, route), who, fx.tokens[who])
				if who == asNobody {
					if invalid := fx.send(t, method, fx.request(t, route), who, "spt_0000_invalid"); invalid != got[who] {
						t.Errorf("%s: an invalid token got %d, no token %d", route, invalid, got[who])
					}
				}
			}
			if print {
				cells := make([]string, 0, identities)
				for _, status := range got {
					cells = append(cells, fmt.Sprint(status))
				}
				fmt.Printf("\t%q: {%s},\n", route, strings.Join(cells, ", "))
				continue
			}
			for who := range identities {
				if got[who] != want[who] {
					t.Errorf("%s as %s: %d, want %d", route, identityNames[who], got[who], want[who])
				}
			}
		}
	}, noFailureLimit)
}
