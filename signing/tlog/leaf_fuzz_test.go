package tlog_test

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/sportello/sportello/signing/tlog"
)

// FuzzLeafFromJSON recomputes leaves from registration JSON of any shape, as `sportello
// verify` does with the registration a receipt carries: no panic, and a leaf, when there is
// one, is valid JSON of the kind asked for and the same every time.
func FuzzLeafFromJSON(f *testing.F) {
	f.Add([]byte(`{"identifier":"x","annulment":{"reason":"r"}}`))
	f.Fuzz(func(t *testing.T, registration []byte) {
		for _, kind := range []string{tlog.KindRegistration, tlog.KindAnnulment} {
			leaf, err := tlog.LeafFromJSON(kind, registration)
			if err != nil {
				continue
			}
			var v struct {
				Kind string `json:"kind"`
			}
			if err := json.Unmarshal(leaf, &v); err != nil || v.Kind != kind {
				t.Fatalf("%s leaf %s: kind %q, %v", kind, leaf, v.Kind, err)
			}
			if again, err := tlog.LeafFromJSON(kind, registration); err != nil || !bytes.Equal(again, leaf) {
				t.Fatalf("%s leaf differs the second time: %s, then %s (%v)", kind, leaf, again, err)
			}
		}
	})
}
