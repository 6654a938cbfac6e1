package domain

import (
	"testing"
	"time"
)

func TestParseRef(t *testing.T) {
	cases := []struct {
		in   string
		want Ref
		ok   bool
	}{
		{"PG/2026/42", Ref{"PG", 2026, 42}, true},
		{"PG/2026/0000042", Ref{"PG", 2026, 42}, true},
		{" DEL/2025/7 ", Ref{"DEL", 2025, 7}, true},
		{"PG/2026/0", Ref{}, false},
		{"PG-2026-42", Ref{}, false},
		{"PG/26/42", Ref{}, false},
	}
	for _, c := range cases {
		got, ok := ParseRef(c.in)
		if ok != c.ok || (ok && got != c.want) {
			t.Errorf("ParseRef(%q) = %v %v, want %v %v", c.in, got, ok, c.want, c.ok)
		}
	}
}

func TestDossierIdentifier(t *testing.T) {
	for n, want := range map[int64]string{12: "2026-VI.3-000012", 999999: "2026-VI.3-999999", 1000000: "2026-VI.3-1000000"} {
		if got := DossierIdentifier(2026, "VI.3", n); got != want || !IsDossierIdentifier(got) {
			t.Errorf("DossierIdentifier(%d) = %s, want %s", n, got, want)
		}
	}
}

func TestDossierView(t *testing.T) {
	rome, _ := time.LoadLocation("Europe/Rome")
	at := time.Date(2026, 12, 31, 23, 30, 0, 0, time.UTC) // already 2027 in Rome
	reg := func(id, date string, confidential bool, cs ...Correspondent) *Registration {
		r := &Registration{ID: id, Identifier: id, Date: date, Confidential: confidential, Correspondents: cs, CreatedBy: "op"}
		if !confidential {
			r.Offices = []string{"TEC"} // the clerk of TEC sees these
		}
		return r
	}
	mario := Correspondent{Role: RoleSender, Type: TypePerson, Name: "Mario Rossi", TaxCode: "RSSMRA80A01H501U"}
	d := &Dossier{Identifier: "2026-VI.3-000001", Type: DossierAffare, Office: "TEC", Class: "VI.3", Number: 1,
		Subject: "Pratica", OpenedAt: at, Items: []DossierItem{
			{Kind: ItemRegistration, Registration: reg("b", "2026-12-02", false, mario), AddedAt: at},
			{Kind: ItemRegistration, Registration: reg("secret", "2026-12-03", true, Correspondent{Type: TypePerson, Name: "Riservato"}), AddedAt: at},
			{Kind: ItemRegistration, Registration: reg("a", "2026-12-01", false, Correspondent{Role: RoleRecipient, Type: TypePerson, Name: "MARIO ROSSI", TaxCode: "rssmra80a01h501u"}), AddedAt: at.Add(time.Hour)},
		}}
	v := d.View(Principal{ID: "clerk", Roles: []Role{RoleClerk}, Offices: []string{"TEC"}}, rome)
	m := v.Metadata
	if m.DataApertura != "2027-01-01" || len(m.Soggetti) != 1 || m.Soggetti[0].Role != "" ||
		len(m.IndiceDocumenti) != 2 || m.IndiceDocumenti[0] != "a" || m.IndiceDocumenti[1] != "b" {
		t.Errorf("metadata %+v", m)
	}
	// The confidential item is only counted: neither its identifier nor its date is shown.
	if v.HiddenItems != 1 || len(v.Index) != 2 || v.Index[0].Registration.ID != "a" || v.Index[1].Registration.ID != "b" ||
		len(v.Dates) != 2 || v.Dates[1] != "2026-12-02" {
		t.Errorf("index %+v, dates %v, hidden %d", v.Index, v.Dates, v.HiddenItems)
	}
}
