// Package jobs holds Sportello's background jobs on River (riverqueue/river): their arguments,
// which storage enqueues inside the transaction of the write that needs them, and their
// workers, which the server runs. River itself (driver, client, migrations) is set up by
// storage, the only package that holds the database pools.
package jobs

import (
	"time"

	"github.com/riverqueue/river"
)

// QueueText is the queue of text extraction: OCR is slow and CPU-bound, so it gets a queue of
// its own, with few workers, that cannot hold up other jobs.
const QueueText = "text"

// ExtractText asks for the text of a registration's document and attachments.
type ExtractText struct {
	RegistrationID string `json:"registration_id"`
}

// Kind names the job in River's table.
func (ExtractText) Kind() string { return "extract_text" }

// InsertOpts puts the job on its queue. It is retried with River's exponential backoff; after
// the last attempt it stays discarded and the registration's text_status stays "failed".
func (ExtractText) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: QueueText, MaxAttempts: 8}
}

// Timeout bounds one extraction: a long scanned PDF takes tesseract a few seconds a page.
const Timeout = 30 * time.Minute
