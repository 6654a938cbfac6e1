package jobs

import (
	"context"
	"errors"
	"time"

	"github.com/riverqueue/river"

	"github.com/sportello/sportello/domain"
)

// QueueMail is the queue of the messages Sportello sends: a relay that is slow or down holds
// up only these.
const QueueMail = "mail"

// SendDispatch asks for the message to one recipient of a dispatch to be sent.
type SendDispatch struct {
	DispatchID string `json:"dispatch_id"`
	Recipient  int    `json:"recipient"`
}

// Kind names the job in River's table.
func (SendDispatch) Kind() string { return "send_dispatch" }

// InsertOpts puts the job on the mail queue. It is retried with River's exponential backoff,
// for about a day and a half over 20 attempts (River's default policy); the recipient's
// attempts and last_error show it meanwhile.
func (SendDispatch) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: QueueMail, MaxAttempts: 20}
}

// MailTimeout bounds one attempt to hand a message to the relay.
const MailTimeout = 5 * time.Minute

// DispatchSender sends the message of one recipient of a dispatch (domain.Service.SendDispatch).
type DispatchSender interface {
	SendDispatch(ctx context.Context, id string, n, attempt int) error
}

// SendDispatchWorker sends a dispatch's message to one recipient.
type SendDispatchWorker struct {
	river.WorkerDefaults[SendDispatch]
	Sender DispatchSender
}

// Timeout overrides River's default of one minute: large attachments over a slow relay.
func (w *SendDispatchWorker) Timeout(*river.Job[SendDispatch]) time.Duration { return MailTimeout }

// Work sends the message. A failure that retrying cannot cure (the relay refused the recipient
// for good; the recipient is recorded failed) cancels the job; any other is retried.
func (w *SendDispatchWorker) Work(ctx context.Context, job *river.Job[SendDispatch]) error {
	err := w.Sender.SendDispatch(ctx, job.Args.DispatchID, job.Args.Recipient, job.Attempt)
	if errors.Is(err, domain.ErrPermanent) {
		return river.JobCancel(err)
	}
	return err
}
