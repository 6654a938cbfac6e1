package api

import "time"

// Import is a server-side import (POST /v1/imports): its state and its rows counted by outcome.
type Import struct {
	ID    string `json:"id" format:"uuid"`
	State string `json:"state" enums:"queued,running,done,failed,cancelled"`
	// Filename and Size are the uploaded archive's; SHA256 its digest.
	Filename string `json:"filename" example:"scansioni.zip"`
	Size     int64  `json:"size" example:"104857600"`
	SHA256   string `json:"sha256" example:"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"`
	// RowsTotal is the number of rows of the manifest, once the job has read it (absent before).
	RowsTotal   *int `json:"rows_total,omitempty" example:"2000"`
	RowsDone    int  `json:"rows_done" example:"1500"`   // rows registered
	RowsFailed  int  `json:"rows_failed" example:"3"`    // rows that failed, each listed in failures (the first 1000)
	RowsPending int  `json:"rows_pending" example:"497"` // rows neither registered nor failed yet
	// Rate is rows ended per second since the job started (until it finished).
	Rate float64 `json:"rate" example:"42.5"`
	// Error says why the import failed as a whole (an archive the job could not read).
	Error      string     `json:"error,omitempty"`
	CreatedBy  string     `json:"created_by"`
	CreatedAt  time.Time  `json:"created_at" format:"date-time"`
	StartedAt  *time.Time `json:"started_at,omitempty" format:"date-time"`
	FinishedAt *time.Time `json:"finished_at,omitempty" format:"date-time"`
	// Failures are the failed rows in manifest order, the first 1000 (rows_failed counts them
	// all); only in GET and cancel of one import.
	Failures []ImportFailure `json:"failures"`
}

// ImportFailure is a row of the manifest that was not registered, and why.
type ImportFailure struct {
	Row    int    `json:"row" example:"11"` // its line in manifest.csv (the header is line 1)
	Reason string `json:"reason" example:"doc-0009.pdf: no such file"`
}

// ImportList lists imports, newest first.
type ImportList struct {
	Items []Import `json:"items"`
}
