package app

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/sportello/sportello/domain"
)

// Webhook delivery defaults.
const (
	defaultWebhookEvery   = time.Second
	defaultWebhookBackoff = 2 * time.Second
	maxWebhookBackoff     = time.Hour
	webhookBatch          = 100
	webhookTimeout        = 10 * time.Second
	webhookParallel       = 8
)

// webhookOutbox is what the delivery worker needs from the database (storage.DB).
type webhookOutbox interface {
	DueWebhookEvents(ctx context.Context, now time.Time, limit int) ([]domain.WebhookEvent, error)
	RecordWebhookAttempt(ctx context.Context, e domain.WebhookEvent, d domain.WebhookDelivery, next time.Time) error
}

// webhooks delivers the outbox of case events to the portals' endpoints: signed with HMAC-SHA256
// under the portal's secret, retried with exponential backoff, in order per case (the outbox
// hands out an event only once the previous one of its case was delivered). Every attempt is
// logged for the portal. A goroutine per process; two processes may both send an event, which
// the portal recognises by its id.
type webhooks struct {
	outbox  webhookOutbox
	allow   domain.WebhookAllowList
	client  *http.Client
	now     func() time.Time
	every   time.Duration
	backoff time.Duration
	logger  *slog.Logger

	stop func()
	done sync.WaitGroup
}

// openWebhooks prepares the delivery worker.
func (m *Main) openWebhooks() {
	w := &webhooks{outbox: m.DB, allow: m.Service.WebhookAllow, client: webhookClient(m.Service.WebhookAllow),
		now: m.Service.Now, every: m.WebhookEvery, backoff: m.WebhookBackoff, logger: m.Logger}
	if w.every <= 0 {
		w.every = defaultWebhookEvery
	}
	if w.backoff <= 0 {
		w.backoff = defaultWebhookBackoff
	}
	m.webhooks = w
}

// start runs the worker in the background until stopBackground.
func (w *webhooks) start() {
	ctx, cancel := context.WithCancel(context.Background())
	w.stop = cancel
	w.done.Go(func() {
		t := time.NewTicker(w.every)
		defer t.Stop()
		for {
			if err := w.runOnce(ctx); err != nil && ctx.Err() == nil {
				w.logger.Error("webhook delivery", "err", err)
			}
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	})
}

// stopBackground stops the worker and waits for the delivery in progress.
func (w *webhooks) stopBackground() {
	if w != nil && w.stop != nil {
		w.stop()
		w.done.Wait()
	}
}

// runOnce delivers what is due until nothing is.
func (w *webhooks) runOnce(ctx context.Context) error {
	for {
		due, err := w.outbox.DueWebhookEvents(ctx, w.now(), webhookBatch)
		if err != nil || len(due) == 0 {
			return err
		}
		// At most one event per case is due at once, so they may all go in parallel: a slow or
		// unreachable endpoint does not hold up the other portals' events.
		var (
			wg   sync.WaitGroup
			sem  = make(chan struct{}, webhookParallel)
			errs = make([]error, len(due))
		)
		for i, e := range due {
			sem <- struct{}{}
			wg.Go(func() {
				defer func() { <-sem }()
				errs[i] = w.deliver(ctx, e)
			})
		}
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			return err
		}
	}
}

// deliver makes one attempt to send e and records it; an endpoint's failure is recorded, not
// returned.
func (w *webhooks) deliver(ctx context.Context, e domain.WebhookEvent) error {
	now := w.now()
	d := domain.WebhookDelivery{EventID: e.ID, CaseID: e.CaseID, Kind: e.Kind, Attempt: e.Attempts + 1, AttemptedAt: now}
	var req *http.Request
	u, err := w.allow.CheckWebhookURL(e.URL) // it may have been set before the rules or the list changed
	if err == nil {
		req, err = http.NewRequestWithContext(ctx, http.MethodPost, u.String(), bytes.NewReader(e.Payload))
	}
	var refused *domain.Error
	if errors.As(err, &refused) && len(refused.Fields) > 0 {
		d.Error = "endpoint not allowed: " + refused.Fields[0].Message
	} else if err != nil {
		d.Error = "bad endpoint"
	} else {
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Sportello-Event-Id", e.ID)
		req.Header.Set("Sportello-Event-Type", e.Kind)
		req.Header.Set("Sportello-Signature", Signature(e.Secret, now, e.Payload))
		resp, err := w.client.Do(req)
		switch {
		case ctx.Err() != nil:
			return ctx.Err()
		case err != nil:
			d.Error = deliveryFailure(err)
		default:
			io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
			resp.Body.Close()
			d.StatusCode = resp.StatusCode
			d.Delivered = resp.StatusCode >= 200 && resp.StatusCode < 300
			if !d.Delivered {
				// The status text is the standard one: the endpoint's own reason phrase is its words.
				d.Error = strings.TrimSpace(fmt.Sprintf("endpoint answered %d %s", resp.StatusCode, http.StatusText(resp.StatusCode)))
			}
		}
	}
	delay := w.backoff << min(e.Attempts, 20)
	return w.outbox.RecordWebhookAttempt(ctx, e, d, now.Add(min(delay, maxWebhookBackoff)))
}

// Signature is the Sportello-Signature header of a delivery at t: `t=<unix seconds>,v1=<hex
// HMAC-SHA256 of "<t>.<body>" under secret>`. Binding the time lets a portal refuse replays.
func Signature(secret string, t time.Time, body []byte) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	mac := hmac.New(sha256.New, []byte(secret))
	fmt.Fprintf(mac, "%s.", ts)
	mac.Write(body)
	return "t=" + ts + ",v1=" + hex.EncodeToString(mac.Sum(nil))
}
