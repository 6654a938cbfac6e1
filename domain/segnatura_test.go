package domain

import (
	"reflect"
	"testing"
)

// TestSegnaturaParties checks who the segnatura names as sender and recipients: the AOO itself
// on its own side of the exchange, the first sender of an incoming registration, persons split
// into given name and surname, and administrations without an IPA code as legal persons.
func TestSegnaturaParties(t *testing.T) {
	aoo := AOO{IPACode: "c_h501", Code: "A1B2C3D", Name: "Comune"}
	self := SegnaturaParty{Kind: PartyAdministration, Name: "Comune", IPACode: "c_h501", AOOCode: "A1B2C3D"}
	t.Run("Incoming", func(t *testing.T) {
		r := &Registration{Direction: Incoming, Correspondents: []Correspondent{
			{Role: RoleSender, Type: TypePerson, Name: "Anna Maria De Luca", TaxCode: "DLCNMR80A41H501X", Email: "anna@example.org"},
			{Role: RoleSender, Type: TypeOrganization, Name: "Altro mittente"},
		}}
		sender, to := segnaturaParties(aoo, r)
		want := SegnaturaParty{Kind: PartyPerson, Name: "Anna Maria De Luca", GivenName: "Anna Maria", Surname: "De Luca",
			TaxCode: "DLCNMR80A41H501X", DigitalAddress: "anna@example.org"}
		if sender != want || !reflect.DeepEqual(to, []SegnaturaParty{self}) {
			t.Fatalf("sender %+v, recipients %+v", sender, to)
		}
	})
	t.Run("Outgoing", func(t *testing.T) {
		r := &Registration{Direction: Outgoing, Correspondents: []Correspondent{
			{Role: RoleSender, Type: TypePerson, Name: "Funzionario"},
			{Role: RoleRecipient, Type: TypeAdministration, Name: "Regione", Email: "regione@pec.example.org"},
		}}
		sender, to := segnaturaParties(aoo, r)
		want := SegnaturaParty{Kind: PartyOrganization, Name: "Regione", DigitalAddress: "regione@pec.example.org"}
		if sender != self || !reflect.DeepEqual(to, []SegnaturaParty{want}) {
			t.Fatalf("sender %+v, recipients %+v", sender, to)
		}
	})
	t.Run("OneWordName", func(t *testing.T) {
		if given, surname := splitName("Rossi"); given != "" || surname != "Rossi" {
			t.Fatalf("split %q %q", given, surname)
		}
	})
}

// The Riferimenti of an answer name the message answered by its sender's identifier when
// the 3.0.0 schema can carry it (a short number of an older segnatura is padded), and an
// identifier of this AOO reads back into its Ref.
func TestSegnaturaReferenceParts(t *testing.T) {
	for _, tc := range []struct {
		in   ProtocolID
		want string
		ok   bool
	}{
		{ProtocolID{IPACode: "r_lazio", AOOCode: "AOO0001", Register: "REG_UFF", Number: "0012345", Date: "2026-02-27"}, "0012345", true},
		{ProtocolID{IPACode: "r_lazio", AOOCode: "AOO0001", Register: "PG", Number: "42", Date: "2026-02-27"}, "0000042", true},
		{ProtocolID{IPACode: "r_lazio", AOOCode: "AOO0001", Register: "Registro Ufficiale", Number: "42", Date: "2026-02-27"}, "0000042", false},
		{ProtocolID{IPACode: "r_lazio", AOOCode: "AOO0001", Register: "PG", Number: "42/A", Date: "2026-02-27"}, "42/A", false},
		{ProtocolID{IPACode: "r_lazio", Register: "PG", Number: "0000042", Date: "2026-02-27"}, "0000042", false},
		{ProtocolID{IPACode: "r_lazio", AOOCode: "AOO0001", Register: "PG", Number: "0000042", Date: "27/02/2026"}, "0000042", false},
	} {
		got, ok := segnaturaID(tc.in)
		if ok != tc.ok || got.Number != tc.want {
			t.Errorf("segnaturaID(%+v) = %+v, %v; want number %s, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
	aoo := AOO{IPACode: "c_h501", Code: "A1B2C3D"}
	for id, want := range map[string]Ref{
		Identifier(aoo, "PG", 2026, 42):     {Register: "PG", Year: 2026, Number: 42},
		Identifier(aoo, "REG-UFF", 2025, 7): {Register: "REG-UFF", Year: 2025, Number: 7},
	} {
		if got, ok := refOfIdentifier(aoo, id); !ok || got != want {
			t.Errorf("refOfIdentifier(%s) = %+v, %v", id, got, ok)
		}
	}
	if _, ok := refOfIdentifier(aoo, "r_lazio-AOO0001-PG-2026-0000042"); ok {
		t.Error("another AOO's identifier was read as ours")
	}
}
