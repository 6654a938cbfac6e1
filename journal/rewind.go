package journal

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/sportello/sportello/domain"
)

// AsAtEndOfDay returns a copy of r whose class and offices are what they were when the day
// ended (end, midnight in the journal's zone): both can change after registration, each change
// recorded in r's audit events with its old value, so the first change of a field made at or
// after end holds the value the field had when the day ended. r itself is left as it is.
// Every other field a journal shows is fixed at registration, except the annulment, which
// Build reckons by its own time.
func AsAtEndOfDay(r *domain.Registration, events []domain.AuditEvent, end time.Time) (*domain.Registration, error) {
	out := *r
	seen := map[string]bool{}
	for _, e := range events {
		if e.EntityKind != domain.KindRegistration || e.EntityID != r.ID || e.At.Before(end) || seen[e.Field] {
			continue
		}
		var err error
		switch e.Field {
		case "class":
			err = json.Unmarshal(e.Old, &out.Class)
		case "offices":
			var offices []string
			if err = json.Unmarshal(e.Old, &offices); err == nil {
				out.Offices = offices
			}
		default:
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("registration %s: %s before %s: %w", r.Identifier, e.Field, e.At.Format(time.RFC3339), err)
		}
		seen[e.Field] = true
	}
	return &out, nil
}
