package importer

import (
	"archive/zip"
	"fmt"
)

// Limits bound what an archive may expand to, so that a zip bomb is refused before anything of
// it is read: the number of entries, the total uncompressed size the entries declare, and the
// compression ratio of each large entry. Declared sizes can be trusted that far: archive/zip
// refuses to read more bytes of an entry than its header declares (TestLyingHeader).
type Limits struct {
	// MaxEntries is the most entries (files and folders) an archive may hold.
	MaxEntries int
	// MaxExpanded is the most bytes the entries may declare in total, uncompressed.
	MaxExpanded int64
	// MaxRatio is the highest ratio of uncompressed to compressed size of an entry that expands
	// to more than RatioFloor bytes (a small, very repetitive file is not a bomb).
	MaxRatio int64
}

// RatioFloor is the uncompressed size below which an entry's compression ratio is not checked.
const RatioFloor = 1 << 20

// DefaultLimits are the limits of `sportello import` and of the server when its configuration
// sets none (SPORTELLO_IMPORT_MAX_ENTRIES, SPORTELLO_IMPORT_MAX_EXPANDED,
// SPORTELLO_IMPORT_MAX_RATIO).
var DefaultLimits = Limits{MaxEntries: 50_000, MaxExpanded: 16 << 30, MaxRatio: 200}

// CheckZipLimits refuses an archive that CheckZip refuses, or that passes l: too many entries,
// too large a declared total, or an entry compressed past the ratio. The error names the
// entry or the limit.
func CheckZipLimits(zr *zip.Reader, l Limits) error {
	if l.MaxEntries > 0 && len(zr.File) > l.MaxEntries {
		return fmt.Errorf("the archive has %d entries, more than the %d allowed", len(zr.File), l.MaxEntries)
	}
	if err := CheckZip(zr); err != nil {
		return err
	}
	var total uint64
	for _, f := range zr.File {
		total += f.UncompressedSize64
		if l.MaxExpanded > 0 && (total > uint64(l.MaxExpanded) || f.UncompressedSize64 > uint64(l.MaxExpanded)) {
			return fmt.Errorf("zip entry %q: the entries expand to more than the %d bytes allowed", f.Name, l.MaxExpanded)
		}
		if l.MaxRatio > 0 && f.UncompressedSize64 > RatioFloor &&
			f.UncompressedSize64/max(f.CompressedSize64, 1) > uint64(l.MaxRatio) {
			return fmt.Errorf("zip entry %q: compressed %d times (%d bytes from %d), more than the ratio of %d allowed",
				f.Name, f.UncompressedSize64/max(f.CompressedSize64, 1), f.UncompressedSize64, f.CompressedSize64, l.MaxRatio)
		}
	}
	return nil
}
