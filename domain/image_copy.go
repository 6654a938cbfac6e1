package domain

import (
	"slices"
	"strings"
	"time"
)

// ImageCopy says that a registration's primary document is an image copy of a paper original
// (copia per immagine su supporto informatico di documento analogico, CAD art. 22;
// ConformitaCopieImmagineSuSupportoInformatico in the metadata of the Linee guida, Allegato 5),
// and who attested, and when, that the copy conforms to the original. An image copy need not be
// attested: both fields are then empty. Fixed once registered, like every other fact of the
// registration (M1).
type ImageCopy struct {
	// AttestedBy names who attested the conformity of the copy to the original; "" when not
	// attested.
	AttestedBy string `json:"attested_by,omitempty"`
	// AttestedOn is the date of the attestation, YYYY-MM-DD, never in the future; it needs
	// AttestedBy.
	AttestedOn string `json:"attested_on,omitempty"`
}

// MaxAttestedBy is the longest name of whoever attests an image copy, in characters.
const MaxAttestedBy = 200

// imageCopyChannels lists the channels a paper original comes by: an image copy is of paper.
var imageCopyChannels = []Channel{ChannelPaper, ChannelCounter, ChannelPost}

// validateImageCopy checks the shape of an image copy stated with a registration on channel ch.
// That the attestation is not in the future is checked by the service, which knows the clock
// (checkAttestedOn).
func validateImageCopy(v *Validation, field string, c *ImageCopy, ch Channel) {
	c.AttestedBy = strings.TrimSpace(c.AttestedBy)
	switch {
	case strings.ContainsRune(c.AttestedBy, 0):
		v.Add(field+".attested_by", "must not contain NUL characters")
	case len([]rune(c.AttestedBy)) > MaxAttestedBy:
		v.Add(field+".attested_by", "is longer than %d characters", MaxAttestedBy)
	}
	if c.AttestedOn != "" {
		switch {
		case !ValidDate(c.AttestedOn):
			v.Add(field+".attested_on", "must be a date YYYY-MM-DD")
		case c.AttestedBy == "":
			v.Add(field+".attested_by", "is required with attested_on: name who attested the copy")
		}
	}
	if ch != "" && !slices.Contains(imageCopyChannels, ch) {
		v.Add(field, "an image copy is of a paper original: the channel must be paper, counter or post, not %s", ch)
	}
}

// checkAttestedOn returns validation_failed naming field when the attestation of c is dated
// after today.
func checkAttestedOn(field string, c *ImageCopy, now time.Time, loc *time.Location) error {
	if c == nil || c.AttestedOn == "" {
		return nil
	}
	if today := now.In(loc).Format(time.DateOnly); c.AttestedOn > today {
		return Invalid(field+".attested_on", "%s is in the future (today is %s)", c.AttestedOn, today)
	}
	return nil
}
