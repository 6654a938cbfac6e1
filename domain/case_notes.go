package domain

import (
	"context"
	"fmt"
	"slices"
)

// The services in this file use the port OfficeStore (ports.go).

// noteAuthor is the correspondent of the registration of an internal note's documents: the
// office that writes it, as sender. Every registration names at least one correspondent (see
// validateCorrespondents, and the schema's check on registrations.correspondents); for an
// internal document that is the administration's own office, not the applicant, who never sees
// the note. The office is the writer's own among those handling the case, or the responsible
// office for a writer with none of them (a records officer).
func (s *Service) noteAuthor(ctx context.Context, p Principal, c *Case) (Correspondent, error) {
	code := c.Office
	for _, o := range c.ActiveOffices() {
		if slices.Contains(p.Offices, o) {
			code = o
			break
		}
	}
	offices, err := s.Store.Offices(ctx)
	if err != nil {
		return Correspondent{}, fmt.Errorf("author of the note: %w", err)
	}
	name := code
	if i := slices.IndexFunc(offices, func(o Office) bool { return o.Code == code }); i >= 0 {
		name = offices[i].Name
	}
	return Correspondent{Role: RoleSender, Type: TypeAdministration, Name: name}, nil
}
