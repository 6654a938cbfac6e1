package tlog_test

import (
	"strings"
	"testing"

	"github.com/sportello/sportello/domain"
	"github.com/sportello/sportello/signing/tlog"
)

// TestPackageLeaf pins the package leaf's bytes to docs/transparency-log.md, and refuses a
// package that is not built.
func TestPackageLeaf(t *testing.T) {
	p := &domain.ArchivePackage{ID: "01a24ad3-0000-7000-8000-000000000000", Kind: domain.PackageAIP, State: domain.PackageReady,
		Files: 7, Size: 1234, SHA256: strings.Repeat("a", 64), IndexSHA256: strings.Repeat("b", 64)}
	leaf, err := tlog.PackageLeaf(p)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"files":7,"id":"01a24ad3-0000-7000-8000-000000000000","index_sha256":"` + strings.Repeat("b", 64) +
		`","kind":"package","package_kind":"aip","sha256":"` + strings.Repeat("a", 64) + `","size":1234,"v":1}`
	if string(leaf) != want {
		t.Fatalf("leaf\n%s\nwant\n%s", leaf, want)
	}
	if _, err := tlog.PackageLeaf(&domain.ArchivePackage{ID: "x", State: domain.PackageBuilding}); err == nil {
		t.Fatal("a building package has a leaf")
	}
}
