package api

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/sportello/sportello/domain"
)

// metadataSeeds are metadata parts as clients send them (see the registration tests); more,
// malformed ones are in testdata/fuzz/FuzzRegistrationMetadata.
var metadataSeeds = []string{
	`{"direction":"incoming","channel":"web","subject":"Richiesta di permesso di costruire","correspondents":[{"role":"sender","type":"person","name":"Mario Rossi","tax_code":"RSSMRA80A01H501U"}]}`,
	`{"register":"PG","direction":"incoming","channel":"pec","subject":"Istanza","correspondents":[{"role":"sender","type":"organization","name":"Edilizia Srl","tax_code":"01234567890","email":"edilizia@pec.example.it"}],"sender_reference":{"number":"77","date":"2026-11-27"},"class":"VI.3","offices":["TEC"],"attachment_descriptions":["Planimetria","Relazione"]}`,
	`{"direction":"outgoing","subject":"Risposta","correspondents":[{"role":"recipient","type":"administration","name":"Regione","address":"Via Roma 1"}],"confidential":true}`,
	`{"direction":"internal","subject":"Nota interna","correspondents":[{"role":"sender","type":"person","name":"Ufficio"}],"document_id":"0193a3f0-0000-7000-8000-000000000001"}`,
}

// FuzzRegistrationMetadata feeds the metadata part of POST /v1/registrations through what the
// handler does with it: strict decoding, the domain's input and its validation. Any input is
// either refused with a validation error naming a field, or accepted; what is accepted reads
// back the same once written out again, and a valid input stays valid (Validate only fills in
// defaults).
func FuzzRegistrationMetadata(f *testing.F) {
	for _, s := range metadataSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > fuzzMaxInput {
			return
		}
		var m RegistrationMetadata
		if err := decodeStrict(data, &m, partMetadata, metadataUnknown); err != nil {
			wantProblem(t, err, domain.ECValidation)
			return
		}
		written, err := json.Marshal(m)
		if err != nil {
			t.Fatalf("accepted metadata %+v cannot be written: %v", m, err)
		}
		var again RegistrationMetadata
		if err := decodeStrict(written, &again, partMetadata, metadataUnknown); err != nil {
			t.Fatalf("accepted metadata written as %s is refused: %v", written, err)
		}
		if rewritten, _ := json.Marshal(again); string(rewritten) != string(written) {
			t.Fatalf("metadata reads back as %s, was %s", rewritten, written)
		}

		up := upload{metadata: m}
		if m.DocumentID == "" {
			up.document = &domain.File{Filename: "a.pdf", MediaType: "application/pdf", Size: 1, SHA256: strings.Repeat("a", 64)}
		}
		in := up.registration()
		if err := in.Validate(); err != nil {
			wantProblem(t, err, domain.ECValidation)
			return
		}
		valid := in
		if err := in.Validate(); err != nil || !reflect.DeepEqual(in, valid) {
			t.Fatalf("a valid input %+v changed to %+v or was refused the second time: %v", valid, in, err)
		}
	})
}
