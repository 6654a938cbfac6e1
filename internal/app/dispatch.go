package app

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/riverqueue/river"

	"github.com/sportello/sportello/domain"
	"github.com/sportello/sportello/jobs"
	"github.com/sportello/sportello/signing"
)

// MailParts are the mail packages sending plugs in: how a message is composed and how the relay
// of SPORTELLO_SMTP_URL is reached. Without Compose or NewSender a configured
// SPORTELLO_SMTP_URL stops the start.
type MailParts struct {
	Compose   domain.MailComposer
	NewSender func(url, password string) (domain.MailSender, error)
}

// dispatchJobs runs the send jobs of dispatches (River, queue mail) in this process. Every
// process may run them: River hands each job to one of them, and the job itself sends a
// recipient's message only while the recipient is queued.
type dispatchJobs struct {
	client *river.Client[*sql.Tx]
}

// openDispatch sets, with SPORTELLO_SMTP_URL, the relay, the address to send from and, unless
// SPORTELLO_MAIL_WORKERS is 0, the River client that sends the dispatches and the answers to
// received segnature (jobs.QueueMail).
func (m *Main) openDispatch() error {
	cfg, parts := m.Config, m.Mail
	if cfg.SMTPURL == "" {
		return nil
	}
	from, err := cfg.MailFromAddress()
	if err != nil {
		return err
	}
	if parts.Compose == nil || parts.NewSender == nil {
		return fmt.Errorf("SPORTELLO_SMTP_URL: this build has no mail composer or SMTP client")
	}
	sender, err := parts.NewSender(cfg.SMTPURL, cfg.SMTPPassword)
	if err != nil {
		return fmt.Errorf("SPORTELLO_SMTP_URL: %w", err)
	}
	m.Service.MailOut = &domain.MailOut{From: from, Compose: parts.Compose, Sender: sender}
	if cfg.MailWorkers == 0 {
		return nil
	}
	workers := m.jobWorkers()
	if err := river.AddWorkerSafely(workers, &jobs.SendDispatchWorker{Sender: m.Service}); err != nil {
		return fmt.Errorf("dispatch jobs: %w", err)
	}
	answers := &jobs.SendInteropAnswerWorker{Store: m.DB, Write: signing.WriteProtocolMessage,
		Compose: parts.Compose, Sender: sender, From: from, Now: m.Service.Now}
	if err := river.AddWorkerSafely(workers, answers); err != nil {
		return fmt.Errorf("answer jobs: %w", err)
	}
	client, err := m.newJobClient(jobs.QueueMail, cfg.MailWorkers, m.MailRetryPolicy)
	if err != nil {
		return err
	}
	m.dispatch = &dispatchJobs{client: client}
	return nil
}

// start starts sending.
func (d *dispatchJobs) start() error {
	if d == nil {
		return nil
	}
	if err := d.client.Start(context.Background()); err != nil {
		return fmt.Errorf("start dispatch jobs: %w", err)
	}
	return nil
}

// stop lets the messages being sent finish within timeout, then cancels them: River runs a
// cancelled job again later, and it sends only to a recipient still queued.
func (d *dispatchJobs) stop(timeout time.Duration) error {
	if d == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	if err := d.client.Stop(ctx); err != nil {
		return d.client.StopAndCancel(context.Background())
	}
	return nil
}
