package api

import (
	"time"

	"github.com/sportello/sportello/domain"
)

// FixityRun is one pass of the fixity checks over every stored blob, in digest order.
type FixityRun struct {
	ID         string     `json:"id" format:"uuid"`
	StartedBy  string     `json:"started_by" enums:"schedule,verify"`
	State      string     `json:"state" enums:"running,done"`
	StartedAt  time.Time  `json:"started_at" format:"date-time"`
	FinishedAt *time.Time `json:"finished_at" format:"date-time" extensions:"x-nullable"`
	Cursor     string     `json:"cursor" example:"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"` // the last digest checked; empty before the first
	Blobs      int64      `json:"blobs" example:"120394"`
	Bytes      int64      `json:"bytes" example:"53687091200"`
	Failures   int64      `json:"failures" example:"0"`
}

// FixityReference is what references a blob: a registration's document or attachment, a
// document, a daily journal, a received message, a dispatch's segnatura, a receipt.
type FixityReference struct {
	Kind       string `json:"kind" enums:"registration,document,journal,mail,dispatch,receipt"`
	Identifier string `json:"identifier" example:"PG/2026/0000042"`
	Role       string `json:"role" example:"document"`
}

// FixityFailure is a blob a fixity run found missing, altered or unreadable; `resolved_at` is
// set once a later run finds it right again (restored from a backup) or no longer referenced.
type FixityFailure struct {
	SHA256      string            `json:"sha256" example:"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"`
	Problem     string            `json:"problem" enums:"missing,mismatch,unreadable"`
	Detail      string            `json:"detail" example:"the 580 bytes stored hash to 5bb518dcf6636d759d8361a79fb3afd704dd291180d177cfec4a559085c32199"`
	References  []FixityReference `json:"references"`
	FirstSeen   time.Time         `json:"first_seen" format:"date-time"`
	LastSeen    time.Time         `json:"last_seen" format:"date-time"`
	LastRun     string            `json:"last_run" format:"uuid"`
	ResolvedAt  *time.Time        `json:"resolved_at" format:"date-time" extensions:"x-nullable"`
	ResolvedRun string            `json:"resolved_run,omitempty" format:"uuid"`
}

// FixityReport lists the latest fixity runs and the blobs found wrong, newest first.
type FixityReport struct {
	Runs     []FixityRun     `json:"runs"`
	Failures []FixityFailure `json:"failures"`
	Open     int64           `json:"open" example:"0"` // failures not resolved, all of them (failures lists at most 100)
}

func toFixityReport(r *domain.FixityReport) FixityReport {
	out := FixityReport{Runs: convertAll(r.Runs, func(x *domain.FixityRun) FixityRun {
		return FixityRun{ID: x.ID, StartedBy: x.StartedBy, State: x.State, StartedAt: utc(x.StartedAt), FinishedAt: utcOrNil(x.FinishedAt),
			Cursor: x.Cursor, Blobs: x.Blobs, Bytes: x.Bytes, Failures: x.Failures}
	}), Open: r.Open}
	out.Failures = convertAll(r.Failures, func(x *domain.FixityFailure) FixityFailure {
		return FixityFailure{SHA256: x.SHA256, Problem: string(x.Problem), Detail: x.Detail,
			References: convertAll(x.References, func(f domain.FixityReference) FixityReference {
				return FixityReference{Kind: f.Kind, Identifier: f.Identifier, Role: f.Role}
			}),
			FirstSeen: utc(x.FirstSeen), LastSeen: utc(x.LastSeen), LastRun: x.LastRun, ResolvedAt: utcOrNil(x.ResolvedAt),
			ResolvedRun: x.ResolvedRun}
	})
	return out
}
