package apiclient_test

import (
	"bytes"
	"context"
	"net/http"
	"testing"

	"github.com/sportello/sportello/internal/apiclient"
	"github.com/sportello/sportello/internal/apptest"
)

// TestGeneratedClient drives the real server with the client generated from openapi.yaml, as a
// portal would: a protocol operator registers a document, reads the registration and its
// document back and finds it by search; a portal submits a case for its applicant. Every
// exchange also goes through the contract check.
func TestGeneratedClient(t *testing.T) {
	apptest.Each(t, func(t *testing.T, s *apptest.Server) {
		ctx := context.Background()
		operator := newClient(t, s, s.NewClient(t, "protocollo", []string{"protocol_operator"}))
		portal := newClient(t, s, s.NewClient(t, "portale", []string{"portal"}))
		pdf := apptest.PDF("Richiesta di accesso agli atti")

		taxCode, subject := "RSSMRA80A01H501U", "Richiesta di accesso agli atti"
		ct, body := apptest.Multipart(apiclient.ApiRegistrationMetadata{
			Direction: apiclient.ApiRegistrationMetadataDirectionIncoming,
			Subject:   &subject,
			Correspondents: &[]apiclient.ApiCorrespondent{{Role: apiclient.ApiCorrespondentRoleSender,
				Type: apiclient.ApiCorrespondentTypePerson, Name: "Mario Rossi", TaxCode: &taxCode}},
		}, apptest.Part{Name: "document", Filename: "richiesta.pdf", Content: pdf})
		created, err := operator.CreateRegistrationWithBodyWithResponse(ctx, nil, ct, body)
		if err != nil || created.JSON201 == nil {
			t.Fatalf("register: %v %s", err, created.Body)
		}
		reg := created.JSON201

		read, err := operator.GetRegistrationWithResponse(ctx, reg.Register, reg.Year, reg.NumberFormatted)
		if err != nil || read.JSON200 == nil {
			t.Fatalf("read back: %v %s", err, read.Body)
		}
		if read.JSON200.Id != reg.Id || read.JSON200.Subject != "Richiesta di accesso agli atti" ||
			len(read.JSON200.Correspondents) != 1 || read.JSON200.Correspondents[0].Name != "Mario Rossi" {
			t.Errorf("read back %+v, want the registration %s as created", read.JSON200, reg.Id)
		}
		content, err := operator.GetDocumentWithResponse(ctx, reg.Register, reg.Year, reg.NumberFormatted)
		if err != nil || content.StatusCode() != http.StatusOK || !bytes.Equal(content.Body, pdf) {
			t.Errorf("document: %v, status %d, %d bytes, want the %d bytes sent", err, content.StatusCode(), len(content.Body), len(pdf))
		}

		q, position := "accesso atti", reg.Position
		found, err := operator.SearchDocumentsWithResponse(ctx, &apiclient.SearchDocumentsParams{Q: &q, MinPosition: &position})
		if err != nil || found.JSON200 == nil {
			t.Fatalf("search: %v %s", err, found.Body)
		}
		if len(found.JSON200.Items) != 1 || found.JSON200.Items[0].Id != reg.Id.String() {
			t.Errorf("search %q found %+v, want the registration %s", q, found.JSON200.Items, reg.Id)
		}

		ct, body = apptest.Multipart(map[string]any{"procedure": "scia-avvio-attivita", "form": sciaForm,
			"documents": []map[string]string{{"requirement": "Planimetria dei locali"}, {"requirement": "Notifica sanitaria (Reg. CE 852/2004)"}}},
			apptest.Part{Name: "document", Filename: "planimetria.pdf", Content: apptest.PDF("planimetria")},
			apptest.Part{Name: "document", Filename: "notifica.pdf", Content: apptest.PDF("notifica sanitaria")})
		submitted, err := portal.CreateCaseWithBodyWithResponse(ctx, &apiclient.CreateCaseParams{XApplicantId: business}, ct, body)
		if err != nil || submitted.JSON201 == nil {
			t.Fatalf("submit a case: %v %s", err, submitted.Body)
		}
		if cs := submitted.JSON201; cs.Applicant != business || cs.Procedure != "scia-avvio-attivita" || cs.Registration == nil {
			t.Errorf("case %+v, want a SCIA of %s with its registration", cs, business)
		}
	})
}

// business is the applicant of the case: a partita IVA, the one the form names.
const business = "12345678903"

var sciaForm = map[string]any{
	"business": map[string]any{"name": "Bar Centrale srl", "vat_number": business, "legal_representative": "Anna Bianchi"},
	"activity": map[string]any{"type": "somministrazione", "ateco": "56.30"},
	"premises": map[string]any{"address": "Via Roma 1, Roma"},
}

// newClient returns a generated client for the server that sends token and checks each
// exchange against openapi.yaml.
func newClient(t *testing.T, s *apptest.Server, token string) *apiclient.ClientWithResponses {
	t.Helper()
	c, err := apiclient.NewClientWithResponses(s.URL,
		apiclient.WithHTTPClient(apptest.ContractClient(t, s.URL)),
		apiclient.WithRequestEditorFn(func(_ context.Context, req *http.Request) error {
			req.Header.Set("Authorization", "Bearer "+token)
			return nil
		}))
	if err != nil {
		t.Fatal(err)
	}
	return c
}
