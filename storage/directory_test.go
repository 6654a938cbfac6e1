package storage_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sportello/sportello/domain"
	"github.com/sportello/sportello/internal/testdb"
	"github.com/sportello/sportello/storage/storagetest"
)

// TestDirectory stores the IPA lists and searches them on both engines: by name words (any
// case, accents folded, prefixes, across an administration's AOOs), by code, in pages, and a
// load replaces its list whole, leaving the other list alone.
func TestDirectory(t *testing.T) {
	testdb.Each(t, func(t *testing.T, url string) {
		db := storagetest.Open(t, url)
		ctx := t.Context()
		load := func(list domain.DirectoryList, admins []domain.DirectoryAdministration, aoos []domain.DirectoryAOO) domain.DirectoryImport {
			t.Helper()
			imp := domain.DirectoryImport{ID: domain.NewID(), List: list, Entries: len(admins) + len(aoos), ImportedAt: testNow, ImportedBy: "admin"}
			if err := db.ReplaceDirectory(ctx, imp, admins, aoos, domain.Write{}); err != nil {
				t.Fatal(err)
			}
			return imp
		}
		codes := func(f domain.DirectoryFilter) []string {
			t.Helper()
			page, err := db.Directory(ctx, f)
			if err != nil {
				t.Fatal(err)
			}
			var out []string
			for _, e := range page.Items {
				out = append(out, e.IPACode)
			}
			return out
		}
		imp := load(domain.DirectoryAdministrations, []domain.DirectoryAdministration{
			{IPACode: "c_h501", Name: "Roma Capitale", TaxCode: "02438750586", DigitalAddress: "protocollo@pec.comune.roma.it"},
			{IPACode: "c_c745", Name: "Comune di Città di Castello", DigitalAddress: "comune@pec.cittadicastello.it"},
			{IPACode: "APBar", Name: "Autorità Portuale di Bari"},
		}, nil)
		load(domain.DirectoryAOOs, nil, []domain.DirectoryAOO{
			{IPACode: "c_h501", AOOCode: "ZZZ9999", Name: "Ufficio Protocollo Generale", DigitalAddress: "protocollo@pec.comune.roma.it"},
			{IPACode: "c_h501", AOOCode: "AAA1111", Name: "Municipio I", DigitalAddress: "municipio1@pec.comune.roma.it"},
			{IPACode: "c_c745", AOOCode: "CCC2222", Name: "Protocollo"},
		})

		t.Run("ByNameWords", func(t *testing.T) {
			for q, want := range map[string][]string{
				"citta castel": {"c_c745"},
				"CASTELLO":     {"c_c745"},
				"autorita":     {"APBar"},
				"roma":         {"c_h501"},
				"oma":          nil,
				"municipio":    {"c_h501"},
				"protocollo":   {"c_c745", "c_h501"},
				"roma bari":    nil,
			} {
				if got := codes(domain.DirectoryFilter{Words: strings.Fields(domain.FoldName(q)), Limit: 10}); !slices.Equal(got, want) {
					t.Errorf("%q found %v, want %v", q, got, want)
				}
			}
		})
		t.Run("ByCode", func(t *testing.T) {
			for code, want := range map[string][]string{"c_h501": {"c_h501"}, "apbar": {"APBar"}, "ccc2222": {"c_c745"}, "x_y": nil} {
				if got := codes(domain.DirectoryFilter{Code: code, Limit: 10}); !slices.Equal(got, want) {
					t.Errorf("code %q found %v, want %v", code, got, want)
				}
			}
		})
		t.Run("WithAllItsAOOsInNameOrder", func(t *testing.T) {
			page, err := db.Directory(ctx, domain.DirectoryFilter{Code: "zzz9999", Limit: 10})
			if err != nil || len(page.Items) != 1 {
				t.Fatalf("%+v, %v", page, err)
			}
			e := page.Items[0]
			if e.Name != "Roma Capitale" || e.TaxCode != "02438750586" || e.DigitalAddress != "protocollo@pec.comune.roma.it" {
				t.Errorf("administration %+v", e.DirectoryAdministration)
			}
			var aoos []string
			for _, o := range e.AOOs {
				aoos = append(aoos, o.AOOCode+" "+o.DigitalAddress)
			}
			if want := []string{"AAA1111 municipio1@pec.comune.roma.it", "ZZZ9999 protocollo@pec.comune.roma.it"}; !slices.Equal(aoos, want) {
				t.Errorf("AOOs %v, want %v", aoos, want)
			}
		})
		t.Run("PagedInNameOrder", func(t *testing.T) {
			var all []string
			f := domain.DirectoryFilter{Limit: 2}
			for range 3 {
				page, err := db.Directory(ctx, f)
				if err != nil {
					t.Fatal(err)
				}
				for _, e := range page.Items {
					all = append(all, e.IPACode)
				}
				if f.Cursor = page.NextCursor; f.Cursor == "" {
					break
				}
			}
			if want := []string{"APBar", "c_c745", "c_h501"}; !slices.Equal(all, want) {
				t.Errorf("pages %v, want %v", all, want)
			}
		})
		t.Run("ImportRecorded", func(t *testing.T) {
			got, err := db.DirectoryImport(ctx, imp.ID)
			if err != nil || got.List != domain.DirectoryAdministrations || got.Entries != 3 || !got.ImportedAt.Equal(testNow.UTC().Truncate(time.Microsecond)) {
				t.Errorf("import %+v, %v", got, err)
			}
			_, err = db.DirectoryImport(ctx, "missing")
			wantCode(t, err, domain.ECNotFound)
		})
		t.Run("ReplacedWhole", func(t *testing.T) {
			load(domain.DirectoryAdministrations, []domain.DirectoryAdministration{{IPACode: "m_it", Name: "Ministero dell'Interno"}}, nil)
			if got := codes(domain.DirectoryFilter{Limit: 10}); !slices.Equal(got, []string{"m_it"}) {
				t.Errorf("after a new load %v, want only m_it", got)
			}
			load(domain.DirectoryAdministrations, []domain.DirectoryAdministration{{IPACode: "c_h501", Name: "Roma Capitale"}}, nil)
			page, _ := db.Directory(ctx, domain.DirectoryFilter{Limit: 10})
			if len(page.Items) != 1 || len(page.Items[0].AOOs) != 2 {
				t.Errorf("the AOOs list was touched by a load of the administrations: %+v", page.Items)
			}
		})
		t.Run("ErrFailedLoadKeepsTheList", func(t *testing.T) {
			before := codes(domain.DirectoryFilter{Limit: 10})
			var dup []domain.DirectoryAdministration
			for i := range 700 {
				dup = append(dup, domain.DirectoryAdministration{IPACode: fmt.Sprintf("d_%04d", i), Name: "Ente"})
			}
			// Last in name order, the repeated code falls in the second batch, after a first one stored.
			dup = append(dup, domain.DirectoryAdministration{IPACode: "D_0001", Name: "Zeta"})
			imp := domain.DirectoryImport{ID: domain.NewID(), List: domain.DirectoryAdministrations, Entries: len(dup), ImportedAt: testNow, ImportedBy: "admin"}
			if err := db.ReplaceDirectory(ctx, imp, dup, nil, domain.Write{}); err == nil {
				t.Fatal("a list with a repeated code was stored")
			}
			if after := codes(domain.DirectoryFilter{Limit: 10}); !slices.Equal(after, before) {
				t.Errorf("after a failed load the list is %v, want %v", after, before)
			}
			_, err := db.DirectoryImport(ctx, imp.ID)
			wantCode(t, err, domain.ECNotFound)
		})
		t.Run("ManyRowsInBatches", func(t *testing.T) {
			var many []domain.DirectoryAdministration
			for i := range 1201 {
				many = append(many, domain.DirectoryAdministration{IPACode: fmt.Sprintf("e_%04d", i), Name: fmt.Sprintf("Ente %04d", i)})
			}
			load(domain.DirectoryAdministrations, many, nil)
			page, err := db.Directory(ctx, domain.DirectoryFilter{Code: "e_1200", Limit: 10})
			if err != nil || len(page.Items) != 1 || page.Items[0].Name != "Ente 1200" {
				t.Errorf("%+v, %v", page.Items, err)
			}
		})
	})
}

