package jobs

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/riverqueue/river"

	"github.com/sportello/sportello/domain"
)

// SendInteropAnswer asks for the answer to the segnatura received with a registration — a
// ConfermaRicezione or a NotificaEccezione — to be composed and sent back to the sender.
// Storage enqueues it in the registration's transaction.
type SendInteropAnswer struct {
	RegistrationID string `json:"registration_id"`
}

// Kind names the job in River's table.
func (SendInteropAnswer) Kind() string { return "send_interop_answer" }

// AnswerAttempts is how many times an answer is tried before it is marked failed.
const AnswerAttempts = 12

// InsertOpts puts the job on the mail queue, retried with River's exponential backoff.
func (SendInteropAnswer) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: QueueMail, MaxAttempts: AnswerAttempts}
}

// AnswerStore is what the answer worker needs from storage.
type AnswerStore interface {
	RegistrationByID(ctx context.Context, id string) (*domain.Registration, error)
	AOO(ctx context.Context) (domain.AOO, error)
	// AnswerOutcome records an attempt: state is domain.AnswerSent, AnswerPending (to be
	// retried, cause the failure) or AnswerFailed.
	AnswerOutcome(ctx context.Context, registrationID, state, cause string, attempt int, at time.Time) error
}

// SendInteropAnswerWorker composes the answer (Write, Compose) and hands it to the relay (Sender)
// from From. The message's Message-ID is the one stored with the registration, the same at
// every attempt.
type SendInteropAnswerWorker struct {
	river.WorkerDefaults[SendInteropAnswer]
	Store   AnswerStore
	Write   domain.ProtocolMessageWriter
	Compose domain.MailComposer
	Sender  domain.MailSender
	From    domain.MailAddress
	Now     func() time.Time
}

// Work sends the answer unless it was sent already. A refusal for good (ECValidation) marks it
// failed and ends the job; another failure is recorded and returned for River to retry, and the
// last attempt's marks it failed.
func (w *SendInteropAnswerWorker) Work(ctx context.Context, job *river.Job[SendInteropAnswer]) error {
	id := job.Args.RegistrationID
	r, err := w.Store.RegistrationByID(ctx, id)
	if err != nil {
		return err
	}
	in := r.Interoperability
	if in == nil || in.Answer == nil || in.Answer.State != domain.AnswerPending {
		return nil
	}
	err = w.send(ctx, r)
	now := w.Now()
	switch {
	case err == nil:
		return w.Store.AnswerOutcome(ctx, id, domain.AnswerSent, "", job.Attempt, now)
	case domain.IsCode(err, domain.ECValidation):
		return errors.Join(w.Store.AnswerOutcome(ctx, id, domain.AnswerFailed, err.Error(), job.Attempt, now),
			river.JobCancel(err))
	case job.Attempt >= job.MaxAttempts:
		return errors.Join(w.Store.AnswerOutcome(ctx, id, domain.AnswerFailed, err.Error(), job.Attempt, now), err)
	}
	return errors.Join(err, w.Store.AnswerOutcome(ctx, id, domain.AnswerPending, err.Error(), job.Attempt, now))
}

// send composes the answer to r's segnatura and sends it to the sender's address.
func (w *SendInteropAnswerWorker) send(ctx context.Context, r *domain.Registration) error {
	in := r.Interoperability
	aoo, err := w.Store.AOO(ctx)
	if err != nil {
		return err
	}
	pm, err := AnswerMessage(aoo, r)
	if err != nil {
		return err
	}
	xml, err := w.Write(pm)
	if err != nil {
		return fmt.Errorf("write %s: %w", pm.Kind, err)
	}
	name := "Conferma.xml"
	if pm.Kind == domain.ProtocolEccezione {
		name = "Eccezione.xml"
	}
	subject := pm.Kind + " - " + r.Identifier
	raw, err := w.Compose(domain.OutgoingMail{
		MessageID: in.Answer.MessageID, From: w.From, To: []domain.MailAddress{{Address: in.SenderAddress}},
		Subject: subject, Text: answerText(pm), InReplyTo: in.MessageID, Date: w.Now(),
		Files: []domain.MailFile{{Name: name, MediaType: "application/xml", Content: xml}},
	})
	if err != nil {
		return fmt.Errorf("compose %s: %w", pm.Kind, err)
	}
	return w.Sender.Send(ctx, w.From.Address, []string{in.SenderAddress}, raw)
}

// AnswerMessage is the protocol message answering r's segnatura: a ConfermaRicezione with
// both identifiers, or a NotificaEccezione with ours, theirs, and the anomalies as Motivo.
func AnswerMessage(aoo domain.AOO, r *domain.Registration) (domain.ProtocolMessage, error) {
	in := r.Interoperability
	if in == nil || in.Answer == nil {
		return domain.ProtocolMessage{}, fmt.Errorf("registration %s owes no answer", r.ID)
	}
	ours := domain.ProtocolID{IPACode: aoo.IPACode, AOOCode: aoo.Code, Register: r.Register,
		Number: domain.FormatNumber(r.Number), Date: r.Date}
	theirs := in.Sender
	pm := domain.ProtocolMessage{Kind: in.Answer.Kind, Identifier: &ours, Received: &theirs}
	if pm.Kind == domain.ProtocolEccezione {
		reasons := make([]string, len(in.Anomalies))
		for i, a := range in.Anomalies {
			reasons[i] = a.Code + ": " + a.Detail
		}
		pm.Reason = strings.Join(reasons, "; ")
	}
	return pm, nil
}

// answerText is the readable text of an answer's message.
func answerText(pm domain.ProtocolMessage) string {
	t := pm.Kind + " del messaggio protocollato " + pm.Received.Number + " del " + pm.Received.Date +
		" (" + pm.Received.IPACode + "/" + pm.Received.AOOCode + ")"
	if pm.Identifier != nil {
		t += ", registrato con protocollo " + pm.Identifier.Number + " del " + pm.Identifier.Date
	}
	if pm.Reason != "" {
		t += ".\nMotivo: " + pm.Reason
	}
	return t + ".\n"
}
