package storage_test

import (
	"reflect"
	"slices"
	"testing"

	"github.com/sportello/sportello/domain"
	"github.com/sportello/sportello/internal/testdb"
)

var all = domain.Visibility{All: true}

func TestRegistrations(t *testing.T) {
	testdb.Each(t, func(t *testing.T, url string) {
		f := newFixture(t, url)
		if err := f.db.CreateRegister(t.Context(), domain.Register{Code: "DEL", Name: "Delibere", CreatedAt: testNow}, domain.Write{}); err != nil {
			t.Fatal(err)
		}
		// Registered in this order, so newest first is the reverse.
		regs := map[string]*domain.Registration{}
		add := func(name string, change func(r *domain.Registration)) {
			regs[name] = f.register(t, newRegistration(change))
		}
		add("a", func(r *domain.Registration) { r.Date, r.Class = "2026-01-10", "VI" })
		add("b", func(r *domain.Registration) { r.Date, r.Class, r.Direction = "2026-02-01", "VI.3", domain.Outgoing })
		add("c", func(r *domain.Registration) { r.Date, r.Class, r.Channel = "2026-02-15", "VI.3.2", domain.ChannelPEC })
		add("d", func(r *domain.Registration) { r.Date, r.Class, r.Offices = "2026-03-01", "VI.30", []string{"RAG"} })
		add("e", func(r *domain.Registration) { r.Date, r.Class, r.Register = "2026-03-01", "VII.1", "DEL" })
		add("f", func(r *domain.Registration) { r.Year, r.Date, r.Class = 2027, "2027-01-02", "V" })
		add("secret", func(r *domain.Registration) {
			r.Date, r.Confidential, r.Offices, r.CreatedBy = "2026-04-01", true, []string{"URP"}, "portal-1"
		})
		if _, err := f.db.UpdateRegistration(t.Context(), regs["b"].ID, func(r *domain.Registration) (domain.Write, error) {
			r.Status = domain.StatusAnnulled
			r.Annulment = &domain.Annulment{Reason: "errore", Authorization: "Decreto 2", By: "ro", ByName: "RO", At: testNow}
			return domain.Write{}, nil
		}); err != nil {
			t.Fatal(err)
		}

		cases := []struct {
			name   string
			filter domain.RegistrationFilter
			want   []string
		}{
			{"All", domain.RegistrationFilter{}, []string{"secret", "f", "e", "d", "c", "b", "a"}},
			{"Register", domain.RegistrationFilter{Register: "DEL"}, []string{"e"}},
			{"Year", domain.RegistrationFilter{Year: 2027}, []string{"f"}},
			{"RegisterAndYear", domain.RegistrationFilter{Register: "PG", Year: 2026}, []string{"secret", "d", "c", "b", "a"}},
			{"Direction", domain.RegistrationFilter{Direction: domain.Outgoing}, []string{"b"}},
			{"Channel", domain.RegistrationFilter{Channel: domain.ChannelPEC}, []string{"c"}},
			{"Status", domain.RegistrationFilter{Status: domain.StatusAnnulled}, []string{"b"}},
			{"ClassWithDescendants", domain.RegistrationFilter{Class: "VI"}, []string{"secret", "d", "c", "b", "a"}},
			{"ClassNotPrefixSibling", domain.RegistrationFilter{Class: "VI.3"}, []string{"secret", "c", "b"}},
			{"ClassLeaf", domain.RegistrationFilter{Class: "VI.3.2"}, []string{"c"}},
			{"Office", domain.RegistrationFilter{Office: "RAG"}, []string{"d"}},
			{"FromInclusive", domain.RegistrationFilter{From: "2026-03-01"}, []string{"secret", "f", "e", "d"}},
			{"ToInclusive", domain.RegistrationFilter{To: "2026-02-01"}, []string{"b", "a"}},
			{"FromTo", domain.RegistrationFilter{From: "2026-02-01", To: "2026-03-01"}, []string{"e", "d", "c", "b"}},
			{"NoMatch", domain.RegistrationFilter{Register: "DEL", Year: 2027}, nil},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				c.filter.Visibility = all
				page, err := f.db.Registrations(t.Context(), c.filter)
				if err != nil {
					t.Fatal(err)
				}
				if got := names(regs, page.Items); !slices.Equal(got, c.want) {
					t.Errorf("got %v, want %v", got, c.want)
				}
				if page.NextCursor != "" {
					t.Errorf("next cursor %q on the only page", page.NextCursor)
				}
			})
		}

		visibility := []struct {
			name string
			vis  domain.Visibility
			want []string
		}{
			{"ZeroSeesNothing", domain.Visibility{}, nil},
			{"PublicHidesConfidential", domain.Visibility{Public: true}, []string{"f", "e", "d", "c", "b", "a"}},
			{"MatchingOfficeSeesConfidential", domain.Visibility{Offices: []string{"URP", "TEC"}}, []string{"secret", "f", "e", "c", "b", "a"}},
			{"OtherOfficeOnly", domain.Visibility{Offices: []string{"RAG"}}, []string{"d"}},
			{"CreatorSeesOwn", domain.Visibility{CreatedBy: "portal-1"}, []string{"secret"}},
			{"PublicOrOffice", domain.Visibility{Public: true, Offices: []string{"URP"}}, []string{"secret", "f", "e", "d", "c", "b", "a"}},
			{"AllSeesEverything", all, []string{"secret", "f", "e", "d", "c", "b", "a"}},
		}
		for _, c := range visibility {
			t.Run("Visibility_"+c.name, func(t *testing.T) {
				page, err := f.db.Registrations(t.Context(), domain.RegistrationFilter{Visibility: c.vis})
				if err != nil {
					t.Fatal(err)
				}
				if got := names(regs, page.Items); !slices.Equal(got, c.want) {
					t.Errorf("got %v, want %v", got, c.want)
				}
			})
		}
		// A cursor is refused unless the server wrote it: "MDE" ("01"), "KzE" ("+1") and "MR"
		// (stray base64 bits) all named the page after row 1 before FuzzCursor's round trip.
		for name, cursor := range map[string]string{"ErrBadCursor": "!!", "ErrCursorZero": "MA", "ErrCursorNegative": "LTE",
			"ErrCursorLeadingZero": "MDE", "ErrCursorPlus": "KzE", "ErrCursorStrayBits": "MR"} {
			t.Run(name, func(t *testing.T) {
				_, err := f.db.Registrations(t.Context(), domain.RegistrationFilter{Visibility: all, Cursor: cursor})
				wantCode(t, err, domain.ECValidation)
			})
		}
		t.Run("CursorAsWritten", func(t *testing.T) {
			if _, err := f.db.Registrations(t.Context(), domain.RegistrationFilter{Visibility: all, Cursor: "MQ"}); err != nil {
				t.Fatal(err)
			}
		})
		t.Run("ItemsWhole", func(t *testing.T) {
			page, err := f.db.Registrations(t.Context(), domain.RegistrationFilter{Visibility: all, Class: "VI.3.2"})
			if err != nil || len(page.Items) != 1 {
				t.Fatal(page, err)
			}
			got, want := page.Items[0], regs["c"]
			if !reflect.DeepEqual(got, want) {
				t.Errorf("listed %+v\nstored %+v", got, want)
			}
		})
	})
}

