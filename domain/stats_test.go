package domain

import "testing"

// TestNearestRank: the pth percentile is the smallest value with at least p% of the values at
// or below it; none for no values.
func TestNearestRank(t *testing.T) {
	ten := []int{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}
	for _, c := range []struct {
		sorted []int
		p      int
		want   int
	}{
		{[]int{7}, 50, 7}, {[]int{7}, 90, 7},
		{[]int{10, 24, 40}, 50, 24}, {[]int{10, 24, 40}, 90, 40},
		{[]int{24, 40}, 50, 24}, {[]int{24, 40}, 90, 40},
		{ten, 50, 5}, {ten, 90, 9}, {ten, 91, 10},
	} {
		if got := nearestRank(c.sorted, c.p); got == nil || *got != c.want {
			t.Errorf("p%d of %v = %v, want %d", c.p, c.sorted, got, c.want)
		}
	}
	if got := nearestRank(nil, 50); got != nil {
		t.Errorf("p50 of nothing = %d, want none", *got)
	}
}

// TestMissingInfo names every blank field of the information sheet, and a contact needs a
// name and an e-mail or a telephone.
func TestMissingInfo(t *testing.T) {
	p := Procedure{Description: "x", Info: InfoSheet{LegalReferences: "L. 241/1990", Responsible: Contact{Name: "RUP", Phone: "06"},
		DecidingOffice: "SUAP", Fees: "nessun costo", PaymentMethods: "nessuno", Remedies: "TAR",
		SubstitutePower: Contact{Name: "Segretario", Email: "s@example.it"}}}
	if got := p.MissingInfo(); len(got) != 0 {
		t.Fatalf("complete sheet: missing %v", got)
	}
	p.Description, p.Info.Remedies, p.Info.SubstitutePower = " ", "", Contact{Name: "Segretario"}
	got := p.MissingInfo()
	if want := []string{"description", "info.remedies", "info.substitute_power.email"}; len(got) != 3 || got[0] != want[0] || got[1] != want[1] || got[2] != want[2] {
		t.Errorf("missing %v, want %v", got, want)
	}
}
