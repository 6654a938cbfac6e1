package domain

import (
	"strings"
	"testing"
)

func validInput() NewRegistration {
	return NewRegistration{
		Direction: Incoming, Channel: ChannelPEC, Subject: "Richiesta certificato di residenza",
		Correspondents: []Correspondent{{Role: RoleSender, Type: TypePerson, Name: "Mario Rossi", TaxCode: "RSSMRA80A01H501U"}},
		Document:       &File{Filename: "istanza.pdf", MediaType: "application/pdf", Size: 10, SHA256: strings.Repeat("a", 64)},
	}
}

func TestNewRegistrationValidate(t *testing.T) {
	t.Run("ValidGetsDefaults", func(t *testing.T) {
		in := validInput()
		in.Channel = ""
		if err := in.Validate(); err != nil {
			t.Fatal(err)
		}
		if in.Register != DefaultRegister || in.Channel != ChannelAPI {
			t.Fatalf("defaults: register %q channel %q", in.Register, in.Channel)
		}
	})
	cases := []struct {
		name  string
		field string
		edit  func(*NewRegistration)
	}{
		{"ErrSubjectRequired", "subject", func(in *NewRegistration) { in.Subject = "  " }},
		{"ErrSubjectTooLong", "subject", func(in *NewRegistration) { in.Subject = strings.Repeat("x", MaxSubject+1) }},
		{"ErrCorrespondentRequired", "correspondents", func(in *NewRegistration) { in.Correspondents = nil }},
		{"ErrIncomingNeedsSender", "correspondents", func(in *NewRegistration) { in.Correspondents[0].Role = RoleRecipient }},
		{"ErrOutgoingNeedsRecipient", "correspondents", func(in *NewRegistration) { in.Direction = Outgoing }},
		{"ErrCorrespondentName", "correspondents[0].name", func(in *NewRegistration) { in.Correspondents[0].Name = "" }},
		{"ErrCorrespondentType", "correspondents[0].type", func(in *NewRegistration) { in.Correspondents[0].Type = "alien" }},
		{"ErrTaxCode", "correspondents[0].tax_code", func(in *NewRegistration) { in.Correspondents[0].TaxCode = "XYZ" }},
		{"ErrEmail", "correspondents[0].email", func(in *NewRegistration) { in.Correspondents[0].Email = "not an address" }},
		{"ErrDirection", "direction", func(in *NewRegistration) { in.Direction = "sideways" }},
		{"ErrDirectionRequired", "direction", func(in *NewRegistration) { in.Direction = "" }},
		{"ErrChannel", "channel", func(in *NewRegistration) { in.Channel = "pigeon" }},
		{"ErrClass", "class", func(in *NewRegistration) { in.Class = "6.3" }},
		{"ErrDocumentRequired", "document", func(in *NewRegistration) { in.Document = nil }},
		{"ErrSenderReferenceDate", "sender_reference.date", func(in *NewRegistration) {
			in.SenderReference = &SenderReference{Number: "12", Date: "2026-02-30"}
		}},
		{"ErrAttachmentDigest", "attachments[0].sha256", func(in *NewRegistration) {
			in.Attachments = []File{{Filename: "a.txt", SHA256: "nothex"}}
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			in := validInput()
			c.edit(&in)
			err := in.Validate()
			var e *Error
			if !asError(err, &e) || e.Code != ECValidation {
				t.Fatalf("Validate() = %v, want validation_failed", err)
			}
			for _, f := range e.Fields {
				if f.Field == c.field {
					return
				}
			}
			t.Fatalf("fields %v do not name %q", e.Fields, c.field)
		})
	}
}

func asError(err error, target **Error) bool {
	e, ok := err.(*Error)
	*target = e
	return ok
}

func TestNumbering(t *testing.T) {
	aoo := AOO{IPACode: "c_h501", Code: "A1B2C3D"}
	if got := FormatNumber(42); got != "0000042" {
		t.Fatalf("FormatNumber(42) = %q", got)
	}
	if got := FormatNumber(12345678); got != "12345678" {
		t.Fatalf("FormatNumber(12345678) = %q", got)
	}
	r := &Registration{Register: "PG", Year: 2026}
	r.AssignNumber(aoo, 42)
	if r.Identifier != "c_h501-A1B2C3D-PG-2026-0000042" || r.Number != 42 {
		t.Fatalf("AssignNumber: %q %d", r.Identifier, r.Number)
	}
}

func TestVisibility(t *testing.T) {
	public := &Registration{CreatedBy: "op1", Offices: []string{"TEC"}}
	secret := &Registration{CreatedBy: "op1", Offices: []string{"TEC"}, Confidential: true}
	cases := []struct {
		name   string
		p      Principal
		public bool
		secret bool
	}{
		{"RecordsOfficerSeesAll", Principal{ID: "ro", Roles: []Role{RoleRecordsOfficer}}, true, true},
		{"OperatorSeesPublicOnly", Principal{ID: "op2", Roles: []Role{RoleProtocolOperator}}, true, false},
		{"OperatorOfOfficeSeesConfidential", Principal{ID: "op2", Roles: []Role{RoleProtocolOperator}, Offices: []string{"TEC"}}, true, true},
		{"CreatorSeesOwn", Principal{ID: "op1", Roles: []Role{RoleImporter}}, true, true},
		{"PortalWithoutApplicantSeesNothingEvenItsOwn", Principal{ID: "op1", Roles: []Role{RolePortal}}, false, false},
		{"ClerkOfOfficeSeesAssigned", Principal{ID: "c1", Roles: []Role{RoleClerk}, Offices: []string{"TEC"}}, true, true},
		{"ClerkOfOtherOfficeSeesNothing", Principal{ID: "c2", Roles: []Role{RoleClerk}, Offices: []string{"RAG"}}, false, false},
		{"PortalSeesOnlyOwn", Principal{ID: "p2", Roles: []Role{RolePortal}}, false, false},
		{"AdminSeesPublic", Principal{ID: "a", Roles: []Role{RoleAdmin}}, true, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			v := VisibilityOf(c.p)
			if got := v.Allows(public); got != c.public {
				t.Errorf("public: %v, want %v", got, c.public)
			}
			if got := v.Allows(secret); got != c.secret {
				t.Errorf("confidential: %v, want %v", got, c.secret)
			}
		})
	}
}
