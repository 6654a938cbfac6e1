package importer

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
)

// manifest opens the manifest and reads its header. An error is about the manifest as a whole
// (missing, unreadable, a bad header).
func (s *Source) manifest() (*ManifestReader, io.Closer, error) {
	f, err := s.fsys.Open(ManifestName)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", ManifestName, err)
	}
	mr, err := NewManifestReader(f)
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	return mr, f, nil
}

// EachRow reads the manifest a row at a time and calls fn with each row, in manifest order, with
// its index n (ManifestReader.Next) and its files checked (they exist and are regular files: a
// bad one is a Problem of the row). An error is about the manifest as a whole, or fn's, which
// stops the reading. Memory does not grow with the number of rows.
func (s *Source) EachRow(fn func(n int, r Row) error) error { return s.eachRow(true, fn) }

func (s *Source) eachRow(checkFiles bool, fn func(n int, r Row) error) error {
	mr, c, err := s.manifest()
	if err != nil {
		return err
	}
	defer c.Close()
	for {
		n, row, err := mr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		if checkFiles {
			for _, name := range row.Files() {
				if err := s.checkFile(name); err != nil {
					row.Problems = append(row.Problems, err.Error())
				}
			}
		}
		if err := fn(n, row); err != nil {
			return err
		}
	}
}

// CountRows counts the manifest's rows without parsing them (the total of a progress bar).
func (s *Source) CountRows() (int, error) {
	mr, c, err := s.manifest()
	if err != nil {
		return 0, err
	}
	defer c.Close()
	return mr.Count()
}

// emergencyBlock is how many entries of the emergency register InRegisterOrder holds at once.
const emergencyBlock = 1024

// emergencyKey is where an entry of the emergency register goes in the order of registration.
type emergencyKey struct {
	n      int
	outage string
	number int64
	date   string
}

func compareEmergency(a, b emergencyKey) int {
	return cmp.Or(cmp.Compare(a.outage, b.outage), cmp.Compare(a.number, b.number),
		cmp.Compare(a.date, b.date), cmp.Compare(a.n, b.n))
}

// InRegisterOrder calls fn with the rows that keep takes (every row when keep is nil), in the
// order they are registered (docs/import.md): first the entries of the emergency register
// (Row.Metadata.Emergency set), by outage, emergency number, emergency date and manifest order,
// so that they take their ordinary numbers in emergency-number order; then the other rows in
// manifest order. Registers are numbered apart, so this is each register's order too.
//
// The manifest is never held whole: it is read once to find the entries of the emergency
// register (their sort keys alone are kept), once for every emergencyBlock of them to hand them
// over in order, and once for the other rows. keep is asked in manifest order in each reading.
// Rows come with their files checked, as EachRow gives them.
func (s *Source) InRegisterOrder(keep func(n int) bool, fn func(n int, r Row) error) error {
	if keep == nil {
		keep = func(int) bool { return true }
	}
	var keys []emergencyKey
	err := s.eachRow(false, func(n int, r Row) error {
		if e := r.Metadata.Emergency; e != nil && keep(n) {
			keys = append(keys, emergencyKey{n: n, outage: strings.Clone(e.Outage), number: e.Number, date: strings.Clone(e.Date)})
		}
		return nil
	})
	if err != nil {
		return err
	}
	emergency := make([]int, len(keys)) // the entries' indexes, sorted, for the last reading
	for i, k := range keys {
		emergency[i] = k.n
	}
	slices.SortFunc(keys, compareEmergency)
	for start := 0; start < len(keys); start += emergencyBlock {
		if err := s.emergencyRows(keys[start:min(start+emergencyBlock, len(keys))], fn); err != nil {
			return err
		}
	}
	return s.eachRow(true, func(n int, r Row) error {
		if _, entry := slices.BinarySearch(emergency, n); entry || !keep(n) {
			return nil
		}
		return fn(n, r)
	})
}

// emergencyRows reads the manifest for the rows of block (sorted by compareEmergency) and calls
// fn with them in the block's order.
func (s *Source) emergencyRows(block []emergencyKey, fn func(n int, r Row) error) error {
	at := make(map[int]int, len(block)) // row index → place in block
	for i, k := range block {
		at[k.n] = i
	}
	rows := make([]Row, len(block))
	err := s.EachRow(func(n int, r Row) error {
		if i, ok := at[n]; ok {
			rows[i] = r
		}
		return nil
	})
	if err != nil {
		return err
	}
	for i, k := range block {
		if err := fn(k.n, rows[i]); err != nil {
			return err
		}
	}
	return nil
}
