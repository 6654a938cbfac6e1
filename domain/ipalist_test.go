package domain_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/sportello/sportello/domain"
)

// TestParseIPAList reads the lists in the shapes AgID publishes them and refuses bad values
// naming line and column.
func TestParseIPAList(t *testing.T) {
	roma := domain.DirectoryAdministration{IPACode: "c_h501", Name: "Roma Capitale", TaxCode: "02438750586",
		DigitalAddress: "protocollo@pec.comune.roma.it"}
	for name, text := range map[string]string{
		"Tabs":              "Codice_IPA\tDenominazione_ente\tCodice_fiscale_ente\tMail1\tTipo_Mail1\nc_h501\tRoma Capitale\t02438750586\tprotocollo@pec.comune.roma.it\tPec\n",
		"QuotedWithBOM":     "\ufeff\"Codice_IPA\",\"Denominazione_ente\",\"Codice_fiscale_ente\",\"Mail1\",\"Tipo_Mail1\"\r\n\"c_h501\",\"Roma Capitale\",\"02438750586\",\"protocollo@pec.comune.roma.it\",\"Pec\"\r\n",
		"SemicolonsAnyCase": "codice_ipa;DENOMINAZIONE_ENTE;Codice_Fiscale_Ente;Altro;mail1;tipo_mail1\nc_h501;Roma Capitale;02438750586;x;protocollo@pec.comune.roma.it;pec\n",
		"PECAfterOtherMail": "Codice_IPA,Denominazione_ente,Codice_fiscale_ente,Mail1,Tipo_Mail1,Mail2,Tipo_Mail2\nc_h501,Roma Capitale,02438750586,urp@comune.roma.it,Altro,protocollo@pec.comune.roma.it,Pec\n",
	} {
		t.Run(name, func(t *testing.T) {
			admins, aoos, err := domain.ParseIPAList([]byte(text), domain.DirectoryAdministrations)
			if err != nil || len(aoos) != 0 || !slices.Equal(admins, []domain.DirectoryAdministration{roma}) {
				t.Fatalf("got %+v %+v, %v", admins, aoos, err)
			}
		})
	}
	t.Run("AOOs", func(t *testing.T) {
		_, aoos, err := domain.ParseIPAList([]byte("Codice_IPA,Codice_uni_aoo,Denominazione_aoo,Mail1,Tipo_Mail1\nc_h501,A1B2C3D,Protocollo,urp@comune.roma.it,Altro\n"), domain.DirectoryAOOs)
		want := []domain.DirectoryAOO{{IPACode: "c_h501", AOOCode: "A1B2C3D", Name: "Protocollo", DigitalAddress: "urp@comune.roma.it"}}
		if err != nil || !slices.Equal(aoos, want) {
			t.Fatalf("got %+v, %v", aoos, err)
		}
	})
	t.Run("UOs", func(t *testing.T) {
		text := "Codice_IPA\tDenominazione_ente\tCodice_fiscale_ente\tCodice_uni_uo\tCodice_uni_aoo\tCodice_uni_uo_padre\tDescrizione_uo\tMail1\tTipo_Mail1\tMail2\tTipo_Mail2\n" +
			"c_h501\tRoma Capitale\t02438750586\tUFURB1\tA1B2C3D\t\tDipartimento Urbanistica\turb@comune.roma.it\tAltro\turbanistica@pec.comune.roma.it\tPec\n" +
			"c_h501\tRoma Capitale\t02438750586\tUF_eFatturaPA\t\tUFURB1\tUff_eFatturaPA\t\t\t\t\n"
		uos, err := domain.ParseIPAUOs([]byte(text))
		want := []domain.DirectoryUO{
			{IPACode: "c_h501", UOCode: "UFURB1", AOOCode: "A1B2C3D", Name: "Dipartimento Urbanistica", DigitalAddress: "urbanistica@pec.comune.roma.it"},
			{IPACode: "c_h501", UOCode: "UF_eFatturaPA", Name: "Uff_eFatturaPA"},
		}
		if err != nil || !slices.Equal(uos, want) {
			t.Fatalf("got %+v, %v", uos, err)
		}
		for text, field := range map[string]string{
			"Codice_IPA,Codice_uni_uo\nc_h501,UF1\n":                                       "line 1: Descrizione_uo",
			"Codice_IPA,Codice_uni_uo,Descrizione_uo\nc_h501,UF1,Uno\nc_h501,uf1,Due\n":    "line 3: Codice_uni_uo",
			"Codice_IPA,Codice_uni_uo,Descrizione_uo,Codice_uni_aoo\nc_h501,UF1,Uno,A B\n": "line 2: Codice_uni_aoo",
		} {
			_, err := domain.ParseIPAUOs([]byte(text))
			var e *domain.Error
			if !errors.As(err, &e) || !slices.ContainsFunc(e.Fields, func(f domain.FieldError) bool { return f.Field == field }) {
				t.Errorf("%q: err %v, want a validation error naming %q", text, err, field)
			}
		}
		if _, _, err := domain.ParseIPAList([]byte(text), domain.DirectoryUOs); err == nil {
			t.Error("ParseIPAList read the UOs, which it cannot return")
		}
	})
	for name, tc := range map[string]struct{ text, field string }{
		"ErrEmpty":          {"", "line 1"},
		"ErrMissingColumn":  {"Codice_IPA\nc_h501\n", "line 1: Denominazione_ente"},
		"ErrRepeatedColumn": {"Codice_IPA,Denominazione_ente,codice_ipa\nc_h501,Roma,c_h501\n", "line 1: codice_ipa"},
		"ErrNoRows":         {"Codice_IPA,Denominazione_ente\n", "line 2"},
		"ErrCode":           {"Codice_IPA,Denominazione_ente\nc h501,Roma\n", "line 2: Codice_IPA"},
		"ErrName":           {"Codice_IPA,Denominazione_ente\nc_h501,\n", "line 2: Denominazione_ente"},
		"ErrTaxCode":        {"Codice_IPA,Denominazione_ente,Codice_fiscale_ente\nc_h501,Roma,123\n", "line 2: Codice_fiscale_ente"},
		"ErrMail":           {"Codice_IPA,Denominazione_ente,Mail3\nc_h501,Roma,Roma <a@b.it>\n", "line 2: Mail3"},
		"ErrFields":         {"Codice_IPA,Denominazione_ente\nc_h501,Roma,x\n", "line 2"},
		"ErrRepeatedEntry":  {"Codice_IPA,Denominazione_ente\nc_h501,Roma\nC_H501,Roma\n", "line 3: Codice_IPA"},
	} {
		t.Run(name, func(t *testing.T) {
			_, _, err := domain.ParseIPAList([]byte(tc.text), domain.DirectoryAdministrations)
			var e *domain.Error
			if !domain.IsCode(err, domain.ECValidation) || !errors.As(err, &e) || !slices.ContainsFunc(e.Fields, func(f domain.FieldError) bool { return f.Field == tc.field }) {
				t.Fatalf("err %v, want a validation error naming %q", err, tc.field)
			}
		})
	}
	t.Run("StopsAfterManyErrors", func(t *testing.T) {
		text := "Codice_IPA,Denominazione_ente\n" + strings.Repeat("c h501,Roma\n", 1000)
		_, _, err := domain.ParseIPAList([]byte(text), domain.DirectoryAdministrations)
		var e *domain.Error
		if !errors.As(err, &e) || len(e.Fields) > 60 || len(e.Fields) < 50 {
			t.Fatalf("err %v", err)
		}
	})
}

func TestFoldName(t *testing.T) {
	for in, want := range map[string]string{
		"Città di Castello":           "citta di castello",
		"  Ministero dell'Interno ":   "ministero dell interno",
		"SÜDTIROLER Landesverwaltung": "sudtiroler landesverwaltung",
		"A.S.L. Roma-1":               "a s l roma 1",
	} {
		if got := domain.FoldName(in); got != want {
			t.Errorf("FoldName(%q) = %q, want %q", in, got, want)
		}
	}
}
