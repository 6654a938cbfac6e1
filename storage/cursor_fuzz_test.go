package storage

import (
	"errors"
	"testing"

	"github.com/sportello/sportello/domain"
)

// fuzzMaxCursor bounds the cursors fuzzed, ten times the longest the server writes: longer
// ones take no path a shorter one does not, and the fuzzer, which shortens every input that
// finds something new, would spend its time on them.
const fuzzMaxCursor = 256

// FuzzCursor feeds cursors (the `cursor` of the registration, dossier, case and hold lists) to
// their decoding. A cursor is either refused with a validation error or names a row, and then
// it is the one cursor the server writes for that row; a cursor the server wrote names its row
// again.
func FuzzCursor(f *testing.F) {
	for _, seq := range []int64{1, 42, 1 << 40, 1<<63 - 1} {
		f.Add(encodeCursor(seq), seq)
	}
	f.Add("", int64(0))
	f.Add("!!", int64(-1))
	f.Fuzz(func(t *testing.T, cursor string, seq int64) {
		if len(cursor) > fuzzMaxCursor {
			return
		}
		if seq > 0 {
			if got, err := decodeCursor(encodeCursor(seq)); err != nil || got != seq {
				t.Fatalf("cursor %q written for row %d decodes to %d, %v", encodeCursor(seq), seq, got, err)
			}
		}
		got, err := decodeCursor(cursor)
		if err != nil {
			var e *domain.Error
			if !errors.As(err, &e) || e.Code != domain.ECValidation || e.Message == "" {
				t.Fatalf("cursor %q: error %v, want a validation error", cursor, err)
			}
			return
		}
		if got <= 0 {
			t.Fatalf("cursor %q names row %d", cursor, got)
		}
		if again := encodeCursor(got); again != cursor {
			t.Fatalf("cursor %q names row %d, whose cursor is %q", cursor, got, again)
		}
	})
}
