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
