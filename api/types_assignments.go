package api

import "time"

// AssignmentRequest assigns a registration (smistamento): per competenza to one office and
// optionally one of its users, per conoscenza to any number of offices; at least one.
type AssignmentRequest struct {
	Competenza *AssignmentTarget `json:"competenza,omitempty"`
	Conoscenza []string          `json:"conoscenza,omitempty" example:"RAG"`
}

// AssignmentTarget is the office, and optionally the user, assigned per competenza.
type AssignmentTarget struct {
	Office string `json:"office" example:"TEC"`
	// Person is a user id of a member of the office (responsabile del procedimento).
	Person string `json:"person,omitempty"`
}

// RejectionRequest says why an assignment is sent back.
type RejectionRequest struct {
	Reason string `json:"reason" example:"Non di competenza di questo ufficio"`
}

// Assignment is one assignment of a registration.
type Assignment struct {
	ID           string `json:"id"`
	Registration string `json:"registration" example:"c_h501-PG-2026-0000042"`
	// Kind is competenza (must act) or conoscenza (informed, may read).
	Kind   string `json:"kind" enums:"competenza,conoscenza"`
	Office string `json:"office" example:"TEC"`
	Person string `json:"person,omitempty"`
	// State: a competenza assignment is pending, then accepted or rejected, or superseded by a
	// later one; a conoscenza assignment is informed.
	State     string     `json:"state" enums:"pending,accepted,rejected,superseded,informed"`
	Reason    string     `json:"reason,omitempty"`
	CreatedBy string     `json:"created_by"`
	CreatedAt time.Time  `json:"created_at" format:"date-time"`
	DecidedBy string     `json:"decided_by,omitempty"`
	DecidedAt *time.Time `json:"decided_at,omitempty" format:"date-time"`
}

// Assignments are the assignments one request made.
type Assignments struct {
	Items []Assignment `json:"items"`
}

// AssignmentPage is a page of a worklist and the count of each state under the same office and
// person filter.
type AssignmentPage struct {
	Items      []Assignment   `json:"items"`
	Counts     map[string]int `json:"counts"`
	NextCursor string         `json:"next_cursor"`
}
