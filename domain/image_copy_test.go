package domain

import (
	"strings"
	"testing"
	"time"
)

// TestImageCopyValidate: an image copy is of paper (its channel defaults to paper and must be
// paper, counter or post); its attestation names who, the date needs a name, and the date is
// not after today in the AOO's time zone.
func TestImageCopyValidate(t *testing.T) {
	t.Run("DefaultsToPaper", func(t *testing.T) {
		in := validInput()
		in.Channel, in.ImageCopy = "", &ImageCopy{AttestedBy: " Mario Rossi "}
		if err := in.Validate(); err != nil {
			t.Fatal(err)
		}
		if in.Channel != ChannelPaper || in.ImageCopy.AttestedBy != "Mario Rossi" {
			t.Fatalf("channel %q, attested by %q", in.Channel, in.ImageCopy.AttestedBy)
		}
	})
	for name, c := range map[string]struct {
		channel Channel
		copy    ImageCopy
		field   string
	}{
		"ErrPEC":        {ChannelPEC, ImageCopy{}, "image_copy"},
		"ErrAPI":        {ChannelAPI, ImageCopy{AttestedBy: "Mario Rossi"}, "image_copy"},
		"ErrDate":       {ChannelPaper, ImageCopy{AttestedBy: "Mario Rossi", AttestedOn: "01/12/2026"}, "image_copy.attested_on"},
		"ErrDateNoName": {ChannelPost, ImageCopy{AttestedOn: "2026-12-01"}, "image_copy.attested_by"},
		"ErrLong":       {ChannelCounter, ImageCopy{AttestedBy: strings.Repeat("é", MaxAttestedBy+1)}, "image_copy.attested_by"},
		"ErrNUL":        {ChannelPaper, ImageCopy{AttestedBy: "Mario\x00Rossi"}, "image_copy.attested_by"},
	} {
		t.Run(name, func(t *testing.T) {
			in := validInput()
			in.Channel, in.ImageCopy = c.channel, &c.copy
			err := in.Validate()
			var e *Error
			if !asError(err, &e) || e.Code != ECValidation || len(e.Fields) != 1 || e.Fields[0].Field != c.field {
				t.Fatalf("Validate() = %v, want validation_failed naming only %s", err, c.field)
			}
		})
	}
	rome, _ := time.LoadLocation("Europe/Rome")
	now := time.Date(2026, 11, 30, 23, 30, 0, 0, time.UTC) // 1 December in Rome
	for on, ok := range map[string]bool{"2026-12-01": true, "2026-11-01": true, "2026-12-02": false} {
		err := checkAttestedOn("image_copy", &ImageCopy{AttestedBy: "Mario Rossi", AttestedOn: on}, now, rome)
		if (err == nil) != ok {
			t.Errorf("attested on %s, now %s: %v", on, now.In(rome), err)
		}
	}
	if err := checkAttestedOn("image_copy", nil, now, rome); err != nil {
		t.Error(err)
	}
}