// TestDirectoryUOs stores the IPA list of the UOs and finds them on both engines: an
// administration is found by a word or the code of one of its UOs, and lists the UOs the
// search names (each word in the UO's or the administration's name, one at least in the
// UO's), with their AOO and digital address, in name order; a search that names no UO lists
// none, and a load of the UOs leaves the other lists alone.
func TestDirectoryUOs(t *testing.T) {
	testdb.Each(t, func(t *testing.T, url string) {
		db := storagetest.Open(t, url)
		ctx := t.Context()
		err := db.ReplaceDirectory(ctx, domain.DirectoryImport{ID: domain.NewID(), List: domain.DirectoryAdministrations, Entries: 2,
			ImportedAt: testNow, ImportedBy: "admin"}, []domain.DirectoryAdministration{
			{IPACode: "c_h501", Name: "Roma Capitale", DigitalAddress: "protocollo@pec.comune.roma.it"},
			{IPACode: "r_lazio", Name: "Regione Lazio"},
		}, nil, domain.Write{})
		if err != nil {
			t.Fatal(err)
		}
		imp := domain.DirectoryImport{ID: domain.NewID(), List: domain.DirectoryUOs, Entries: 4, ImportedAt: testNow, ImportedBy: "admin"}
		err = db.ReplaceDirectoryUOs(ctx, imp, []domain.DirectoryUO{
			{IPACode: "c_h501", UOCode: "UFURB1", AOOCode: "A1B2C3D", Name: "Dipartimento Urbanistica", DigitalAddress: "urbanistica@pec.comune.roma.it"},
			{IPACode: "c_h501", UOCode: "UFTRI2", AOOCode: "A1B2C3D", Name: "Ufficio Tributi"},
			{IPACode: "c_h501", UOCode: "UFANA3", Name: "Anagrafe Centrale", DigitalAddress: "anagrafe@comune.roma.it"},
			{IPACode: "r_lazio", UOCode: "UFRURB", AOOCode: "AOO0001", Name: "Direzione Urbanistica e Territorio"},
		}, domain.Write{})
		if err != nil {
			t.Fatal(err)
		}
		found := func(f domain.DirectoryFilter) []string {
			t.Helper()
			f.Limit = 10
			page, err := db.Directory(ctx, f)
			if err != nil {
				t.Fatal(err)
			}
			var out []string
			for _, e := range page.Items {
				var uos []string
				for _, u := range e.UOs {
					uos = append(uos, u.UOCode+"/"+u.AOOCode+"/"+u.DigitalAddress)
				}
				out = append(out, e.IPACode+" ["+strings.Join(uos, " ")+"]")
			}
			return out
		}
		words := func(q string) domain.DirectoryFilter {
			return domain.DirectoryFilter{Words: strings.Fields(domain.FoldName(q))}
		}
		for q, want := range map[string][]string{
			"urbanistica":      {"r_lazio [UFRURB/AOO0001/]", "c_h501 [UFURB1/A1B2C3D/urbanistica@pec.comune.roma.it]"},
			"roma urbanistica": {"c_h501 [UFURB1/A1B2C3D/urbanistica@pec.comune.roma.it]"},
			"roma":             {"c_h501 []"},
			"anagrafe tributi": {"c_h501 []"}, // each word in the name of one UO, none naming both
			"uff":              {"c_h501 [UFTRI2/A1B2C3D/]"},
			"capitale ana":     {"c_h501 [UFANA3//anagrafe@comune.roma.it]"},
		} {
			if got := found(words(q)); !slices.Equal(got, want) {
				t.Errorf("%q found %v, want %v", q, got, want)
			}
		}
		if got, want := found(domain.DirectoryFilter{Code: "uftri2"}), []string{"c_h501 [UFTRI2/A1B2C3D/]"}; !slices.Equal(got, want) {
			t.Errorf("by UO code: %v, want %v", got, want)
		}
		if got, want := found(domain.DirectoryFilter{}), []string{"r_lazio []", "c_h501 []"}; !slices.Equal(got, want) {
			t.Errorf("without a search: %v, want %v", got, want)
		}
		if got, err := db.DirectoryImport(ctx, imp.ID); err != nil || got.List != domain.DirectoryUOs || got.Entries != 4 {
			t.Errorf("import %+v, %v", got, err)
		}
		// A load of the administrations leaves the UOs; one of the UOs replaces them whole.
		err = db.ReplaceDirectory(ctx, domain.DirectoryImport{ID: domain.NewID(), List: domain.DirectoryAdministrations, Entries: 1,
			ImportedAt: testNow, ImportedBy: "admin"}, []domain.DirectoryAdministration{{IPACode: "c_h501", Name: "Roma Capitale"}}, nil, domain.Write{})
		if err != nil {
			t.Fatal(err)
		}
		if got, want := found(words("tributi")), []string{"c_h501 [UFTRI2/A1B2C3D/]"}; !slices.Equal(got, want) {
			t.Errorf("after a load of the administrations: %v, want %v", got, want)
		}
		err = db.ReplaceDirectoryUOs(ctx, domain.DirectoryImport{ID: domain.NewID(), List: domain.DirectoryUOs, Entries: 1, ImportedAt: testNow,
			ImportedBy: "admin"}, []domain.DirectoryUO{{IPACode: "c_h501", UOCode: "UFNEW", Name: "Ufficio Nuovo"}}, domain.Write{})
		if err != nil {
			t.Fatal(err)
		}
		if got, want := found(words("ufficio")), []string{"c_h501 [UFNEW//]"}; !slices.Equal(got, want) {
			t.Errorf("after a new load of the UOs: %v, want %v", got, want)
		}
		dup := []domain.DirectoryUO{{IPACode: "c_h501", UOCode: "UFX", Name: "A"}, {IPACode: "C_H501", UOCode: "ufx", Name: "B"}}
		if err := db.ReplaceDirectoryUOs(ctx, domain.DirectoryImport{ID: domain.NewID(), List: domain.DirectoryUOs, Entries: 2,
			ImportedAt: testNow, ImportedBy: "admin"}, dup, domain.Write{}); err == nil {
			t.Error("a UOs list with a repeated code was stored")
		}
	})
}