// TestRegistrationsPages walks every page of a list while registrations keep arriving: no
// registration is listed twice or skipped.
func TestRegistrationsPages(t *testing.T) {
	testdb.Each(t, func(t *testing.T, url string) {
		f := newFixture(t, url)
		var ids []string
		for range 23 {
			ids = append(ids, f.register(t, newRegistration()).ID)
		}
		slices.Reverse(ids)
		var seen []string
		cursor := ""
		for pages := 0; ; pages++ {
			page, err := f.db.Registrations(t.Context(), domain.RegistrationFilter{Visibility: all, Limit: 5, Cursor: cursor})
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range page.Items {
				seen = append(seen, r.ID)
			}
			f.register(t, newRegistration()) // newer ones never appear on later pages
			if page.NextCursor == "" {
				if pages != 4 || len(page.Items) != 3 {
					t.Errorf("last page is page %d with %d items", pages, len(page.Items))
				}
				break
			}
			cursor = page.NextCursor
		}
		if !slices.Equal(seen, ids) {
			t.Errorf("listed %v\nwant %v", seen, ids)
		}
	})
}

func names(regs map[string]*domain.Registration, items []*domain.Registration) []string {
	var out []string
	for _, it := range items {
		for name, r := range regs {
			if r.ID == it.ID {
				out = append(out, name)
			}
		}
	}
	return out
}
