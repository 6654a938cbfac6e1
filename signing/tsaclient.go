package signing

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rand"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"time"

	"github.com/digitorus/timestamp"
)

// maxTimestampReply bounds what is read from a TSA; real replies are a few KB.
const maxTimestampReply = 1 << 20

// TSAClient asks an external RFC 3161 TSA by URL. Public TSAs are slow and
// occasionally fail, while a registration must not hang: each attempt is
// bounded by Timeout, and transient failures (network errors, 5xx, 429) are
// retried up to MaxAttempts with doubling backoff.
type TSAClient struct {
	URL string
	// Username and Password enable HTTP basic authentication when set.
	Username, Password string
	// Timeout bounds one attempt; zero means 10s.
	Timeout time.Duration
	// MaxAttempts counts the first try; zero means 3.
	MaxAttempts int
	// Backoff is the wait before the first retry, doubled each time; zero means 500ms.
	Backoff time.Duration
	// Roots, when set, make the client verify each token's TSA chain too.
	Roots *x509.CertPool
	// HTTPClient defaults to a client with no overall timeout (Timeout applies).
	HTTPClient *http.Client
}

// Timestamp asks the TSA for a token over digest with a fresh random nonce,
// which the reply must echo: that is what makes a replayed reply useless.
func (c *TSAClient) Timestamp(ctx context.Context, digest []byte, hash crypto.Hash) ([]byte, error) {
	nonce, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 64))
	if err != nil {
		return nil, fmt.Errorf("time-stamp via %s: nonce: %w", c.URL, err)
	}
	return c.TimestampNonce(ctx, digest, hash, nonce)
}

// TimestampNonce asks for a token over digest carrying the caller's nonce.
func (c *TSAClient) TimestampNonce(ctx context.Context, digest []byte, hash crypto.Hash, nonce *big.Int) ([]byte, error) {
	query, err := (&timestamp.Request{HashAlgorithm: hash, HashedMessage: digest, Certificates: true, Nonce: nonce}).Marshal()
	if err != nil {
		return nil, fmt.Errorf("time-stamp via %s: encode query: %w", c.URL, err)
	}
	attempts, backoff := c.MaxAttempts, c.Backoff
	if attempts <= 0 {
		attempts = 3
	}
	if backoff <= 0 {
		backoff = 500 * time.Millisecond
	}
	var lastErr error
	for attempt := 1; attempt <= attempts; attempt++ {
		if attempt > 1 {
			select {
			case <-ctx.Done():
				return nil, fmt.Errorf("time-stamp via %s: %w (last error: %w)", c.URL, ctx.Err(), lastErr)
			case <-time.After(backoff):
			}
			backoff *= 2
		}
		reply, retry, err := c.post(ctx, query)
		if err == nil {
			return c.check(reply, digest, hash, nonce)
		}
		lastErr = err
		if !retry {
			break
		}
	}
	return nil, fmt.Errorf("time-stamp via %s: %w", c.URL, lastErr)
}

// post makes one attempt; retry reports whether another could succeed.
func (c *TSAClient) post(ctx context.Context, query []byte) (reply []byte, retry bool, err error) {
	timeout := c.Timeout
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.URL, bytes.NewReader(query))
	if err != nil {
		return nil, false, fmt.Errorf("build request: %w", err)
	}
	req.Header.Set("Content-Type", "application/timestamp-query")
	if c.Username != "" {
		req.SetBasicAuth(c.Username, c.Password)
	}
	client := c.HTTPClient
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, true, fmt.Errorf("post query: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		transient := resp.StatusCode >= 500 || resp.StatusCode == http.StatusTooManyRequests
		return nil, transient, fmt.Errorf("TSA answered %s", resp.Status)
	}
	reply, err = io.ReadAll(io.LimitReader(resp.Body, maxTimestampReply+1))
	if err != nil {
		return nil, true, fmt.Errorf("read reply: %w", err)
	}
	if len(reply) > maxTimestampReply {
		return nil, false, errors.New("reply exceeds 1 MiB")
	}
	return reply, false, nil
}

// check parses the reply and binds it to the request before handing the
// token on: a TSA that answers for another digest or nonce is an error.
func (c *TSAClient) check(reply, digest []byte, hash crypto.Hash, nonce *big.Int) ([]byte, error) {
	ts, err := timestamp.ParseResponse(reply)
	if err != nil {
		return nil, fmt.Errorf("time-stamp via %s: parse reply: %w", c.URL, err)
	}
	if c.Roots != nil {
		if _, err := VerifyToken(ts.RawToken, digest, hash, nonce, c.Roots); err != nil {
			return nil, fmt.Errorf("time-stamp via %s: %w", c.URL, err)
		}
		return ts.RawToken, nil
	}
	if ts.HashAlgorithm != hash || !bytes.Equal(ts.HashedMessage, digest) ||
		(nonce != nil && (ts.Nonce == nil || ts.Nonce.Cmp(nonce) != 0)) {
		return nil, fmt.Errorf("time-stamp via %s: %w", c.URL, ErrTokenMismatch)
	}
	return ts.RawToken, nil
}
