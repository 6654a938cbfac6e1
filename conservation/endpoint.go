package conservation

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"unicode"

	"github.com/sportello/sportello/domain"
)

// Endpoint sends each package by HTTP: PUT to <URL>/<id>.zip, or POST to URL, the zip as the
// body (application/zip) with its SHA-256 in Repr-Digest and Content-Digest (RFC 9530) and its
// id in X-Package-Id. A 2xx is a delivery; 408, 425, 429 and 5xx, or no answer, are temporary
// and tried again; any other 4xx is a refusal, with the status and the start of the body as
// the reason. Redirects are not followed.
type Endpoint struct {
	URL    *url.URL
	Method string
	Token  string
	Client *http.Client
}

// String names the endpoint without its query, which may carry a credential.
func (e *Endpoint) String() string {
	u := *e.URL
	u.RawQuery, u.Fragment, u.User = "", "", nil
	return e.Method + " " + u.String()
}

// maxReason bounds what of a refusal's body becomes its reason.
const maxReason = 500

// Deliver sends the package once.
func (e *Endpoint) Deliver(ctx context.Context, p domain.Parcel) error {
	target := *e.URL
	if e.Method == http.MethodPut {
		target.Path = strings.TrimSuffix(target.Path, "/") + "/" + p.ID + ".zip"
		target.RawPath = ""
	}
	sum, err := hex.DecodeString(p.SHA256)
	if err != nil {
		return fmt.Errorf("deliver %s: digest %q: %w", p.ID, p.SHA256, err)
	}
	body, err := p.Open(ctx)
	if err != nil {
		return fmt.Errorf("deliver %s: %w", p.ID, err)
	}
	defer body.Close()
	req, err := http.NewRequestWithContext(ctx, e.Method, target.String(), body)
	if err != nil {
		return fmt.Errorf("deliver %s: %w", p.ID, err)
	}
	req.ContentLength = p.Size
	digest := "sha-256=:" + base64.StdEncoding.EncodeToString(sum) + ":"
	req.Header.Set("Content-Type", "application/zip")
	req.Header.Set("Content-Disposition", `attachment; filename="`+p.ID+`.zip"`)
	req.Header.Set("Repr-Digest", digest)
	req.Header.Set("Content-Digest", digest)
	req.Header.Set("X-Package-Id", p.ID)
	if e.Token != "" {
		req.Header.Set("Authorization", "Bearer "+e.Token)
	}
	resp, err := e.Client.Do(req)
	if err != nil {
		return fmt.Errorf("deliver %s: %w", p.ID, err)
	}
	defer resp.Body.Close()
	text, _ := io.ReadAll(io.LimitReader(resp.Body, 4*maxReason))
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	switch code := resp.StatusCode; {
	case code >= 200 && code < 300:
		return nil
	case code >= 400 && code < 500 && code != http.StatusRequestTimeout && code != http.StatusTooEarly && code != http.StatusTooManyRequests:
		return &domain.DeliveryRefused{Reason: reason(resp.Status, text)}
	default:
		return fmt.Errorf("deliver %s: the endpoint answered %s", p.ID, resp.Status)
	}
}

// reason is a refusal's reason: the status and the body's text on one line, cut short.
func reason(status string, body []byte) string {
	text := strings.Join(strings.FieldsFunc(string(body), func(r rune) bool { return unicode.IsSpace(r) || !unicode.IsPrint(r) }), " ")
	out := "HTTP " + status
	if text != "" {
		out += ": " + text
	}
	if r := []rune(out); len(r) > maxReason {
		out = string(r[:maxReason-1]) + "…"
	}
	return out
}
