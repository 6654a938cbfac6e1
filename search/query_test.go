package search

import (
	"strings"
	"testing"
)

func TestItalianAnalysis(t *testing.T) {
	x := openFixtures(t)
	t.Run("StemmingFindsPluralBySingular", func(t *testing.T) {
		expect(t, x, Query{Q: "certificato residenza"}, "r42")
	})
	t.Run("AccentsFoldedWithoutAccent", func(t *testing.T) {
		expect(t, x, Query{Q: "pubblicita"}, "r43", "r2025-10")
	})
	t.Run("AccentsAndCaseFoldedUpperCase", func(t *testing.T) {
		expect(t, x, Query{Q: "PUBBLICITÀ"}, "r43", "r2025-10")
	})
	t.Run("ShortAccentedWordFolded", func(t *testing.T) {
		expect(t, x, Query{Q: "citta"}, "r44")
	})
	t.Run("ElisionStripped", func(t *testing.T) {
		expect(t, x, Query{Q: "edificio"}, "r44")
	})
	t.Run("StopWordsIgnored", func(t *testing.T) {
		expect(t, x, Query{Q: "il permesso di costruire"}, "r44")
	})
}

func TestQuerySyntax(t *testing.T) {
	x := openFixtures(t)
	cases := []struct {
		name, q string
		want    []string
	}{
		{"PhraseMatchesInOrder", `"permesso di costruire"`, []string{"r44"}},
		{"PhraseOutOfOrderMissed", `"costruire permesso"`, nil},
		{"PrefixMatchesStems", "pubblic*", []string{"r43", "r2025-10"}},
		{"PrefixAcrossWords", "certific*", []string{"r42", "r45", "d2026-7"}},
		{"SubjectFieldOnly", "subject:residenza", []string{"r42"}},
		{"TextFieldOnly", "text:ristrutturazione", []string{"r44"}},
		{"SubjectFieldMissesText", "subject:ristrutturazione", nil},
		{"CorrespondentField", "correspondent:rossi", []string{"r43"}},
		{"ClassFieldMatchesDescendants", "class:VI", []string{"r42", "r44", "r2025-10", "d2026-7"}},
		{"RegisterFieldCaseInsensitive", "register:det", []string{"d2026-7"}},
		{"FieldAndWords", "certificati register:PG", []string{"r42", "r45"}},
		{"Negation", "certificati -residenza", []string{"r45", "d2026-7"}},
		{"ExactRefOnlyThatOne", "PG/2026/0000042", []string{"r42"}},
		{"ShortRef", "PG/2026/42", []string{"r42"}},
		{"LowerCaseRef", "pg/2026/43", []string{"r43"}},
		{"FullIdentifier", "c_h501-A1B2C3D-PG-2026-0000043", []string{"r43"}},
		{"RefField", "ref:PG/2025/10", []string{"r2025-10"}},
		{"TaxCodeAnyCase", "rssmra80a01h501u", []string{"r43"}},
		{"UnknownFieldIsAWord", "ore:10", nil},
		{"EmptyMatchesEverything", "", []string{"r42", "r43", "r44", "r45", "r2025-10", "d2026-7"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { expect(t, x, Query{Q: c.q}, c.want...) })
	}
}

func TestFilters(t *testing.T) {
	x := openFixtures(t)
	t.Run("ClassTitleMatchesDescendantsNotSiblings", func(t *testing.T) {
		expect(t, x, Query{Class: "VI"}, "r42", "r44", "r2025-10", "d2026-7")
	})
	t.Run("ClassMatchesSubclass", func(t *testing.T) {
		expect(t, x, Query{Class: "VI.3"}, "r42", "r44", "d2026-7")
	})
	t.Run("KeywordFiltersCombine", func(t *testing.T) {
		expect(t, x, Query{Register: "PG", Direction: "incoming", Channel: "pec"}, "r44")
	})
	t.Run("StatusAndOffice", func(t *testing.T) {
		expect(t, x, Query{Status: "annulled", Office: "TEC"}, "r2025-10")
	})
	t.Run("DateRangeInclusive", func(t *testing.T) {
		expect(t, x, Query{From: day("2026-04-02"), To: day("2026-05-05")}, "r43", "r44")
	})
	t.Run("YearFilter", func(t *testing.T) {
		expect(t, x, Query{Q: "pubblicità", Year: 2025}, "r2025-10")
	})
}

func TestFacets(t *testing.T) {
	x := openFixtures(t)
	res := expect(t, x, Query{Facets: []string{"register", "year", "direction", "class"}},
		"r42", "r43", "r44", "r45", "r2025-10", "d2026-7")
	want := map[string]string{
		"register":  "PG:5 DET:1",
		"year":      "2026:5 2025:1",
		"direction": "incoming:3 internal:2 outgoing:1",
		"class":     "VI.3.2:2 III.1:1 VI.1:1 VI.3:1 VII.1:1",
	}
	for name, w := range want {
		if got := facetText(res.Facets[name]); got != w {
			t.Errorf("facet %s: got %q, want %q", name, got, w)
		}
	}
}

func facetText(fc []FacetCount) string {
	var parts []string
	for _, f := range fc {
		parts = append(parts, f.Term+":"+itoa(f.Count))
	}
	return strings.Join(parts, " ")
}

func TestHighlights(t *testing.T) {
	x := openFixtures(t)
	res := expect(t, x, Query{Q: "residenza"}, "r42")
	h := res.Items[0]
	if got := strings.Join(h.Highlights["subject"], " "); !strings.Contains(got, "<mark>residenza</mark>") {
		t.Errorf("subject highlights %q", got)
	}
	if h.Identifier != "c_h501-A1B2C3D-PG-2026-0000042" || h.Kind != "registration" ||
		h.Subject != "Rilascio di certificati di residenza" || !h.Date.Equal(day("2026-03-10")) || h.Score <= 0 {
		t.Errorf("hit %+v", h)
	}
}
